package dev.sluice.persistence.partition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The newest batches of one partition kept in memory, bounded by bytes, so consumers at the
 * head of the log are served without touching the journal. Not thread-safe: owned by the
 * partition entity.
 */
public final class RecentBatches {
  private final long maxBytes;
  private final TreeMap<Long, BatchAppended> byBaseOffset = new TreeMap<>();
  private long bytes;

  public RecentBatches(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Adds the newest batch and evicts the oldest ones beyond the byte bound. */
  public void add(BatchAppended batch) {
    BatchAppended replaced = byBaseOffset.put(batch.baseOffset(), batch);
    bytes += batch.sizeInBytes() - (replaced == null ? 0 : replaced.sizeInBytes());
    while (bytes > maxBytes && byBaseOffset.size() > 1) {
      bytes -= byBaseOffset.pollFirstEntry().getValue().sizeInBytes();
    }
  }

  /** Forgets batches that end below {@code logStartOffset}. */
  public void evictBelow(long logStartOffset) {
    while (!byBaseOffset.isEmpty() && byBaseOffset.firstEntry().getValue().lastOffset() < logStartOffset) {
      bytes -= byBaseOffset.pollFirstEntry().getValue().sizeInBytes();
    }
  }

  public void clear() {
    byBaseOffset.clear();
    bytes = 0;
  }

  /**
   * The cached batches from the one containing {@code offset}, until {@code maxBytes} is reached
   * (the first batch is always included), or {@code null} when the cache does not hold that batch.
   */
  public List<BatchAppended> from(long offset, int maxBytes) {
    Map.Entry<Long, BatchAppended> start = byBaseOffset.floorEntry(offset);
    if (start == null || start.getValue().lastOffset() < offset) {
      return null;
    }
    List<BatchAppended> out = new ArrayList<>();
    long total = 0;
    for (BatchAppended b : byBaseOffset.tailMap(start.getKey(), true).values()) {
      if (!out.isEmpty() && total + b.sizeInBytes() > maxBytes) {
        break;
      }
      out.add(b);
      total += b.sizeInBytes();
    }
    return out;
  }

  public long bytes() {
    return bytes;
  }

  public int batches() {
    return byBaseOffset.size();
  }
}
