package dev.sluice.persistence.partition;

/**
 * Where one stored batch is: its offsets, the journal sequence number of its
 * {@link BatchAppended} event, its size, and timestamps for time-based lookups and retention.
 *
 * @param recordCount offsets the batch spans: its records as appended (compaction may leave
 *     fewer records in it, never fewer offsets)
 * @param position bytes stored in the partition before this batch (since the partition was created)
 * @param maxTimestampSoFar the largest batch max-timestamp up to and including this batch
 *     (monotonic, so the first offset at or after a timestamp is a binary search)
 */
public record BatchRef(
    long baseOffset,
    int recordCount,
    long sequenceNr,
    int sizeInBytes,
    long maxTimestamp,
    long position,
    long maxTimestampSoFar) {

  public long lastOffset() {
    return baseOffset + recordCount - 1;
  }

  public long nextOffset() {
    return baseOffset + recordCount;
  }

  public long endPosition() {
    return position + sizeInBytes;
  }
}
