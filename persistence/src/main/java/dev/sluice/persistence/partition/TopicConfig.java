package dev.sluice.persistence.partition;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The per-topic settings Sluice honours, with Kafka's names and defaults.
 *
 * <ul>
 *   <li>{@code retention.ms}: batches whose newest timestamp is older than this are deleted
 *       ({@code -1}: keep forever). Default 7 days.</li>
 *   <li>{@code retention.bytes}: the oldest batches are deleted while the log would stay at least
 *       this large without them ({@code -1}: no limit). Default -1.</li>
 *   <li>{@code max.message.bytes}: the largest record batch accepted. Default 1 MiB + 12 bytes.</li>
 *   <li>{@code message.timestamp.type}: {@code CreateTime} or {@code LogAppendTime}.</li>
 *   <li>{@code cleanup.policy}: {@code delete} (retention by time and size), {@code compact}
 *       (keep the newest record of each key; no retention) or both. Compaction also reads
 *       {@code delete.retention.ms} (how long a tombstone stays once compaction saw it; default
 *       1 day) and {@code min.cleanable.dirty.ratio} (the share of the log written since the
 *       last compaction that starts the next one; default 0.5) and {@code min.compaction.lag.ms}
 *       (batches with newer records are not compacted yet; default 0).</li>
 * </ul>
 * Other Kafka topic settings that have no effect in Sluice are accepted and reported back
 * unchanged in {@code unenforced}, so tools that set them keep working; unknown names are
 * refused. The two compaction settings above are kept in that map too (configs stored before
 * Sluice compacted keep reading), but are checked and honoured.
 */
public record TopicConfig(
    long retentionMs,
    long retentionBytes,
    int maxMessageBytes,
    String timestampType,
    Map<String, String> unenforced,
    String cleanupPolicy) {

  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
  public static final String TIMESTAMP_TYPE = "message.timestamp.type";
  public static final String CLEANUP_POLICY = "cleanup.policy";

  public static final String DELETE_RETENTION_MS = "delete.retention.ms";
  public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
  public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";

  public static final long DEFAULT_RETENTION_MS = 7L * 24 * 3600 * 1000;
  public static final long DEFAULT_DELETE_RETENTION_MS = 24L * 3600 * 1000;
  public static final double DEFAULT_MIN_CLEANABLE_DIRTY_RATIO = 0.5;

  /** Compaction's settings, kept with the unenforced ones by name, and their defaults. */
  private static final Map<String, String> COMPACTION_DEFAULTS =
      Map.of(
          DELETE_RETENTION_MS, Long.toString(DEFAULT_DELETE_RETENTION_MS),
          MIN_CLEANABLE_DIRTY_RATIO, Double.toString(DEFAULT_MIN_CLEANABLE_DIRTY_RATIO),
          MIN_COMPACTION_LAG_MS, "0");
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1048588;

  /** Kafka topic settings accepted and stored, but not acted on by Sluice. */
  public static final Set<String> ACCEPTED_UNENFORCED =
      Set.of(
          "compression.type", "file.delete.delay.ms", "flush.messages", "flush.ms",
          "index.interval.bytes", "local.retention.bytes", "local.retention.ms", "max.compaction.lag.ms",
          "message.timestamp.after.max.ms", "message.timestamp.before.max.ms", "min.insync.replicas", "preallocate", "segment.bytes", "segment.index.bytes",
          "segment.jitter.ms", "segment.ms", "unclean.leader.election.enable", "message.downconversion.enable");

  /** Thrown for a setting that is unknown or has an invalid value; the message says which. */
  public static final class InvalidConfigException extends IllegalArgumentException {
    public InvalidConfigException(String message) {
      super(message);
    }
  }

  public TopicConfig {
    if (retentionMs < -1) {
      throw new InvalidConfigException(RETENTION_MS + " must be -1 (forever) or >= 0, got " + retentionMs);
    }
    if (retentionBytes < -1) {
      throw new InvalidConfigException(RETENTION_BYTES + " must be -1 (no limit) or >= 0, got " + retentionBytes);
    }
    if (maxMessageBytes < 0) {
      throw new InvalidConfigException(MAX_MESSAGE_BYTES + " must be >= 0, got " + maxMessageBytes);
    }
    if (timestampType == null) {
      timestampType = "CreateTime";
    }
    if (!timestampType.equals("CreateTime") && !timestampType.equals("LogAppendTime")) {
      throw new InvalidConfigException(TIMESTAMP_TYPE + " must be CreateTime or LogAppendTime, got " + timestampType);
    }
    unenforced = unenforced == null ? Map.of() : Map.copyOf(unenforced);
    cleanupPolicy = cleanupPolicy == null ? "delete" : cleanupPolicy; // configs stored before compaction existed
    policies(cleanupPolicy);
    // delete.retention.ms and min.cleanable.dirty.ratio are checked by with(), not here: before
    // Sluice compacted they were stored unchecked, and a stored config must always read back
  }

  /** A config with the delete cleanup policy. */
  public TopicConfig(long retentionMs, long retentionBytes, int maxMessageBytes, String timestampType, Map<String, String> unenforced) {
    this(retentionMs, retentionBytes, maxMessageBytes, timestampType, unenforced, "delete");
  }

  public static TopicConfig defaults() {
    return new TopicConfig(DEFAULT_RETENTION_MS, -1, DEFAULT_MAX_MESSAGE_BYTES, "CreateTime", Map.of(), "delete");
  }

  /** Whether the log is compacted ({@code cleanup.policy} has {@code compact}). */
  public boolean compact() {
    return cleanupPolicy.contains("compact"); // checked in the constructor: a list of delete and compact
  }

  /** Whether retention deletes old batches ({@code cleanup.policy} has {@code delete}). */
  public boolean delete() {
    return cleanupPolicy.contains("delete");
  }

  public long deleteRetentionMs() {
    return (long) storedCompactionSetting(DELETE_RETENTION_MS);
  }

  /** {@code min.compaction.lag.ms}: records newer than this are not compacted yet (default 0). */
  public long minCompactionLagMs() {
    return (long) storedCompactionSetting(MIN_COMPACTION_LAG_MS);
  }

  public double minCleanableDirtyRatio() {
    return storedCompactionSetting(MIN_CLEANABLE_DIRTY_RATIO);
  }

  /**
   * A compaction setting as stored, or its default: also for a value that is not valid, as
   * these were stored unchecked before Sluice compacted.
   */
  private double storedCompactionSetting(String key) {
    String value = unenforced.get(key);
    try {
      return compactionSetting(key, value == null ? COMPACTION_DEFAULTS.get(key) : value);
    } catch (InvalidConfigException e) {
      return compactionSetting(key, COMPACTION_DEFAULTS.get(key));
    }
  }

  /** A compaction setting's value, checked: the ratio from 0 to 1, the times >= 0. */
  private static double compactionSetting(String key, String value) {
    if (!key.equals(MIN_CLEANABLE_DIRTY_RATIO)) {
      return parseLong(key, value, 0);
    }
    try {
      double r = Double.parseDouble(value.trim());
      if (r >= 0 && r <= 1) {
        return r;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new InvalidConfigException(MIN_CLEANABLE_DIRTY_RATIO + " must be a number from 0 to 1, got '" + value + "'");
  }

  private static java.util.List<String> policies(String value) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (String p : value.split(",")) {
      String policy = p.trim();
      if (!policy.equals("delete") && !policy.equals("compact")) {
        throw new InvalidConfigException(CLEANUP_POLICY + " must be delete, compact or both (compact,delete), got '" + value + "'");
      }
      if (!out.contains(policy)) {
        out.add(policy);
      }
    }
    return out;
  }

  public boolean logAppendTime() {
    return timestampType.equals("LogAppendTime");
  }

  /** This config with the given Kafka-named settings applied on top. */
  public TopicConfig with(Map<String, String> settings) {
    long rMs = retentionMs;
    long rBytes = retentionBytes;
    int maxBytes = maxMessageBytes;
    String tsType = timestampType;
    String policy = cleanupPolicy;
    Map<String, String> other = new TreeMap<>(unenforced);
    for (Map.Entry<String, String> e : settings.entrySet()) {
      String key = e.getKey();
      String value = e.getValue();
      if (value == null) {
        throw new InvalidConfigException("topic setting " + key + " has no value");
      }
      switch (key) {
        case RETENTION_MS -> rMs = parseLong(key, value);
        case RETENTION_BYTES -> rBytes = parseLong(key, value);
        case MAX_MESSAGE_BYTES -> maxBytes = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, parseLong(key, value)));
        case TIMESTAMP_TYPE -> tsType = value;
        case CLEANUP_POLICY -> policy = String.join(",", policies(value));
        // compaction's settings: kept with the others by name (checked when the config is built)
        // (a default value is not kept, so a config fed its own listing back stays equal)
        case DELETE_RETENTION_MS, MIN_COMPACTION_LAG_MS, MIN_CLEANABLE_DIRTY_RATIO -> {
          if (compactionSetting(key, value) == compactionSetting(key, COMPACTION_DEFAULTS.get(key))) {
            other.remove(key);
          } else {
            other.put(key, value.trim());
          }
        }
        default -> {
          if (!ACCEPTED_UNENFORCED.contains(key)) {
            throw new InvalidConfigException("unknown topic setting '" + key + "'");
          }
          other.put(key, value);
        }
      }
    }
    return new TopicConfig(rMs, rBytes, maxBytes, tsType, other, policy);
  }

  /** Every setting with its current value, Kafka names, for describe-configs style listings. */
  public Map<String, String> asKafkaConfigs() {
    Map<String, String> out = new TreeMap<>(unenforced);
    out.put(RETENTION_MS, Long.toString(retentionMs));
    out.put(RETENTION_BYTES, Long.toString(retentionBytes));
    out.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
    out.put(TIMESTAMP_TYPE, timestampType);
    out.put(CLEANUP_POLICY, cleanupPolicy);
    COMPACTION_DEFAULTS.forEach(out::putIfAbsent);
    return out;
  }

  private static long parseLong(String key, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new InvalidConfigException(key + " must be a whole number, got '" + value + "'");
    }
  }

  private static long parseLong(String key, String value, long min) {
    long v = parseLong(key, value);
    if (v < min) {
      throw new InvalidConfigException(key + " must be >= " + min + ", got " + v);
    }
    return v;
  }
}
