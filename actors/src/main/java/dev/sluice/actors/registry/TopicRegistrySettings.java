package dev.sluice.actors.registry;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the topic registry, from {@code sluice.registry} (see reference.conf).
 *
 * @param partitionRequestTimeout how long to wait for one partition to confirm a request
 * @param maxPartitionRequestsInFlight partition requests outstanding at once; the rest queue
 * @param retryBackoffMin first delay of a background retry of a failed partition request
 * @param retryBackoffMax the delay doubles per attempt up to this
 * @param snapshotEvery registry events between snapshots of the topic table
 * @param reassignmentCheckInterval how often the registry (re)starts the copy of every partition
 *     move in progress (a copy that failed, or whose node was down, starts over)
 */
public record TopicRegistrySettings(
    Duration partitionRequestTimeout,
    int maxPartitionRequestsInFlight,
    Duration retryBackoffMin,
    Duration retryBackoffMax,
    int snapshotEvery,
    Duration reassignmentCheckInterval,
    Duration handOffTimeout) {

  public TopicRegistrySettings(
      Duration partitionRequestTimeout, int maxPartitionRequestsInFlight, Duration retryBackoffMin, Duration retryBackoffMax,
      int snapshotEvery) {
    this(
        partitionRequestTimeout, maxPartitionRequestsInFlight, retryBackoffMin, retryBackoffMax, snapshotEvery,
        Duration.ofSeconds(5), Duration.ofSeconds(5));
  }

  public TopicRegistrySettings {
    if (!isPositive(handOffTimeout)) {
      throw new IllegalArgumentException("sluice.registry.hand-off-timeout must be positive");
    }
    if (!isPositive(reassignmentCheckInterval)) {
      throw new IllegalArgumentException("sluice.registry.reassignment-check-interval must be positive");
    }
    if (!isPositive(partitionRequestTimeout)) {
      throw new IllegalArgumentException("sluice.registry.partition-request-timeout must be positive");
    }
    if (maxPartitionRequestsInFlight < 1) {
      throw new IllegalArgumentException(
          "sluice.registry.max-partition-requests-in-flight must be >= 1, got " + maxPartitionRequestsInFlight);
    }
    if (!isPositive(retryBackoffMin) || !isPositive(retryBackoffMax) || retryBackoffMax.compareTo(retryBackoffMin) < 0) {
      throw new IllegalArgumentException(
          "sluice.registry.retry-backoff-min and -max must be positive with min <= max, got "
              + retryBackoffMin + " and " + retryBackoffMax);
    }
    if (snapshotEvery < 1) {
      throw new IllegalArgumentException("sluice.registry.snapshot-every must be >= 1, got " + snapshotEvery);
    }
  }

  public static TopicRegistrySettings fromConfig(Config root) {
    Config c = root.getConfig("sluice.registry");
    return new TopicRegistrySettings(
        c.getDuration("partition-request-timeout"),
        c.getInt("max-partition-requests-in-flight"),
        c.getDuration("retry-backoff-min"),
        c.getDuration("retry-backoff-max"),
        c.getInt("snapshot-every"),
        c.getDuration("reassignment-check-interval"),
        c.getDuration("hand-off-timeout"));
  }

  /** Delay before retry number {@code attempt} (1-based): min, doubling, capped at max. */
  public Duration retryDelay(int attempt) {
    Duration d = retryBackoffMin;
    for (int i = 1; i < attempt && d.compareTo(retryBackoffMax) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(retryBackoffMax) > 0 ? retryBackoffMax : d;
  }

  private static boolean isPositive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }
}
