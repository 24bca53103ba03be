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
 * </ul>
 * Other Kafka topic settings that have no effect in Sluice are accepted and reported back
 * unchanged in {@code unenforced}, so tools that set them keep working; unknown names are
 * refused.
 */
public record TopicConfig(
    long retentionMs,
    long retentionBytes,
    int maxMessageBytes,
    String timestampType,
    Map<String, String> unenforced) {

  public static final String RETENTION_MS = "retention.ms";
  public static final String RETENTION_BYTES = "retention.bytes";
  public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
  public static final String TIMESTAMP_TYPE = "message.timestamp.type";
  public static final String CLEANUP_POLICY = "cleanup.policy";

  public static final long DEFAULT_RETENTION_MS = 7L * 24 * 3600 * 1000;
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1048588;

  /** Kafka topic settings accepted and stored, but not acted on by Sluice. */
  public static final Set<String> ACCEPTED_UNENFORCED =
      Set.of(
          "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
          "index.interval.bytes", "local.retention.bytes", "local.retention.ms", "max.compaction.lag.ms",
          "message.timestamp.after.max.ms", "message.timestamp.before.max.ms", "min.cleanable.dirty.ratio",
          "min.compaction.lag.ms", "min.insync.replicas", "preallocate", "segment.bytes", "segment.index.bytes",
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
  }

  public static TopicConfig defaults() {
    return new TopicConfig(DEFAULT_RETENTION_MS, -1, DEFAULT_MAX_MESSAGE_BYTES, "CreateTime", Map.of());
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
        case CLEANUP_POLICY -> {
          if (!value.equals("delete")) {
            throw new InvalidConfigException(
                CLEANUP_POLICY + "=" + value + " is not supported: Sluice only deletes by retention (cleanup.policy=delete)");
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
    return new TopicConfig(rMs, rBytes, maxBytes, tsType, other);
  }

  /** Every setting with its current value, Kafka names, for describe-configs style listings. */
  public Map<String, String> asKafkaConfigs() {
    Map<String, String> out = new TreeMap<>(unenforced);
    out.put(RETENTION_MS, Long.toString(retentionMs));
    out.put(RETENTION_BYTES, Long.toString(retentionBytes));
    out.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
    out.put(TIMESTAMP_TYPE, timestampType);
    out.put(CLEANUP_POLICY, "delete");
    return out;
  }

  private static long parseLong(String key, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new InvalidConfigException(key + " must be a whole number, got '" + value + "'");
    }
  }
}
