package dev.sluice.actors.partition;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of partition entities, from {@code sluice.partition} (see reference.conf).
 *
 * @param cacheBytes newest batches kept in memory per partition
 * @param snapshotEvery events between snapshots (bounds replay on restart)
 * @param retentionCheckInterval how often retention is enforced
 * @param maxFetchWait upper bound of a long-poll fetch's wait, whatever the client asks
 * @param journalPluginId the Sluice journal plugin the read side reads from
 * @param unknownPartitionIdle how long a partition that does not exist (asked about by a client)
 *     stays up before it stops
 * @param readAheadBytes after a fetch served from the journal, how much of what follows it the
 *     partition reads before it is asked for (0: no read-ahead)
 * @param compactionCheckInterval how often a compacted topic's partition checks whether enough
 *     was written since its last compaction to compact again
 * @param compactionMaxKeys distinct keys one compaction holds in memory; a log with more is
 *     compacted a part at a time
 */
public record PartitionSettings(
    long cacheBytes,
    int snapshotEvery,
    Duration retentionCheckInterval,
    Duration maxFetchWait,
    String journalPluginId,
    Duration unknownPartitionIdle,
    long readAheadBytes,
    Duration compactionCheckInterval,
    int compactionMaxKeys) {

  /** Settings with the default compaction settings (15 s checks, 1,000,000 keys). */
  public PartitionSettings(
      long cacheBytes, int snapshotEvery, Duration retentionCheckInterval, Duration maxFetchWait, String journalPluginId,
      Duration unknownPartitionIdle, long readAheadBytes) {
    this(cacheBytes, snapshotEvery, retentionCheckInterval, maxFetchWait, journalPluginId, unknownPartitionIdle, readAheadBytes,
        Duration.ofSeconds(15), 1_000_000);
  }

  public PartitionSettings {
    if (cacheBytes < 0) {
      throw new IllegalArgumentException("sluice.partition.cache-size must be >= 0, got " + cacheBytes);
    }
    if (readAheadBytes < 0 || readAheadBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("sluice.partition.read-ahead must be between 0 and 2 GiB, got " + readAheadBytes);
    }
    if (snapshotEvery < 1) {
      throw new IllegalArgumentException("sluice.partition.snapshot-every must be >= 1, got " + snapshotEvery);
    }
    if (retentionCheckInterval.isNegative() || retentionCheckInterval.isZero()) {
      throw new IllegalArgumentException("sluice.partition.retention-check-interval must be positive");
    }
    if (compactionCheckInterval.isNegative() || compactionCheckInterval.isZero()) {
      throw new IllegalArgumentException("sluice.partition.compaction-check-interval must be positive");
    }
    if (compactionMaxKeys < 1) {
      throw new IllegalArgumentException("sluice.partition.compaction-max-keys must be >= 1, got " + compactionMaxKeys);
    }
  }

  public static PartitionSettings fromConfig(Config root) {
    Config c = root.getConfig("sluice.partition");
    return new PartitionSettings(
        c.getBytes("cache-size"),
        c.getInt("snapshot-every"),
        c.getDuration("retention-check-interval"),
        c.getDuration("max-fetch-wait"),
        root.getString("pekko.persistence.journal.plugin"),
        c.getDuration("unknown-partition-idle"),
        c.getBytes("read-ahead"),
        c.getDuration("compaction-check-interval"),
        c.getInt("compaction-max-keys"));
  }
}
