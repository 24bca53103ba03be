package dev.sluice.persistence.partition;

import dev.sluice.persistence.batch.RecordBatches;
import dev.sluice.persistence.journal.JournalEntryCodec;
import dev.sluice.persistence.journal.JournalStores;
import dev.sluice.persistence.journal.LevelDbLog;
import dev.sluice.persistence.serialization.BatchAppendedSerializer;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.ActorSystem;

/**
 * The read side of partition logs: reads stored {@link BatchAppended} events straight from the
 * node's {@link LevelDbLog} (on a blocking executor), and deletes journal prefixes that
 * retention has released. Needs the Sluice journal plugin ({@code sluice.persistence.journal}).
 * Thread-safe.
 */
public final class PartitionJournal {
  private final ActorSystem system;
  private final String journalPluginId;
  private final Executor blocking;

  public PartitionJournal(ActorSystem system, String journalPluginId, Executor blocking) {
    this.system = system;
    this.journalPluginId = journalPluginId;
    this.blocking = blocking;
  }

  private LevelDbLog log() {
    return JournalStores.get(system)
        .log(journalPluginId)
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the partition read side needs Sluice's journal plugin '" + journalPluginId
                        + "' running (pekko.persistence.journal.plugin)"));
  }

  /**
   * Reads the batches stored under sequence numbers {@code from..to} (other events are skipped),
   * stopping once {@code maxBytes} is reached (the first batch is always returned). Each batch is
   * a view of the journal entry it was read from (the form a Fetch response carries, uncopied;
   * callers must not write to them). Empty when nothing is stored in that range.
   */
  public CompletionStage<List<ByteBuffer>> readBatchBuffers(String persistenceId, long from, long to, int maxBytes) {
    return CompletableFuture.supplyAsync(
        () -> {
          List<ByteBuffer> out = new ArrayList<>();
          long total = 0;
          // a stored value is its batch and a header of about 70 bytes (entry, writer id, event),
          // as much as the smallest batch: 3 x maxBytes of values holds every batch that fits (the
          // caller's range usually ends sooner)
          for (LevelDbLog.StoredEntry entry : log().read(persistenceId, from, to, Long.MAX_VALUE, 3L * maxBytes + 64L * 1024)) {
            ByteBuffer batch = batchOf(entry);
            if (batch == null) {
              continue;
            }
            if (!out.isEmpty() && total + batch.remaining() > maxBytes) {
              break;
            }
            out.add(batch);
            total += batch.remaining();
          }
          return out;
        },
        blocking);
  }

  /**
   * What one compaction did: the offsets it covered and what it rewrote; {@code lastSequenceNr}:
   * the last journal entry it covered (the next compaction's keys start after it);
   * {@code deleteHorizon}: the earliest time a tombstone it kept may go ({@link Long#MAX_VALUE}:
   * none kept).
   */
  public record Compaction(
      long fromOffset, long endOffset, long lastSequenceNr, int batchesRead, int batchesRewritten, long bytesBefore,
      long bytesAfter, long recordsBefore, long recordsAfter, int keys, long deleteHorizon) {}

  /** Compactions run one at a time per JVM (a node), beside the reads of the blocking dispatcher. */
  private static final java.util.concurrent.ExecutorService COMPACTIONS =
      java.util.concurrent.Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "sluice-compaction");
            t.setDaemon(true);
            return t;
          });

  /** Rewritten entries handed to the journal's writer at a time, so appends are not held up long. */
  private static final int REPLACE_BYTES = 1 << 20;

  /**
   * Compacts the batches stored under sequence numbers {@code from..to} ({@link LogCompactor}),
   * as Kafka's cleaner does: the newest offset of each key is collected from the entries written
   * since the last compaction ({@code dirtyFrom..to}; what is before was compacted already), at
   * most {@code maxKeys} keys, stopping at the batch where more would be needed (the next
   * compaction goes on from there); then every batch from {@code from} up to where the keys were
   * collected is rewritten without the records those keys supersede and without tombstones past
   * their horizon ({@link LevelDbLog#replace}). Reads {@code chunkBytes} at a time.
   */
  public CompletionStage<Compaction> compact(
      String persistenceId, long from, long dirtyFrom, long to, long now, long deleteRetentionMs, int maxKeys, int chunkBytes) {
    return CompletableFuture.supplyAsync(
        () -> {
          LevelDbLog log = log();
          LogCompactor.KeyIndex keys = new LogCompactor.KeyIndex(maxKeys);
          long[] lastSeq = {Math.max(from, dirtyFrom) - 1};
          // pass 1: the newest offset of each key written since the last compaction
          forEachEntry(log, persistenceId, Math.max(from, dirtyFrom), to, chunkBytes, (e, batch) -> {
            if (batch != null) {
              if (keys.size() > 0 && keys.full(RecordBatches.recordCount(batch))) {
                return false;
              }
              LogCompactor.record(batch, keys);
            }
            lastSeq[0] = e.sequenceNr();
            return true;
          });
          // pass 2: rewrite what loses records, from the log start to where the keys were taken
          CompactionTally t = new CompactionTally();
          List<LevelDbLog.StoredEntry> replaced = new ArrayList<>();
          forEachEntry(log, persistenceId, from, lastSeq[0], chunkBytes, (e, batch) -> {
            if (batch == null) {
              return true;
            }
            t.read++;
            if (t.firstOffset < 0) {
              t.firstOffset = RecordBatches.baseOffset(batch);
            }
            t.endOffset = RecordBatches.nextOffsetAfter(batch);
            t.bytesBefore += batch.remaining();
            t.recordsBefore += RecordBatches.recordCount(batch);
            byte[] compacted = LogCompactor.compact(batch, keys, now, deleteRetentionMs);
            ByteBuffer after = compacted == null ? batch : ByteBuffer.wrap(compacted);
            t.bytesAfter += after.remaining();
            t.recordsAfter += RecordBatches.recordCount(after);
            t.horizon = Math.min(t.horizon, LogCompactor.deleteHorizon(after));
            if (compacted != null) {
              replaced.add(new LevelDbLog.StoredEntry(e.sequenceNr(), withBatch(e.value(), compacted)));
              t.replacedBytes += compacted.length;
              if (t.replacedBytes >= REPLACE_BYTES) {
                t.rewritten += log.replace(persistenceId, replaced).join().intValue();
                replaced.clear();
                t.replacedBytes = 0;
              }
            }
            return true;
          });
          if (!replaced.isEmpty()) {
            t.rewritten += log.replace(persistenceId, replaced).join().intValue();
          }
          return new Compaction(
              t.firstOffset, t.endOffset, lastSeq[0], t.read, t.rewritten, t.bytesBefore, t.bytesAfter, t.recordsBefore,
              t.recordsAfter, keys.size(), t.horizon);
        },
        COMPACTIONS);
  }

  /** What pass 2 of a compaction counts as it goes. */
  private static final class CompactionTally {
    long firstOffset = -1;
    long endOffset = -1;
    int read;
    int rewritten;
    long bytesBefore;
    long bytesAfter;
    long recordsBefore;
    long recordsAfter;
    long horizon = Long.MAX_VALUE;
    long replacedBytes;
  }

  /**
   * Calls {@code visit} with each entry stored under {@code from..to}, in order, and its record
   * batch (null for other events), read {@code chunkBytes} at a time, until it returns false.
   */
  private static void forEachEntry(
      LevelDbLog log, String persistenceId, long from, long to, int chunkBytes,
      java.util.function.BiPredicate<LevelDbLog.StoredEntry, ByteBuffer> visit) {
    for (long seq = from; seq <= to; ) {
      List<LevelDbLog.StoredEntry> chunk = log.read(persistenceId, seq, to, Long.MAX_VALUE, chunkBytes);
      if (chunk.isEmpty()) {
        return;
      }
      for (LevelDbLog.StoredEntry e : chunk) {
        seq = e.sequenceNr() + 1;
        if (!visit.test(e, batchOf(e))) {
          return;
        }
      }
    }
  }

  /** The record batch of a stored {@link BatchAppended} entry (a view), null for other events. */
  private static ByteBuffer batchOf(LevelDbLog.StoredEntry e) {
    JournalEntryCodec.Decoded d = JournalEntryCodec.decode(e.value());
    return d.serializerId() == BatchAppendedSerializer.IDENTIFIER ? BatchAppendedSerializer.batchRegion(d.payload()) : null;
  }

  /** The stored entry {@code value} (a {@link BatchAppended}) with {@code batch} in place of its batch. */
  private static byte[] withBatch(byte[] value, byte[] batch) {
    JournalEntryCodec.Decoded d = JournalEntryCodec.decode(value);
    BatchAppended next = new BatchAppended(BatchAppendedSerializer.logAppendTime(d.payload()), batch);
    return JournalEntryCodec.encode(
        d.serializerId(), d.manifest(), d.writerUuid(), d.timestamp(), BatchAppendedSerializer.sizeOf(next),
        buf -> BatchAppendedSerializer.write(next, buf));
  }

  /** Deletes the journal entries up to and including {@code toSequenceNr}; completes with the count. */
  public CompletionStage<Long> deleteUpTo(String persistenceId, long toSequenceNr) {
    try {
      return log().deleteUpTo(persistenceId, toSequenceNr);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Starts the journal plugin if no entity of this node has used it yet (Pekko starts plugins on
   * first use) and completes once its log is open: a node that holds no partition yet can then
   * receive a copy of one. Another journal plugin (Pekko's own, for a comparison) is started and
   * not waited for: it has no log here, and only the read side needs one.
   */
  public CompletionStage<Void> ensureStarted() {
    if (JournalStores.get(system).log(journalPluginId).isPresent()) {
      return CompletableFuture.completedFuture(null);
    }
    org.apache.pekko.persistence.Persistence.get(system).journalFor(journalPluginId, com.typesafe.config.ConfigFactory.empty());
    String pluginClass = system.settings().config().getString(journalPluginId + ".class");
    if (!pluginClass.equals(dev.sluice.persistence.journal.SluiceJournal.class.getName())) {
      return CompletableFuture.completedFuture(null);
    }
    return CompletableFuture.runAsync(
        () -> {
          long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
          while (JournalStores.get(system).log(journalPluginId).isEmpty()) {
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException("journal plugin '" + journalPluginId + "' did not start within 30 s");
            }
            try {
              Thread.sleep(10);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
          }
        },
        blocking);
  }

  /**
   * The stored journal entries of {@code persistenceId} from sequence number {@code from} on, as
   * they are on disk (for copying a log to another node), up to about {@code maxBytes}.
   */
  public CompletionStage<List<LevelDbLog.StoredEntry>> readRaw(String persistenceId, long from, int maxBytes) {
    return CompletableFuture.supplyAsync(() -> log().read(persistenceId, from, Long.MAX_VALUE, 100_000, maxBytes), blocking);
  }

  /** Writes entries read by {@link #readRaw} on another node into this node's log, unchanged. */
  public CompletionStage<Void> writeRaw(String persistenceId, List<LevelDbLog.StoredEntry> entries) {
    List<LevelDbLog.Entry> out = new ArrayList<>(entries.size());
    for (LevelDbLog.StoredEntry e : entries) {
      out.add(new LevelDbLog.Entry(persistenceId, e.sequenceNr(), e.value()));
    }
    try {
      return log().write(out);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Removes every entry of the entity and forgets its sequence numbers ({@link LevelDbLog#purge}). */
  public CompletionStage<Long> purge(String persistenceId) {
    try {
      return log().purge(persistenceId);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Entries the journal holds for the entity (a scan; for tests and tools). */
  public long countEntries(String persistenceId) {
    return log().countEntries(persistenceId);
  }
}
