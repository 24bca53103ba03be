package dev.sluice.dsl.javadsl;

import java.time.Duration;

/**
 * How a {@link Committer} batches commits: a commit is sent once {@code maxBatch} offsets have
 * arrived or {@code maxInterval} has passed since the first uncommitted one, whichever is first,
 * and when the stream completes (so a drained stream commits everything it processed). Commits
 * are sent one at a time, in order.
 */
public record CommitterSettings(int maxBatch, Duration maxInterval) {
  public CommitterSettings {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
    }
    if (maxInterval.isNegative() || maxInterval.isZero()) {
      throw new IllegalArgumentException("maxInterval must be positive, got " + maxInterval);
    }
  }

  /** 1,000 offsets or 5 seconds (Kafka's auto-commit interval). */
  public static CommitterSettings defaults() {
    return new CommitterSettings(1000, Duration.ofSeconds(5));
  }

  public CommitterSettings withMaxBatch(int n) {
    return new CommitterSettings(n, maxInterval);
  }

  public CommitterSettings withMaxInterval(Duration d) {
    return new CommitterSettings(maxBatch, d);
  }
}
