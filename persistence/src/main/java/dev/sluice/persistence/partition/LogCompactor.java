package dev.sluice.persistence.partition;

import java.nio.ByteBuffer;
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

  /**
   * The newest offset of each key seen, up to {@code maxKeys} keys: an open-addressing table of
   * the keys' MD5 digests (as Kafka's cleaner keeps its offset map), 24 bytes a slot, grown as
   * keys come, so a large key costs no more than a small one.
   */
  public static final class KeyIndex {
    private final int maxKeys;
    private final java.security.MessageDigest md5;
    private long[] hi = new long[1024];
    private long[] lo = new long[1024];
    private long[] offsets = filled(1024);
    private int size;

    public KeyIndex(int maxKeys) {
      this.maxKeys = maxKeys;
      try {
        md5 = java.security.MessageDigest.getInstance("MD5");
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException("MD5 is part of every JDK", e);
      }
    }

    public int size() {
      return size;
    }

    /** Whether a batch with {@code records} more keys might not fit. */
    public boolean full(int records) {
      return (long) size + records > maxKeys;
    }

    Long latest(ByteBuffer key) {
      digest(key);
      int slot = find(digestHi, digestLo);
      return offsets[slot] < 0 ? null : offsets[slot];
    }

    void put(ByteBuffer key, long offset) {
      digest(key);
      int slot = find(digestHi, digestLo);
      if (offsets[slot] < 0) {
        hi[slot] = digestHi;
        lo[slot] = digestLo;
        offsets[slot] = offset;
        if (++size * 4L > offsets.length * 3L) {
          grow();
        }
      } else if (offset > offsets[slot]) {
        offsets[slot] = offset;
      }
    }

    private long digestHi;
    private long digestLo;

    private void digest(ByteBuffer key) {
      md5.update(key.duplicate());
      ByteBuffer d = ByteBuffer.wrap(md5.digest());
      digestHi = d.getLong();
      digestLo = d.getLong();
    }

    /** The slot holding the digest, or the empty slot where it would go. */
    private int find(long h, long l) {
      int mask = offsets.length - 1;
      int slot = (int) (h ^ (h >>> 32)) & mask;
      while (offsets[slot] >= 0 && (hi[slot] != h || lo[slot] != l)) {
        slot = (slot + 1) & mask;
      }
      return slot;
    }

    private void grow() {
      long[] oldHi = hi;
      long[] oldLo = lo;
      long[] oldOffsets = offsets;
      hi = new long[oldOffsets.length * 2];
      lo = new long[oldOffsets.length * 2];
      offsets = filled(oldOffsets.length * 2);
      for (int i = 0; i < oldOffsets.length; i++) {
        if (oldOffsets[i] >= 0) {
          int slot = find(oldHi[i], oldLo[i]);
          hi[slot] = oldHi[i];
          lo[slot] = oldLo[i];
          offsets[slot] = oldOffsets[i];
        }
      }
    }

    private static long[] filled(int n) {
      long[] a = new long[n];
      java.util.Arrays.fill(a, -1L);
      return a;
    }
  }

  /** Adds the keys of {@code batch} (one v2 batch, between position and limit) to {@code keys}. */
  public static void record(ByteBuffer batch, KeyIndex keys) {
    for (MutableRecordBatch b : MemoryRecords.readableRecords(batch.duplicate()).batches()) {
      try (CloseableIterator<Record> it = b.streamingIterator(BufferSupplier.NO_CACHING)) {
        while (it.hasNext()) {
          Record r = it.next();
          if (r.hasKey()) {
            keys.put(r.key(), r.offset());
          }
        }
      }
    }
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

}
