package dev.sluice.persistence.journal;

import static java.nio.charset.StandardCharsets.UTF_8;


import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.CompressionType;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.WriteBatch;
import org.iq80.leveldb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's local log: one native LevelDB database (leveldbjni) holding the journal entries of
 * every persistent entity on this node, written with group commit.
 *
 * <h2>On-disk layout</h2>
 * <pre>
 *   entry key:   'e' | pidLength:u16 | pid:utf8 | sequenceNr:i64 (big-endian)  -&gt; entry value (opaque)
 *   highest key: 'h' | pidLength:u16 | pid:utf8                                 -&gt; highest sequenceNr:i64
 * </pre>
 * Big-endian sequence numbers make LevelDB's bytewise order the per-entity sequence order, so a
 * replay or a read is one forward iteration. The highest sequence number is kept under its own
 * key, written in the same batch as the entries, so it survives the deletion of every entry
 * (Pekko Persistence requires sequence numbers never to be reused).
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

  /** One journal entry to write: the entity's persistence id, its sequence number, the value. */
  public record Entry(String persistenceId, long sequenceNr, byte[] value) {}

  /** One entry read back. */
  public record StoredEntry(long sequenceNr, byte[] value) {}

  /** Tuning; {@code writeBufferBytes} is LevelDB's memtable size. */
  public record Settings(
      FsyncPolicy fsync, int writeBufferBytes, long cacheBytes, boolean compression, int maxGroupBytes) {
    public Settings {
      if (writeBufferBytes < 1 << 20) {
        throw new IllegalArgumentException("LevelDB write buffer must be at least 1 MiB, got " + writeBufferBytes);
      }
      if (maxGroupBytes < 1 << 16) {
        throw new IllegalArgumentException("group commit size must be at least 64 KiB, got " + maxGroupBytes);
      }
    }

    public static Settings defaults(FsyncPolicy fsync) {
      return new Settings(fsync, 64 << 20, 64L << 20, false, 8 << 20);
    }
  }

  private sealed interface Op permits WriteOp, DeleteOp, Stop {}

  private record WriteOp(List<Entry> entries, int bytes, CompletableFuture<Void> done) implements Op {}

  private record DeleteOp(String persistenceId, long toSequenceNr, CompletableFuture<Long> done)
      implements Op {}

  private record Stop() implements Op {}

  private final Path dir;
  private final Settings settings;
  private final DB db;
  private final WriteOptions writeOptions;
  private final LinkedBlockingQueue<Op> queue = new LinkedBlockingQueue<>();
  private final Thread writer;
  private final ExecutorService compactor;
  private volatile boolean closed;

  private LevelDbLog(Path dir, Settings settings, DB db) {
    this.dir = dir;
    this.settings = settings;
    this.db = db;
    this.writeOptions = new WriteOptions().sync(settings.fsync() == FsyncPolicy.ALWAYS);
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
   * {@code dir}.
   */
  public static LevelDbLog open(Path dir, Settings settings) throws IOException {
    Files.createDirectories(dir);
    Options options =
        new Options()
            .createIfMissing(true)
            .writeBufferSize(settings.writeBufferBytes())
            .cacheSize(settings.cacheBytes())
            .compressionType(settings.compression() ? CompressionType.SNAPPY : CompressionType.NONE);
    DB db = JniDBFactory.factory.open(dir.toFile(), options);
    LOG.info("Opened journal {} (fsync={})", dir, settings.fsync().name().toLowerCase());
    return new LevelDbLog(dir, settings, db);
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
    if (closed) {
      done.completeExceptionally(new IllegalStateException("journal " + dir + " is closed"));
      return done;
    }
    int bytes = 0;
    for (Entry e : entries) {
      bytes += e.value().length + e.persistenceId().length() + 16;
    }
    queue.add(new WriteOp(entries, bytes, done));
    return done;
  }

  /**
   * Deletes every entry of {@code persistenceId} up to and including {@code toSequenceNr}
   * (ordered after every write queued before it) and then compacts that key range in the
   * background to give the space back. Completes with the number of entries deleted.
   */
  public CompletableFuture<Long> deleteUpTo(String persistenceId, long toSequenceNr) {
    CompletableFuture<Long> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IllegalStateException("journal " + dir + " is closed"));
      return done;
    }
    queue.add(new DeleteOp(persistenceId, toSequenceNr, done));
    return done;
  }

  /** The highest sequence number ever written for the entity, 0 if none. */
  public long highestSequenceNr(String persistenceId) {
    byte[] v = db.get(highestKey(persistenceId));
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
    try (DBIterator it = db.iterator()) {
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
        out.add(new StoredEntry(seq, kv.getValue()));
        bytes += kv.getValue().length;
      }
    } catch (IOException e) {
      throw new IllegalStateException("closing a journal iterator failed", e);
    }
    return out;
  }

  /** Number of entries stored for the entity (a full scan of its range; for tests and tools). */
  public long countEntries(String persistenceId) {
    return read(persistenceId, 0, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE).size();
  }

  /** LevelDB's estimate of the bytes used on disk by the entity's entries. */
  public long approximateSize(String persistenceId) {
    byte[] prefix = entryPrefix(persistenceId);
    long[] sizes =
        db.getApproximateSizes(
            new org.iq80.leveldb.Range(entryKey(prefix, 0), entryKey(prefix, Long.MAX_VALUE)));
    return sizes[0];
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
      // Drain whatever else is already waiting: that is the group commit.
      while (first instanceof WriteOp && bytes < settings.maxGroupBytes()) {
        Op next = queue.peek();
        if (!(next instanceof WriteOp w)) {
          break;
        }
        queue.poll();
        group.add(next);
        bytes += w.bytes();
      }
      boolean stop = false;
      if (first instanceof WriteOp) {
        commit(group);
      } else if (first instanceof DeleteOp d) {
        delete(d);
      } else {
        stop = true;
      }
      if (stop) {
        failPending();
        return;
      }
    }
  }

  private void commit(List<Op> group) {
    try (WriteBatch batch = db.createWriteBatch()) {
      Map<String, Long> highest = new java.util.HashMap<>();
      for (Op op : group) {
        for (Entry e : ((WriteOp) op).entries()) {
          byte[] prefix = entryPrefix(e.persistenceId());
          batch.put(entryKey(prefix, e.sequenceNr()), e.value());
          highest.merge(e.persistenceId(), e.sequenceNr(), Math::max);
        }
      }
      for (Map.Entry<String, Long> h : highest.entrySet()) {
        batch.put(highestKey(h.getKey()), ByteBuffer.allocate(8).putLong(h.getValue()).array());
      }
      db.write(batch, writeOptions);
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

  private void delete(DeleteOp d) {
    byte[] prefix = entryPrefix(d.persistenceId());
    long deleted = 0;
    try (WriteBatch batch = db.createWriteBatch();
        DBIterator it = db.iterator()) {
      it.seek(entryKey(prefix, 0));
      while (it.hasNext()) {
        byte[] key = it.next().getKey();
        if (!hasPrefix(key, prefix) || ByteBuffer.wrap(key, prefix.length, 8).getLong() > d.toSequenceNr()) {
          break;
        }
        batch.delete(key);
        deleted++;
      }
      if (deleted > 0) {
        db.write(batch, writeOptions);
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
              db.compactRange(from, to);
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
      }
    }
  }

  /** Finishes every queued write, then closes LevelDB. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    queue.add(new Stop());
    try {
      writer.join(TimeUnit.SECONDS.toMillis(30));
      compactor.shutdown();
      compactor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      db.close();
      LOG.info("Closed journal {}", dir);
    } catch (IOException e) {
      LOG.warn("Closing journal {} failed", dir, e);
    }
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
