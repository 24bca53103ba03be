package dev.sluice.persistence.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.persistence.partition.TopicConfig.InvalidConfigException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Tests of the per-topic settings: Kafka names, defaults, validation. */
class TopicConfigTest {

  @Test
  void defaultsAreKafkas() {
    TopicConfig c = TopicConfig.defaults();

    assertEquals(7L * 24 * 60 * 60 * 1000, c.retentionMs(), "retention.ms default: 7 days");
    assertEquals(-1L, c.retentionBytes(), "retention.bytes default: no limit");
    assertEquals(1_048_588, c.maxMessageBytes(), "max.message.bytes default: 1 MiB + 12");
    assertEquals("CreateTime", c.timestampType(), "message.timestamp.type default");
    assertFalse(c.logAppendTime(), "CreateTime is not LogAppendTime");
    assertEquals(Map.of(), c.unenforced(), "no unenforced settings by default");
  }

  @Test
  void nullTimestampTypeAndUnenforcedTakeTheirDefaults() {
    TopicConfig c = new TopicConfig(1, 2, 3, null, null);
    assertEquals("CreateTime", c.timestampType());
    assertEquals(Map.of(), c.unenforced());
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "retention.ms,           0,             retentionMs,     0",
    "retention.ms,           -1,            retentionMs,     -1",
    "retention.ms,           86400000,      retentionMs,     86400000",
    "retention.ms,           ' 42 ',        retentionMs,     42",
    "retention.ms,           9223372036854775807, retentionMs, 9223372036854775807",
    "retention.bytes,        -1,            retentionBytes,  -1",
    "retention.bytes,        0,             retentionBytes,  0",
    "retention.bytes,        1073741824,    retentionBytes,  1073741824",
    "max.message.bytes,      0,             maxMessageBytes, 0",
    "max.message.bytes,      2097152,       maxMessageBytes, 2097152",
    "max.message.bytes,      2147483647,    maxMessageBytes, 2147483647",
    "message.timestamp.type, LogAppendTime, timestampType,   LogAppendTime",
    "message.timestamp.type, CreateTime,    timestampType,   CreateTime",
  })
  void withAppliesEveryHonouredKey(String key, String value, String field, String expected) {
    TopicConfig before = TopicConfig.defaults().with(Map.of(TopicConfig.TIMESTAMP_TYPE, "LogAppendTime"));
    TopicConfig c = before.with(Map.of(key, value));

    Map<String, Object> actual =
        Map.of(
            "retentionMs", c.retentionMs(),
            "retentionBytes", c.retentionBytes(),
            "maxMessageBytes", c.maxMessageBytes(),
            "timestampType", c.timestampType());
    assertEquals(expected, actual.get(field).toString(), key + "=" + value + " should set " + field);
    for (String other : actual.keySet()) {
      if (!other.equals(field)) {
        Map<String, Object> previous =
            Map.of(
                "retentionMs", before.retentionMs(),
                "retentionBytes", before.retentionBytes(),
                "maxMessageBytes", before.maxMessageBytes(),
                "timestampType", before.timestampType());
        assertEquals(previous.get(other), actual.get(other), key + "=" + value + " must not change " + other);
      }
    }
    assertEquals(c.timestampType().equals("LogAppendTime"), c.logAppendTime(), "logAppendTime()");
  }

  @Test
  void withLeavesTheOriginalUnchangedAndAppliesSeveralKeysAtOnce() {
    TopicConfig original = TopicConfig.defaults();
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("retention.ms", "1000");
    settings.put("retention.bytes", "5000");
    settings.put("max.message.bytes", "65536");
    settings.put("message.timestamp.type", "LogAppendTime");
    settings.put("cleanup.policy", "delete");
    settings.put("segment.bytes", "1048576");

    TopicConfig changed = original.with(settings);

    assertEquals(new TopicConfig(1000, 5000, 65536, "LogAppendTime", Map.of("segment.bytes", "1048576")), changed);
    assertTrue(changed.logAppendTime(), "LogAppendTime set");
    assertEquals(TopicConfig.defaults(), original, "with() must not change the config it is called on");
    assertEquals(original, original.with(Map.of()), "with(no settings)");
  }

  static Stream<String> unenforcedKeys() {
    return TopicConfig.ACCEPTED_UNENFORCED.stream().sorted();
  }

  @ParameterizedTest
  @MethodSource("unenforcedKeys")
  void acceptedButUnenforcedKeysAreStoredAndReported(String key) {
    TopicConfig c = TopicConfig.defaults().with(Map.of(key, "some-value"));

    assertEquals(Map.of(key, "some-value"), c.unenforced(), key + " should be kept in unenforced");
    assertEquals("some-value", c.asKafkaConfigs().get(key), key + " should be reported by asKafkaConfigs");
    assertEquals(
        TopicConfig.defaults().asKafkaConfigs().size() + 1, c.asKafkaConfigs().size(),
        "asKafkaConfigs should list " + key + " beside the honoured settings");
    TopicConfig overwritten = c.with(Map.of(key, "other-value"));
    assertEquals(Map.of(key, "other-value"), overwritten.unenforced(), key + " overwritten by a later with()");
    assertEquals(Map.of(key, "some-value"), c.unenforced(), "the earlier config must keep its value");
  }

  @Test
  void compactionPoliciesAndSettingsAreHonouredAndReported() {
    TopicConfig defaults = TopicConfig.defaults();
    assertTrue(defaults.delete());
    assertFalse(defaults.compact());
    assertEquals(24L * 3600 * 1000, defaults.deleteRetentionMs());
    assertEquals(0.5, defaults.minCleanableDirtyRatio());

    TopicConfig compact = defaults.with(Map.of("cleanup.policy", "compact", "delete.retention.ms", "1000", "min.cleanable.dirty.ratio", "0.1"));
    assertTrue(compact.compact());
    assertFalse(compact.delete(), "compact alone: retention does not delete");
    assertEquals(1000, compact.deleteRetentionMs());
    assertEquals(0.1, compact.minCleanableDirtyRatio());
    assertEquals("compact", compact.asKafkaConfigs().get("cleanup.policy"));
    assertEquals("1000", compact.asKafkaConfigs().get("delete.retention.ms"));

    TopicConfig both = defaults.with(Map.of("cleanup.policy", " delete , compact"));
    assertTrue(both.compact() && both.delete());
    assertEquals("delete,compact", both.cleanupPolicy());
    assertEquals("delete", both.with(Map.of("cleanup.policy", "delete")).cleanupPolicy());
    assertEquals(defaults, new TopicConfig(defaults.retentionMs(), -1, defaults.maxMessageBytes(), "CreateTime", Map.of(), null),
        "a config stored before compaction existed reads as delete");
    assertEquals(60_000, defaults.with(Map.of("min.compaction.lag.ms", "60000")).minCompactionLagMs());
    assertEquals(0, defaults.minCompactionLagMs());

    // before Sluice compacted, these were stored unchecked: a stored bad value reads back as the default
    TopicConfig stored = new TopicConfig(1, -1, 100, "CreateTime", Map.of("min.cleanable.dirty.ratio", "abc", "delete.retention.ms", "-5"), null);
    assertEquals(0.5, stored.minCleanableDirtyRatio());
    assertEquals(24L * 3600 * 1000, stored.deleteRetentionMs());
  }

  @Test
  void cleanupPolicyDeleteIsAcceptedAndNotStoredAsUnenforced() {
    TopicConfig c = TopicConfig.defaults().with(Map.of("cleanup.policy", "delete"));
    assertEquals(TopicConfig.defaults(), c, "cleanup.policy=delete is what Sluice does anyway");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "retention.ms,           abc",
    "retention.ms,           1.5",
    "retention.ms,           ''",
    "retention.ms,           7d",
    "retention.ms,           -2",
    "retention.ms,           -9223372036854775808",
    "retention.ms,           9223372036854775808",
    "retention.bytes,        ten",
    "retention.bytes,        -2",
    "max.message.bytes,      1MB",
    "max.message.bytes,      -1",
    "max.message.bytes,      -4294967296",
    "max.message.bytes,      -9223372036854775808",
    "message.timestamp.type, createtime",
    "message.timestamp.type, LOGAPPENDTIME",
    "message.timestamp.type, NoTimestampType",
    "message.timestamp.type, ''",
    "cleanup.policy,         'compact,purge'",
    "cleanup.policy,         Delete",
    "cleanup.policy,         ''",
    "delete.retention.ms,    -1",
    "delete.retention.ms,    1d",
    "min.cleanable.dirty.ratio, 1.5",
    "min.cleanable.dirty.ratio, half",
    "retention.msx,          1",
    "segment.byte,           1",
    "log.retention.ms,       1",
  })
  void rejectsUnknownKeysAndBadValuesNamingTheKey(String key, String value) {
    TopicConfig before = TopicConfig.defaults();

    InvalidConfigException e =
        assertThrows(InvalidConfigException.class, () -> before.with(Map.of(key, value)), key + "=" + value);

    assertTrue(e.getMessage().contains(key), "message should name " + key + ": " + e.getMessage());
  }

  @Test
  void rejectsASettingWithoutValueNamingTheKey() {
    Map<String, String> settings = new HashMap<>();
    settings.put("retention.ms", null);

    InvalidConfigException e =
        assertThrows(InvalidConfigException.class, () -> TopicConfig.defaults().with(settings));
    assertTrue(e.getMessage().contains("retention.ms"), "message should name the key: " + e.getMessage());
  }

  @Test
  void theConstructorValidatesToo() {
    assertThrows(InvalidConfigException.class, () -> new TopicConfig(-2, -1, 0, "CreateTime", Map.of()), "retention.ms");
    assertThrows(InvalidConfigException.class, () -> new TopicConfig(-1, -2, 0, "CreateTime", Map.of()), "retention.bytes");
    assertThrows(InvalidConfigException.class, () -> new TopicConfig(-1, -1, -1, "CreateTime", Map.of()), "max.message.bytes");
    assertThrows(InvalidConfigException.class, () -> new TopicConfig(-1, -1, 0, "Now", Map.of()), "timestamp type");
  }

  @Test
  void unenforcedIsACopy() {
    Map<String, String> source = new HashMap<>(Map.of("segment.ms", "1"));
    TopicConfig c = new TopicConfig(-1, -1, 0, "CreateTime", source);

    source.put("segment.ms", "2");

    assertEquals(Map.of("segment.ms", "1"), c.unenforced(), "changing the caller's map must not change the config");
    assertThrows(UnsupportedOperationException.class, () -> c.unenforced().put("x", "y"), "unenforced is read-only");
  }

  @Test
  void asKafkaConfigsListsEverySettingWithKafkaNames() {
    assertEquals(
        Map.of(
            "retention.ms", "604800000",
            "retention.bytes", "-1",
            "max.message.bytes", "1048588",
            "message.timestamp.type", "CreateTime",
            "cleanup.policy", "delete",
            "delete.retention.ms", "86400000",
            "min.cleanable.dirty.ratio", "0.5",
            "min.compaction.lag.ms", "0"),
        TopicConfig.defaults().asKafkaConfigs(),
        "asKafkaConfigs of the defaults");

    TopicConfig c =
        TopicConfig.defaults()
            .with(Map.of("retention.ms", "-1", "max.message.bytes", "100", "min.insync.replicas", "2"));
    Map<String, String> expected = new TreeMap<>();
    expected.put("retention.ms", "-1");
    expected.put("retention.bytes", "-1");
    expected.put("max.message.bytes", "100");
    expected.put("message.timestamp.type", "CreateTime");
    expected.put("cleanup.policy", "delete");
    expected.put("min.insync.replicas", "2");
    expected.put("delete.retention.ms", "86400000");
    expected.put("min.cleanable.dirty.ratio", "0.5");
    expected.put("min.compaction.lag.ms", "0");
    assertEquals(expected, c.asKafkaConfigs(), "asKafkaConfigs with an unenforced setting");
  }

  @Test
  void asKafkaConfigsFedBackThroughWithGivesTheSameConfig() {
    TopicConfig c =
        TopicConfig.defaults()
            .with(
                Map.of(
                    "retention.ms", "3600000", "retention.bytes", "123456", "max.message.bytes", "777",
                    "message.timestamp.type", "LogAppendTime", "segment.ms", "60000", "preallocate", "true"));

    assertEquals(c, TopicConfig.defaults().with(c.asKafkaConfigs()), "defaults().with(c.asKafkaConfigs())");
  }
}
