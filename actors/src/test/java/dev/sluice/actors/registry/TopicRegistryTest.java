package dev.sluice.actors.registry;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.registry.TopicRegistry.TopicList;
import dev.sluice.actors.registry.TopicRegistry.TopicResult;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.serialization.VersionedCborSerializer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry as a sharded entity on a real journal, with real partition entities: every
 * command, every error, what the partitions see, and serialization of every message.
 * The tests share one node and use distinct topic names.
 */
class TopicRegistryTest {
  @TempDir static Path dataDir;
  static RegistryNode node;

  @BeforeAll
  static void start() {
    node = new RegistryNode(dataDir);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static void assertOk(TopicResult r, String what) {
    assertEquals(TopicError.NONE, r.error(), what + " failed: " + r.message());
  }

  static void assertError(TopicResult r, TopicError expected, String messagePart) {
    assertEquals(expected, r.error(), "error code; message was: " + r.message());
    assertTrue(r.message() != null && r.message().contains(messagePart), "message should mention '" + messagePart + "', was: " + r.message());
    assertNull(r.topic(), "a rejected command answers no metadata");
  }

  static List<String> names(TopicList list) {
    return list.topics().stream().map(TopicMetadata::name).toList();
  }

  @Test
  void topicLifecycleCreatesAndDeletesItsPartitions() {
    long before = System.currentTimeMillis();
    TopicResult created = node.create("orders", 3, Map.of("retention.ms", "60000"));
    long after = System.currentTimeMillis();
    assertOk(created, "create orders");
    TopicMetadata t = created.topic();
    assertEquals("orders", t.name());
    assertEquals(3, t.partitions());
    assertEquals(60_000, t.config().retentionMs(), "the requested setting is in the metadata");
    assertEquals(t.topicId(), UUID.fromString(t.topicId()).toString(), "the topic id is a UUID");
    assertTrue(t.createdAtMillis() >= before && t.createdAtMillis() <= after, "creation time " + t.createdAtMillis() + " is now");

    for (int p = 0; p < 3; p++) {
      PartitionEntity.PartitionInfo info = node.describePartition("orders", p);
      assertEquals(PartitionError.NONE, info.error(), "partition " + p + " exists once CreateTopic answered");
      assertEquals("orders", info.topic(), "partition " + p + " knows its topic");
      assertEquals(p, info.partition());
      assertEquals(t.config(), info.config(), "partition " + p + " enforces the topic's settings");
    }
    assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.describePartition("orders", 3).error(), "no partition 3");

    assertEquals(t, node.describe("orders").topic(), "describe answers what create answered");
    TopicList list = node.list();
    assertEquals(TopicError.NONE, list.error());
    assertTrue(names(list).contains("orders"), "list holds orders: " + names(list));

    assertOk(node.delete("orders"), "delete orders");
    assertError(node.describe("orders"), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "does not exist");
    assertFalse(names(node.list()).contains("orders"), "list no longer holds orders");
    for (int p = 0; p < 3; p++) {
      assertEquals(
          PartitionError.UNKNOWN_TOPIC_OR_PARTITION,
          node.describePartition("orders", p).error(),
          "partition " + p + " is gone once DeleteTopic answered");
    }

    TopicResult again = node.create("orders", 1, Map.of());
    assertOk(again, "create orders again");
    assertNotEquals(t.topicId(), again.topic().topicId(), "a new incarnation gets a new id");
    PartitionEntity.PartitionInfo p0 = node.describePartition("orders", 0);
    assertEquals(PartitionError.NONE, p0.error(), "partition 0 of the new incarnation exists");
    assertEquals(TopicConfig.defaults(), p0.config(), "and has the new incarnation's settings");
  }

  @Test
  void everyErrorGetsItsTypedReply() {
    assertOk(node.create("dup", 2, Map.of()), "create dup");
    assertError(node.create("dup", 2, Map.of()), TopicError.TOPIC_ALREADY_EXISTS, "already exists");
    assertError(node.create("bad name", 1, Map.of()), TopicError.INVALID_TOPIC_EXCEPTION, "is illegal");
    assertError(node.create("..", 1, Map.of()), TopicError.INVALID_TOPIC_EXCEPTION, "cannot be \".\" or \"..\"");
    assertError(node.create("x".repeat(250), 1, Map.of()), TopicError.INVALID_TOPIC_EXCEPTION, "longer than 249");
    assertError(node.create("no-partitions", 0, Map.of()), TopicError.INVALID_PARTITIONS, "at least 1");
    assertError(node.create("bad-config", 1, Map.of("retention.ms", "often")), TopicError.INVALID_CONFIG, "retention.ms must be a whole number");
    assertError(node.create(null, 1, Map.of()), TopicError.INVALID_REQUEST, "names no topic");
    assertFalse(names(node.list()).contains("bad-config"), "a rejected topic is not listed");
    assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.describePartition("bad-config", 0).error(), "a rejected topic has no partitions");

    assertError(node.describe("missing"), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "does not exist");
    assertError(node.delete("missing"), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "does not exist");
    assertError(node.alter("missing", Map.of("retention.ms", "1")), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "does not exist");
    assertError(node.createPartitions("missing", 3), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "does not exist");

    assertError(node.createPartitions("dup", 2), TopicError.INVALID_PARTITIONS, "already has 2 partitions");
    assertError(node.createPartitions("dup", 1), TopicError.INVALID_PARTITIONS, "higher than the requested 1");
    assertError(node.alter("dup", Map.of("unknown.setting", "1")), TopicError.INVALID_CONFIG, "unknown topic setting");
    assertEquals(2, node.describe("dup").topic().partitions(), "rejected commands leave the topic as it was");
  }

  @Test
  void createPartitionsCreatesTheNewPartitions() {
    TopicMetadata t = node.create("grow", 2, Map.of("max.message.bytes", "4096")).topic();
    TopicResult grown = node.createPartitions("grow", 5);
    assertOk(grown, "grow to 5");
    assertEquals(5, grown.topic().partitions());
    assertEquals(t.topicId(), grown.topic().topicId(), "same topic");
    assertEquals(5, node.describe("grow").topic().partitions(), "describe shows 5 partitions");
    for (int p = 0; p < 5; p++) {
      PartitionEntity.PartitionInfo info = node.describePartition("grow", p);
      assertEquals(PartitionError.NONE, info.error(), "partition " + p + " exists");
      assertEquals(4096, info.config().maxMessageBytes(), "partition " + p + " has the topic's settings");
    }
  }

  @Test
  void alterConfigReachesEveryPartition() {
    assertOk(node.create("tuned", 2, Map.of()), "create tuned");
    TopicResult altered = node.alter("tuned", Map.of("retention.ms", "1000", "message.timestamp.type", "LogAppendTime"));
    assertOk(altered, "alter tuned");
    assertEquals(1000, altered.topic().config().retentionMs());
    assertTrue(altered.topic().config().logAppendTime());
    for (int p = 0; p < 2; p++) {
      assertEquals(altered.topic().config(), node.describePartition("tuned", p).config(), "partition " + p + " has the new settings");
    }

    assertOk(node.alter("tuned", Map.of("retention.ms", "1000")), "an alter that changes nothing");

    Map<String, String> reset = new HashMap<>();
    reset.put("retention.ms", null);
    TopicResult back = node.alter("tuned", reset);
    assertOk(back, "reset retention.ms");
    assertEquals(TopicConfig.DEFAULT_RETENTION_MS, back.topic().config().retentionMs(), "reset to the default");
    assertTrue(back.topic().config().logAppendTime(), "the other setting stays");
    assertEquals(back.topic().config(), node.describe("tuned").topic().config());
    for (int p = 0; p < 2; p++) {
      assertEquals(back.topic().config(), node.describePartition("tuned", p).config(), "partition " + p + " has the reset settings");
    }
  }

  @Test
  void aPartitionLeftFromAnEarlierIncarnationIsReplaced() {
    // As if a crash came between an earlier "stale" topic's deletion and its partitions' Delete.
    PartitionEntity.Ack created =
        node.askPartition(
            "stale", 0, PartitionEntity.Ack.class,
            r -> new PartitionEntity.Create("stale", 0, "old-id", TopicConfig.defaults(), r));
    assertEquals(PartitionError.NONE, created.error());
    PartitionEntity.AppendResult appended =
        node.askPartition(
            "stale", 0, PartitionEntity.AppendResult.class,
            r -> PartitionEntity.Append.of(List.of(LogRecord.of(1L, null, "old".getBytes(UTF_8))), r));
    assertEquals(PartitionError.NONE, appended.error());

    TopicResult result = node.create("stale", 1, Map.of());
    assertOk(result, "create over a stale partition");
    PartitionEntity.PartitionInfo info = node.describePartition("stale", 0);
    assertEquals(PartitionError.NONE, info.error());
    assertEquals(1, info.logStartOffset(), "the old incarnation's record is gone (offsets continue)");
    assertEquals(
        PartitionError.INVALID_REQUEST,
        node.askPartition("stale", 0, PartitionEntity.Ack.class, r -> new PartitionEntity.Create("stale", 0, "old-id", TopicConfig.defaults(), r)).error(),
        "the partition no longer belongs to the old id");
    assertEquals(
        PartitionError.NONE,
        node.askPartition("stale", 0, PartitionEntity.Ack.class, r -> new PartitionEntity.Create("stale", 0, result.topic().topicId(), TopicConfig.defaults(), r)).error(),
        "the partition belongs to the new id");
  }

  @Test
  void everyMessageEventAndTheStateSerialize() {
    SerializationTestKit serialization = new SerializationTestKit(node.kit.system());
    TestProbe<TopicResult> results = node.kit.createTestProbe(TopicResult.class);
    TestProbe<TopicList> lists = node.kit.createTestProbe(TopicList.class);
    TestProbe<PartitionEntity.Ack> acks = node.kit.createTestProbe(PartitionEntity.Ack.class);
    TopicConfig config = TopicConfig.defaults().with(Map.of("retention.ms", "5000", "segment.bytes", "1024", "message.timestamp.type", "LogAppendTime"));
    TopicMetadata meta = new TopicMetadata("orders", UUID.randomUUID().toString(), 3, config, 1_700_000_000_000L);
    Map<String, String> withReset = new HashMap<>();
    withReset.put("retention.ms", null);
    withReset.put("flush.ms", "10");

    List<Object> messages =
        List.of(
            new TopicRegistry.CreateTopic("orders", 3, Map.of("retention.ms", "5000"), results.getRef()),
            new TopicRegistry.DescribeTopic("orders", results.getRef()),
            new TopicRegistry.ListTopics(lists.getRef()),
            new TopicRegistry.DeleteTopic("orders", results.getRef()),
            new TopicRegistry.CreatePartitions("orders", 6, results.getRef()),
            new TopicRegistry.AlterTopicConfig("orders", withReset, results.getRef()),
            new TopicRegistry.PartitionReplied(7, PartitionError.NONE, null, config, null),
            new TopicRegistry.PartitionReplied(8, null, null, null, "no answer within 10000 ms"),
            new TopicRegistry.PartitionReplied(9, PartitionError.INVALID_REQUEST, "another incarnation", null, null, "old-id"),
            new TopicRegistry.RetryPartitionRequest(TopicRegistry.RequestKind.REPLACE, "orders", meta.topicId(), 2, 3),
            new TopicResult(TopicError.NONE, null, meta),
            new TopicResult(TopicError.REQUEST_TIMED_OUT, "partition 1: no answer", meta),
            new TopicResult(TopicError.UNKNOWN_TOPIC_OR_PARTITION, "Topic 'x' does not exist.", null),
            new TopicList(TopicError.NONE, null, List.of(meta, meta.withPartitions(9))),
            new TopicList(TopicError.NONE, null, List.of()));
    for (Object m : messages) {
      serialization.verifySerialization(m, true);
    }
    // the partition command the registry sends, carrying the settings it resolved
    serialization.verifySerialization(new PartitionEntity.Create("orders", 0, meta.topicId(), config, acks.getRef()), true);

    List<Object> persisted =
        List.of(
            new TopicRegistryEvent.TopicCreated("orders", meta.topicId(), 3, config, 1_700_000_000_000L),
            new TopicRegistryEvent.TopicDeleted("orders", meta.topicId()),
            new TopicRegistryEvent.PartitionDeletionConfirmed("orders", meta.topicId(), List.of(0, 2)),
            new TopicRegistryEvent.PartitionsAdded("orders", meta.topicId(), 3, 6),
            new TopicRegistryEvent.TopicConfigAltered("orders", meta.topicId(), config),
            TopicRegistryState.empty(),
            new TopicRegistryState(Map.of("orders", meta, "other", new TopicMetadata("other", "id-2", 1, TopicConfig.defaults(), 5L))),
            new TopicRegistryState(
                Map.of(), Map.of(), Map.of(),
                Map.of(meta.topicId(), new TopicRegistryState.PendingDeletion(meta, List.of(0, 2)))));
    Serialization serializers = SerializationExtension.get(node.kit.system().classicSystem());
    for (Object p : persisted) {
      assertEquals(
          VersionedCborSerializer.IDENTIFIER,
          serializers.findSerializerFor(p).identifier(),
          p.getClass().getSimpleName() + " is persisted with the versioned CBOR serializer");
      Object back = serialization.verifySerialization(p, true);
      assertNotNull(back);
    }
  }
}
