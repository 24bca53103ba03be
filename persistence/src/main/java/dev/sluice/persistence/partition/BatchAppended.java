package dev.sluice.persistence.partition;

import dev.sluice.persistence.batch.RecordBatches;

/**
 * One record batch appended to a partition: the Kafka v2 batch exactly as stored (base offset
 * assigned by the partition) and the log-append time. Serialized in binary by
 * {@link dev.sluice.persistence.serialization.BatchAppendedSerializer} (id 7301).
 *
 * <p>Offsets, record count and timestamps are read from the batch header, not duplicated.
 */
public record BatchAppended(long logAppendTime, byte[] batch) implements PartitionEvent {

  public long baseOffset() {
    return RecordBatches.baseOffset(batch);
  }

  public int recordCount() {
    return RecordBatches.recordCount(batch);
  }

  /** The batch's last offset; a compacted batch keeps it with fewer records than offsets. */
  public long lastOffset() {
    return baseOffset() + RecordBatches.lastOffsetDelta(batch);
  }

  /** Offsets the batch spans: its record count as appended, kept when it is compacted. */
  public int offsetCount() {
    return RecordBatches.lastOffsetDelta(batch) + 1;
  }

  public long maxTimestamp() {
    return RecordBatches.maxTimestamp(batch);
  }

  /** The idempotent producer's id, -1 if the batch has none. */
  public long producerId() {
    return RecordBatches.producerId(batch);
  }

  public short producerEpoch() {
    return RecordBatches.producerEpoch(batch);
  }

  public int baseSequence() {
    return RecordBatches.baseSequence(batch);
  }

  public int sizeInBytes() {
    return batch.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BatchAppended b && logAppendTime == b.logAppendTime && java.util.Arrays.equals(batch, b.batch);
  }

  @Override
  public int hashCode() {
    return 31 * Long.hashCode(logAppendTime) + java.util.Arrays.hashCode(batch);
  }

  @Override
  public String toString() {
    return "BatchAppended[baseOffset=" + baseOffset() + ", records=" + recordCount() + ", bytes=" + batch.length + "]";
  }
}
