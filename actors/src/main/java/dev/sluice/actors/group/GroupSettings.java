package dev.sluice.actors.group;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of consumer-group coordinators, from {@code sluice.group} (see reference.conf). The
 * names follow Kafka's broker settings of the same meaning.
 *
 * @param minSessionTimeout shortest session timeout a member may ask for (group.min.session.timeout.ms)
 * @param maxSessionTimeout longest session timeout a member may ask for (group.max.session.timeout.ms)
 * @param initialRebalanceDelay how long the first rebalance of an empty group waits for more
 *     members (group.initial.rebalance.delay.ms); zero completes it as soon as possible
 * @param maxOffsetMetadataLength longest metadata string of a committed offset (offset.metadata.max.bytes)
 * @param offsetsRetention how long the offsets of an empty group are kept (offsets.retention.minutes)
 * @param offsetsRetentionCheckInterval how often expired offsets are looked for
 *     (offsets.retention.check.interval.ms)
 * @param snapshotEvery journaled events between snapshots of a group
 */
public record GroupSettings(
    Duration minSessionTimeout,
    Duration maxSessionTimeout,
    Duration initialRebalanceDelay,
    int maxOffsetMetadataLength,
    Duration offsetsRetention,
    Duration offsetsRetentionCheckInterval,
    int snapshotEvery,
    Duration unknownGroupIdle) {

  public GroupSettings {
    if (minSessionTimeout == null || minSessionTimeout.isNegative()) {
      throw new IllegalArgumentException("sluice.group.min-session-timeout must be >= 0");
    }
    if (maxSessionTimeout == null || maxSessionTimeout.compareTo(minSessionTimeout) < 0) {
      throw new IllegalArgumentException(
          "sluice.group.max-session-timeout must be >= min-session-timeout (" + minSessionTimeout + "), got " + maxSessionTimeout);
    }
    if (initialRebalanceDelay == null || initialRebalanceDelay.isNegative()) {
      throw new IllegalArgumentException("sluice.group.initial-rebalance-delay must be >= 0");
    }
    if (maxOffsetMetadataLength < 0) {
      throw new IllegalArgumentException("sluice.group.max-offset-metadata-bytes must be >= 0, got " + maxOffsetMetadataLength);
    }
    if (!isPositive(offsetsRetention)) {
      throw new IllegalArgumentException("sluice.group.offsets-retention must be positive");
    }
    if (!isPositive(offsetsRetentionCheckInterval)) {
      throw new IllegalArgumentException("sluice.group.offsets-retention-check-interval must be positive");
    }
    if (snapshotEvery < 1) {
      throw new IllegalArgumentException("sluice.group.snapshot-every must be >= 1, got " + snapshotEvery);
    }
  }

  public static GroupSettings fromConfig(Config root) {
    Config c = root.getConfig("sluice.group");
    return new GroupSettings(
        c.getDuration("min-session-timeout"),
        c.getDuration("max-session-timeout"),
        c.getDuration("initial-rebalance-delay"),
        c.getBytes("max-offset-metadata-bytes").intValue(),
        c.getDuration("offsets-retention"),
        c.getDuration("offsets-retention-check-interval"),
        c.getInt("snapshot-every"),
        c.getDuration("unknown-group-idle"));
  }

  private static boolean isPositive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }
}
