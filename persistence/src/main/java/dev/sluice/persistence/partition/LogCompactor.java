package dev.sluice.persistence.partition;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

/**
 * Log compaction of one partition's batches, Kafka's rules: of the records that share a key only
 * the one with the highest offset stays; a tombstone (a record with a key and no value) stays
 * until its batch's delete horizon, which the first compaction that sees it sets to that moment
 * plus {@code delete.retention.ms}, so a reader that started earlier still sees the deletion.
 * Records without a key are kept. Offsets never change: a rewritten batch keeps its base and last
 * offset and its producer fields, and a batch left with no records stays as an empty batch, so
 * each journal entry keeps covering the offsets it covered. Kafka's own batch filter
 * ({@link MemoryRecords#filterTo}) does the rewriting.
 *
 * <p>Use: {@link #record} every batch of the range to compact, oldest first, into a
 * {@link KeyIndex} (the newest offset of each key), then {@link #compact} each batch against it.
 */
public final class LogCompactor {
  private LogCompactor() {}

  /** The newest offset of each key seen, up to {@code maxKeys} keys. */
  public static final class KeyIndex {
    private final Map<ByteBuffer, Long> latest = new HashMap<>();
    private final int maxKeys;

    public KeyIndex(int maxKeys) {
      this.maxKeys = maxKeys;
    }

    public int size() {
      return latest.size();
    }

    /** Whether a batch with {@code records} more keys might not fit. */
    public boolean full(int records) {
      return latest.size() + records > maxKeys;
    }

    Long latest(ByteBuffer key) {
      return latest.get(key);
    }
  }

  /** Adds the keys of {@code batch} (one v2 batch, between position and limit) to {@code keys}. */
  public static void record(ByteBuffer batch, KeyIndex keys) {
    for (MutableRecordBatch b : MemoryRecords.readableRecords(batch.duplicate()).batches()) {
      try (CloseableIterator<Record> it = b.streamingIterator(BufferSupplier.NO_CACHING)) {
        while (it.hasNext()) {
          Record r = it.next();
          if (r.hasKey()) {
            keys.latest.merge(copy(r.key()), r.offset(), Math::max);
          }
        }
      }
    }
  }

  /** Records in a batch: the header's count, without decompressing. */
  public static int recordCount(ByteBuffer batch) {
    return batch.getInt(batch.position() + org.apache.kafka.common.record.internal.DefaultRecordBatch.RECORDS_COUNT_OFFSET);
  }

  /**
   * {@code batch} without the records {@code keys} supersedes and without the tombstones past
   * their delete horizon at {@code now}; null when nothing changes.
   */
  public static byte[] compact(ByteBuffer batch, KeyIndex keys, long now, long deleteRetentionMs) {
    MemoryRecords in = MemoryRecords.readableRecords(batch.duplicate());
    MemoryRecords.RecordFilter filter =
        new MemoryRecords.RecordFilter(now, deleteRetentionMs) {
          @Override
          protected BatchRetentionResult checkBatchRetention(RecordBatch b) {
            // one batch in, one batch out: its journal entry keeps covering its offsets
            return new BatchRetentionResult(BatchRetention.RETAIN_EMPTY, false);
          }

          @Override
          protected boolean shouldRetainRecord(RecordBatch b, Record r) {
            if (!r.hasKey()) {
              return true;
            }
            Long newest = keys.latest(r.key());
            if (newest != null && r.offset() < newest) {
              return false;
            }
            return r.hasValue() || b.deleteHorizonMs().isEmpty() || now < b.deleteHorizonMs().getAsLong();
          }
        };
    MemoryRecords.FilterResult result = in.filterTo(filter, ByteBuffer.allocate(batch.remaining()), BufferSupplier.NO_CACHING);
    ByteBuffer out = result.outputBuffer();
    out.flip();
    if (out.equals(batch.duplicate())) {
      return null;
    }
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    return bytes;
  }

  /**
   * When the batch's tombstones may go: its delete horizon if it still holds a tombstone,
   * {@link Long#MAX_VALUE} otherwise (a batch keeps its horizon after its tombstones went).
   */
  public static long deleteHorizon(ByteBuffer batch) {
    MutableRecordBatch b = MemoryRecords.readableRecords(batch.duplicate()).batches().iterator().next();
    if (b.deleteHorizonMs().isEmpty()) {
      return Long.MAX_VALUE;
    }
    try (CloseableIterator<Record> it = b.streamingIterator(BufferSupplier.NO_CACHING)) {
      while (it.hasNext()) {
        if (!it.next().hasValue()) {
          return b.deleteHorizonMs().getAsLong();
        }
      }
    }
    return Long.MAX_VALUE;
  }

  private static ByteBuffer copy(ByteBuffer key) {
    ByteBuffer c = ByteBuffer.allocate(key.remaining());
    c.put(key.duplicate()).flip();
    return c;
  }
}
