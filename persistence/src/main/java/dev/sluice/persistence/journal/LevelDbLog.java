package dev.sluice.persistence.journal;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.persistence.leveldb.LevelDbLibrary;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.iq80.leveldb.CompressionType;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.ReadOptions;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's local log: native LevelDB (leveldbjni) holding the journal entries of every
 * persistent entity on this node, written with group commit.
 *
 * <h2>On-disk layout: two LevelDB databases under the log directory</h2>
 * <pre>
 *   data/   key:   globalSeq:i64 | pidLength:u16 | pid:utf8 | sequenceNr:i64   -&gt; entry value (opaque)
 *   index/  'e' | pidLength:u16 | pid:utf8 | sequenceNr:i64                     -&gt; globalSeq:i64
 *           'h' | pidLength:u16 | pid:utf8                                      -&gt; highest sequenceNr:i64
 *           'g'                                                                 -&gt; last globalSeq indexed:i64
 * </pre>
 * Every write gets the next node-wide {@code globalSeq}, so the data database is written in
 * strictly increasing key order: LevelDB moves its files down the levels without rewriting
 * them (no compaction merges of the bulk), which is what keeps the write rate near the disk's
 * sequential rate. The small index, keyed by entity and sequence number (big-endian, so one
 * forward iteration is a replay), absorbs the interleaving of many entities. The highest
 * sequence number is kept under its own key so it survives the deletion of every entry (Pekko
 * Persistence never reuses sequence numbers).
 *
 * <p>The data database is the source of truth: it is written (and fsynced, if so set) first;
 * the index is written after it without fsync. On open, entries of the data database beyond
 * the index's {@code 'g'} mark are indexed again, so an index that lost its tail in a crash is
 * rebuilt, and a missing index is rebuilt whole.
 *
 * <h2>Group commit</h2>
 * {@link #write} queues the entries; a single writer thread drains everything queued (up to
 * {@code maxGroupBytes}), writes it as one LevelDB {@link WriteBatch} — fsynced once when the
 * policy is {@link FsyncPolicy#ALWAYS} — and completes every future of the group. Each call is
 * atomic (it lands in exactly one group), calls are applied in the order they were queued, and
 * many partitions appending at once share one write and one flush.
 *
 * <h2>Thread-safety</h2>
 * Thread-safe. Writes and deletions go through the writer thread; reads run on the caller's
 * thread (LevelDB supports concurrent readers) and see every write whose future has completed.
 */
public final class LevelDbLog implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LevelDbLog.class);
  private static final byte ENTRY = 'e';
  private static final byte HIGHEST = 'h';
  private static final byte[] INDEXED_UP_TO = {'g'};
  private static final WriteOptions INDEX_WRITE = new WriteOptions().sync(false);
  private static final WriteOptions SYNCED = new WriteOptions().sync(true);
  /**
   * Entry reads bypass LevelDB's block cache: a batch is read back by its consumers, mostly
   * once each and in order, and then sits in the OS page cache anyway; caching its block too
   * would copy it into native memory and evict something as often as it helps.
   */
  private static final ReadOptions DATA_READ = new ReadOptions().fillCache(false);
  /** LevelDB raises any smaller max_open_files to this (64 tables plus 10 other files). */
  public static final int MIN_OPEN_FILES = 74;

  /** One journal entry to write: the entity's persistence id, its sequence number, the value. */
  public record Entry(String persistenceId, long sequenceNr, byte[] value) {}

  /** One entry read back. */
  public record StoredEntry(long sequenceNr, byte[] value) {}

  /**
   * Tuning. {@code writeBufferBytes} is LevelDB's memtable size, and so the size of the table
   * files it writes; {@code maxOpenFiles} bounds the table files LevelDB keeps open (and so, on
   * the bundled LevelDB, which reads through mmap, mapped) at once (at least 64, whatever is asked).
   */
  public record Settings(
      FsyncPolicy fsync,
      int writeBufferBytes,
      long cacheBytes,
      boolean compression,
      int maxGroupBytes,
      int maxOpenFiles) {
    public Settings {
      if (writeBufferBytes < 1 << 20) {
        throw new IllegalArgumentException("LevelDB write buffer must be at least 1 MiB, got " + writeBufferBytes);
      }
      if (maxGroupBytes < 1 << 16) {
        throw new IllegalArgumentException("group commit size must be at least 64 KiB, got " + maxGroupBytes);
      }
      if (maxOpenFiles < MIN_OPEN_FILES) {
        throw new IllegalArgumentException(
            "LevelDB max open files must be at least " + MIN_OPEN_FILES + ", got " + maxOpenFiles);
      }
    }

    public static Settings defaults(FsyncPolicy fsync) {
      return new Settings(fsync, 16 << 20, 64L << 20, false, 8 << 20, MIN_OPEN_FILES);
    }
  }

  private sealed interface Op permits WriteOp, DeleteOp, ReplaceOp, Stop {}

  private record WriteOp(List<Entry> entries, int bytes, CompletableFuture<Void> done) implements Op {}

  /** {@code forget}: also forget the highest sequence number (the entity's log starts over). */
  private record DeleteOp(String persistenceId, long toSequenceNr, boolean forget, CompletableFuture<Long> done)
      implements Op {}

  private record ReplaceOp(String persistenceId, List<StoredEntry> entries, CompletableFuture<Long> done) implements Op {}

  private record Stop() implements Op {}

  private final Path dir;
  private final Settings settings;
  private final DB data;
  private final DB index;
  private final WriteOptions dataWrite;
  private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final ExecutorService compactor;
  private long nextGlobalSeq; // owned by the writer thread once open
  private volatile boolean closed;

  private LevelDbLog(Path dir, Settings settings, DB data, DB index, long nextGlobalSeq) {
    this.dir = dir;
    this.settings = settings;
    this.data = data;
    this.index = index;
    this.nextGlobalSeq = nextGlobalSeq;
    this.dataWrite = new WriteOptions().sync(settings.fsync() == FsyncPolicy.ALWAYS);
    this.writer = new Thread(this::runWriter, "sluice-journal-writer[" + dir.getFileName() + "]");
    this.writer.setDaemon(true);
    this.compactor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "sluice-journal-compactor[" + dir.getFileName() + "]");
              t.setDaemon(true);
              return t;
            });
    writer.start();
  }

  /**
   * Opens (creating if needed, parents included: native LevelDB does not create them) the log in
   * {@code dir}, re-indexing whatever the data database holds beyond the index.
   */
  public static LevelDbLog open(Path dir, Settings settings) throws IOException {
    Files.createDirectories(dir.resolve("data"));
    Files.createDirectories(dir.resolve("index"));
    Options dataOptions =
        new Options()
            .createIfMissing(true)
            .writeBufferSize(settings.writeBufferBytes())
            .cacheSize(settings.cacheBytes())
            .maxOpenFiles(settings.maxOpenFiles())
            .compressionType(settings.compression() ? CompressionType.SNAPPY : CompressionType.NONE);
    Options indexOptions = new Options().createIfMissing(true).writeBufferSize(4 << 20).cacheSize(8L << 20);
    DB data = LevelDbLibrary.open(dir.resolve("data"), dataOptions);
    DB index;
    try {
      index = LevelDbLibrary.open(dir.resolve("index"), indexOptions);
    } catch (IOException | RuntimeException e) {
      data.close();
      throw e;
    }
    try {
      long next = reconcile(data, index);
      LOG.info("Opened journal {} (fsync={}) on {}", dir, settings.fsync().name().toLowerCase(), LevelDbLibrary.description());
      return new LevelDbLog(dir, settings, data, index, next);
    } catch (IOException | RuntimeException e) {
      index.close();
      data.close();
      throw e;
    }
  }

  /** Indexes data entries beyond the index's mark; returns the next global sequence number. */
  private static long reconcile(DB data, DB index) throws IOException {
    byte[] mark = index.get(INDEXED_UP_TO);
    long indexedUpTo = mark == null ? 0L : ByteBuffer.wrap(mark).getLong();
    long last = indexedUpTo;
    long reindexed = 0;
    Map<String, Long> highest = new HashMap<>();
    WriteBatch batch = index.createWriteBatch();
    try (DBIterator it = data.iterator()) {
      it.seek(globalPrefix(indexedUpTo + 1));
      while (it.hasNext()) {
        byte[] key = it.next().getKey();
        ByteBuffer k = ByteBuffer.wrap(key);
        long global = k.getLong();
        int pidLen = Short.toUnsignedInt(k.getShort());
        String pid = new String(key, 10, pidLen, UTF_8);
        long seq = ByteBuffer.wrap(key, 10 + pidLen, 8).getLong();
        batch.put(entryKey(entryPrefix(pid), seq), longBytes(global));
        highest.merge(pid, seq, Math::max);
        last = global;
        if (++reindexed % 10_000 == 0) {
          batch.put(INDEXED_UP_TO, longBytes(last));
          index.write(batch);
          batch.close();
          batch = index.createWriteBatch();
        }
      }
      for (Map.Entry<String, Long> h : highest.entrySet()) {
        byte[] stored = index.get(highestKey(h.getKey()));
        long before = stored == null ? 0L : ByteBuffer.wrap(stored).getLong();
        batch.put(highestKey(h.getKey()), longBytes(Math.max(before, h.getValue())));
      }
      batch.put(INDEXED_UP_TO, longBytes(last));
      index.write(batch);
      it.seekToLast();
      if (it.hasNext()) {
        last = Math.max(last, ByteBuffer.wrap(it.next().getKey()).getLong());
      }
    } finally {
      batch.close();
    }
    if (reindexed > 0) {
      LOG.info("Journal index rebuilt for {} entries written after its last mark", reindexed);
    }
    return last + 1;
  }

  public Path directory() {
    return dir;
  }

  public FsyncPolicy fsync() {
    return settings.fsync();
  }

  /** Queues an atomic write; the future completes once it is in the log (and fsynced if so set). */
  public CompletableFuture<Void> write(List<Entry> entries) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    int bytes = 0;
    for (Entry e : entries) {
      if (e.persistenceId().length() > 0x3FFF) {
        done.completeExceptionally(new IllegalArgumentException("persistence id too long: " + e.persistenceId().length() + " chars"));
        return done;
      }
      bytes += e.value().length + e.persistenceId().length() + 32;
    }
    enqueue(new WriteOp(entries, bytes, done), done);
    return done;
  }

  /**
   * Deletes every entry of {@code persistenceId} up to and including {@code toSequenceNr}
   * (ordered after every write queued before it). Completes with the number of entries deleted.
   * LevelDB gives the space back as its compactions pass over the deleted keys.
   */
  public CompletableFuture<Long> deleteUpTo(String persistenceId, long toSequenceNr) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    enqueue(new DeleteOp(persistenceId, toSequenceNr, false, done), done);
    return done;
  }

  /**
   * Removes every entry of {@code persistenceId} and forgets its highest sequence number, as if
   * it had never been written: for a copy of another node's log that is about to be laid down
   * again from its start. Only call it while no entity of that id runs on this node.
   */
  public CompletableFuture<Long> purge(String persistenceId) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    enqueue(new DeleteOp(persistenceId, Long.MAX_VALUE, true, done), done);
    return done;
  }

  /**
   * Gives stored entries of {@code persistenceId} new values, keeping their sequence numbers: log
   * compaction rewrites a batch without its superseded records. An entry no longer stored (deleted
   * by then, ordered as queued) is skipped, never written again. Each new value gets the next
   * global sequence number and the old one is deleted, so the data database stays append-only and
   * a crash leaves either value readable. Completes with the number of entries replaced.
   */
  public CompletableFuture<Long> replace(String persistenceId, List<StoredEntry> entries) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    enqueue(new ReplaceOp(persistenceId, List.copyOf(entries), done), done);
    return done;
  }

  private void enqueue(Op op, CompletableFuture<?> done) {
    synchronized (queue) {
      if (closed) {
        done.completeExceptionally(new IllegalStateException("journal " + dir + " is closed"));
        return;
      }
      queue.add(op);
    }
  }

  /** The highest sequence number ever written for the entity, 0 if none. */
  public long highestSequenceNr(String persistenceId) {
    byte[] v = index.get(highestKey(persistenceId));
    return v == null ? 0L : ByteBuffer.wrap(v).getLong();
  }

  /**
   * Reads entries with {@code from <= sequenceNr <= to} in order, at most {@code maxEntries}, and
   * stops after the entry that makes the total value size reach {@code maxBytes} (at least one
   * entry is returned when one exists).
   */
  public List<StoredEntry> read(
      String persistenceId, long from, long to, long maxEntries, long maxBytes) {
    List<StoredEntry> out = new ArrayList<>();
    byte[] prefix = entryPrefix(persistenceId);
    long bytes = 0;
    try (DBIterator it = index.iterator()) {
      it.seek(entryKey(prefix, Math.max(from, 0L)));
      while (it.hasNext() && out.size() < maxEntries && (out.isEmpty() || bytes < maxBytes)) {
        Map.Entry<byte[], byte[]> kv = it.next();
        byte[] key = kv.getKey();
        if (!hasPrefix(key, prefix)) {
          break;
        }
        long seq = ByteBuffer.wrap(key, prefix.length, 8).getLong();
        if (seq > to) {
          break;
        }
        long global = ByteBuffer.wrap(kv.getValue()).getLong();
        byte[] value = data.get(dataKey(global, persistenceId, seq), DATA_READ);
        for (int again = 0; value == null && again < 3; again++) {
          // gone between the index read and this one: deleted, or replaced (compaction), in
          // which case the index points at the new value (written before the old one goes)
          byte[] now = index.get(key);
          if (now == null) {
            break;
          }
          long moved = ByteBuffer.wrap(now).getLong();
          if (moved == global) {
            break;
          }
          global = moved;
          value = data.get(dataKey(global, persistenceId, seq), DATA_READ);
        }
        if (value == null) {
          continue; // deleted
        }
        out.add(new StoredEntry(seq, value));
        bytes += value.length;
      }
    } catch (IOException e) {
      throw new IllegalStateException("closing a journal iterator failed", e);
    }
    return out;
  }

  /** Number of entries stored for the entity (a scan of its index range; for tests and tools). */
  public long countEntries(String persistenceId) {
    byte[] prefix = entryPrefix(persistenceId);
    long n = 0;
    try (DBIterator it = index.iterator()) {
      it.seek(entryKey(prefix, 0));
      while (it.hasNext() && hasPrefix(it.next().getKey(), prefix)) {
        n++;
      }
    } catch (IOException e) {
      throw new IllegalStateException("closing a journal iterator failed", e);
    }
    return n;
  }

  private void runWriter() {
    List<Op> group = new ArrayList<>();
    while (true) {
      Op first;
      try {
        first = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      group.clear();
      group.add(first);
      int bytes = first instanceof WriteOp w ? w.bytes() : 0;
      // Drain the writes already waiting behind a write: that is the group commit.
      while (first instanceof WriteOp && bytes < settings.maxGroupBytes()) {
        Op next = queue.peek();
        if (!(next instanceof WriteOp w)) {
          break;
        }
        queue.poll();
        group.add(next);
        bytes += w.bytes();
      }
      if (first instanceof WriteOp) {
        commit(group);
      } else if (first instanceof DeleteOp d) {
        delete(d);
      } else if (first instanceof ReplaceOp r) {
        replace(r);
      } else {
        failPending();
        return;
      }
    }
  }

  private void commit(List<Op> group) {
    long firstGlobal = nextGlobalSeq;
    try (WriteBatch dataBatch = data.createWriteBatch();
        WriteBatch indexBatch = index.createWriteBatch()) {
      Map<String, Long> highest = new HashMap<>();
      long global = firstGlobal;
      for (Op op : group) {
        for (Entry e : ((WriteOp) op).entries()) {
          dataBatch.put(dataKey(global, e.persistenceId(), e.sequenceNr()), e.value());
          indexBatch.put(entryKey(entryPrefix(e.persistenceId()), e.sequenceNr()), longBytes(global));
          highest.merge(e.persistenceId(), e.sequenceNr(), Math::max);
          global++;
        }
      }
      for (Map.Entry<String, Long> h : highest.entrySet()) {
        long before = highestSequenceNr(h.getKey());
        if (h.getValue() > before) {
          indexBatch.put(highestKey(h.getKey()), longBytes(h.getValue()));
        }
      }
      indexBatch.put(INDEXED_UP_TO, longBytes(global - 1));
      data.write(dataBatch, dataWrite); // the source of truth first (fsynced when so set) ...
      index.write(indexBatch, INDEX_WRITE); // ... then the index, rebuilt from data on open if lost
      nextGlobalSeq = global;
    } catch (Throwable t) {
      LOG.error("Journal write of {} operations to {} failed", group.size(), dir, t);
      for (Op op : group) {
        ((WriteOp) op).done().completeExceptionally(t);
      }
      return;
    }
    for (Op op : group) {
      ((WriteOp) op).done().complete(null);
    }
  }

  private void replace(ReplaceOp r) {
    byte[] prefix = entryPrefix(r.persistenceId());
    long replaced = 0;
    long global = nextGlobalSeq;
    try (WriteBatch dataBatch = data.createWriteBatch();
        WriteBatch indexBatch = index.createWriteBatch();
        WriteBatch oldData = data.createWriteBatch()) {
      for (StoredEntry e : r.entries()) {
        byte[] key = entryKey(prefix, e.sequenceNr());
        byte[] at = index.get(key);
        if (at == null) {
          continue; // deleted meanwhile: stays deleted
        }
        dataBatch.put(dataKey(global, r.persistenceId(), e.sequenceNr()), e.value());
        indexBatch.put(key, longBytes(global));
        oldData.delete(dataKey(ByteBuffer.wrap(at).getLong(), r.persistenceId(), e.sequenceNr()));
        global++;
        replaced++;
      }
      if (replaced > 0) {
        indexBatch.put(INDEXED_UP_TO, longBytes(global - 1));
        // Synced whatever sluice.log.fsync says: the new values must be on disk before an index
        // that points at them, or a power loss could leave an old, acknowledged batch unreachable.
        // Compaction is rare, so the cost is small.
        data.write(dataBatch, SYNCED); // the new values first: on open they are indexed again
        index.write(indexBatch, SYNCED);
        data.write(oldData, dataWrite); // a crash before this leaves the old values unreachable
        nextGlobalSeq = global;
      }
    } catch (Throwable t) {
      LOG.error("Journal rewrite of {} entries of {} in {} failed", r.entries().size(), r.persistenceId(), dir, t);
      r.done().completeExceptionally(t);
      return;
    }
    r.done().complete(replaced);
  }

  private void delete(DeleteOp d) {
    byte[] prefix = entryPrefix(d.persistenceId());
    long deleted = 0;
    try (WriteBatch indexBatch = index.createWriteBatch();
        WriteBatch dataBatch = data.createWriteBatch();
        DBIterator it = index.iterator()) {
      it.seek(entryKey(prefix, 0));
      while (it.hasNext()) {
        Map.Entry<byte[], byte[]> kv = it.next();
        byte[] key = kv.getKey();
        if (!hasPrefix(key, prefix)) {
          break;
        }
        long seq = ByteBuffer.wrap(key, prefix.length, 8).getLong();
        if (seq > d.toSequenceNr()) {
          break;
        }
        indexBatch.delete(key);
        dataBatch.delete(dataKey(ByteBuffer.wrap(kv.getValue()).getLong(), d.persistenceId(), seq));
        deleted++;
      }
      if (d.forget()) {
        indexBatch.delete(highestKey(d.persistenceId()));
      }
      if (deleted > 0 || d.forget()) {
        // index first: a crash in between leaves unreachable data, never an index entry without data
        index.write(indexBatch, dataWrite);
        data.write(dataBatch, dataWrite);
      }
    } catch (Throwable t) {
      d.done().completeExceptionally(t);
      return;
    }
    if (deleted > 0) {
      byte[] from = entryKey(prefix, 0);
      byte[] to = entryKey(prefix, d.toSequenceNr() == Long.MAX_VALUE ? Long.MAX_VALUE : d.toSequenceNr() + 1);
      compactor.execute(
          () -> {
            if (!closed) {
              index.compactRange(from, to);
            }
          });
    }
    d.done().complete(deleted);
  }

  private void failPending() {
    Op op;
    while ((op = queue.poll()) != null) {
      IllegalStateException closedError = new IllegalStateException("journal " + dir + " is closed");
      if (op instanceof WriteOp w) {
        w.done().completeExceptionally(closedError);
      } else if (op instanceof DeleteOp d) {
        d.done().completeExceptionally(closedError);
      } else if (op instanceof ReplaceOp r) {
        r.done().completeExceptionally(closedError);
      }
    }
  }

  /** Finishes every queued write, then closes LevelDB. Idempotent. */
  @Override
  public void close() {
    synchronized (queue) {
      if (closed) {
        return;
      }
      closed = true;
      queue.add(new Stop());
    }
    try {
      writer.join(TimeUnit.SECONDS.toMillis(30));
      compactor.shutdown();
      compactor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      index.close();
      data.close();
      LOG.info("Closed journal {}", dir);
    } catch (IOException e) {
      LOG.warn("Closing journal {} failed", dir, e);
    }
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static byte[] globalPrefix(long global) {
    return longBytes(global);
  }

  private static byte[] dataKey(long global, String persistenceId, long sequenceNr) {
    byte[] pid = persistenceId.getBytes(UTF_8);
    return ByteBuffer.allocate(8 + 2 + pid.length + 8)
        .putLong(global)
        .putShort((short) pid.length)
        .put(pid)
        .putLong(sequenceNr)
        .array();
  }

  private static byte[] entryPrefix(String persistenceId) {
    byte[] pid = persistenceId.getBytes(UTF_8);
    if (pid.length > 0xFFFF) {
      throw new IllegalArgumentException("persistence id too long: " + pid.length + " bytes");
    }
    return ByteBuffer.allocate(3 + pid.length).put(ENTRY).putShort((short) pid.length).put(pid).array();
  }

  private static byte[] entryKey(byte[] prefix, long sequenceNr) {
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(sequenceNr).array();
  }

  private static byte[] highestKey(String persistenceId) {
    byte[] pid = persistenceId.getBytes(UTF_8);
    return ByteBuffer.allocate(3 + pid.length).put(HIGHEST).putShort((short) pid.length).put(pid).array();
  }

  private static boolean hasPrefix(byte[] key, byte[] prefix) {
    return key.length == prefix.length + 8
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }
}
