package dev.sluice.actors.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.registry.TopicRegistry.TopicResult;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.TopicConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry survives restarts, and brings partitions in line after a restart or a failure. */
class TopicRegistryRecoveryTest {
  @TempDir Path dataDir;

  /** Snapshots every 3 events, so a restart recovers from snapshot + events. */
  static final String SNAPSHOTS = "sluice.registry.snapshot-every = 3\n";

  /** Asserts {@code check} within {@code max}, polling. */
  static void eventually(RegistryNode node, Duration max, Runnable check) {
    TestProbe<Object> probe = node.kit.createTestProbe();
    probe.awaitAssert(
        max,
        Duration.ofMillis(100),
        () -> {
          check.run();
          return null;
        });
  }

  @Test
  void topicsSurviveARestartAndPartitionsAreBroughtInLine() {
    TopicMetadata a;
    TopicMetadata b;
    try (RegistryNode node = new RegistryNode(dataDir, SNAPSHOTS, true)) {
      a = node.create("a", 2, Map.of()).topic();
      assertNotNull(a, "create a");
      assertEquals(TopicError.NONE, node.create("b", 1, Map.of()).error());
      TopicResult altered = node.alter("b", Map.of("retention.bytes", "1000000"));
      assertEquals(TopicError.NONE, altered.error(), altered.message());
      b = altered.topic();
      assertEquals(TopicError.NONE, node.create("gone", 1, Map.of()).error());
      assertEquals(TopicError.NONE, node.delete("gone").error());
      assertEquals(TopicError.NONE, node.createPartitions("a", 3).error());
      a = node.describe("a").topic();

      // As if the registry crashed before these partition requests went out:
      assertEquals(
          PartitionError.NONE,
          node.askPartition("a", 2, PartitionEntity.Ack.class, r -> new PartitionEntity.Delete("test", r)).error());
      assertEquals(
          PartitionError.NONE,
          node.askPartition("b", 0, PartitionEntity.Ack.class, r -> new PartitionEntity.UpdateConfig(TopicConfig.defaults(), r)).error());
    }

    try (RegistryNode node = new RegistryNode(dataDir, SNAPSHOTS, true)) {
      TopicRegistry.TopicList list = node.list();
      assertEquals(List.of(a, b), list.topics(), "the same topics, ids and settings after the restart");
      TopicMetadata expectedB = b;
      eventually(
          node,
          Duration.ofSeconds(20),
          () -> {
            PartitionEntity.PartitionInfo a2 = node.describePartition("a", 2);
            assertEquals(PartitionError.NONE, a2.error(), "partition a-2 is created again after recovery");
            assertEquals(
                expectedB.config(), node.describePartition("b", 0).config(), "partition b-0 gets the registry's settings back");
          });
      for (int p = 0; p < 3; p++) {
        assertEquals(PartitionError.NONE, node.describePartition("a", p).error(), "partition a-" + p);
      }
      assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.describePartition("gone", 0).error(), "a deleted topic stays deleted");

      assertEquals(TopicError.TOPIC_ALREADY_EXISTS, node.create("a", 1, Map.of()).error(), "the restarted registry knows a");
      assertEquals(TopicError.NONE, node.create("c", 1, Map.of()).error(), "and goes on working");
    }

    try (RegistryNode node = new RegistryNode(dataDir, SNAPSHOTS, true)) {
      assertEquals(List.of("a", "b", "c"), node.list().topics().stream().map(TopicMetadata::name).toList(), "after a second restart");
      // Waits, too, until the partition requests of the registry's recovery went through (they
      // would otherwise still sit in the shard region's buffer when the node shuts down).
      for (String[] tp : new String[][] {{"a", "0"}, {"a", "1"}, {"a", "2"}, {"b", "0"}, {"c", "0"}}) {
        assertEquals(
            PartitionError.NONE, node.describePartition(tp[0], Integer.parseInt(tp[1])).error(), "partition " + tp[0] + "-" + tp[1]);
      }
    }
  }

  @Test
  void partitionsThatDoNotAnswerMakeTheReplyATimeoutAndAreRetried() {
    // long enough for the delete at the end, which must succeed, on a busy machine
    String fast =
        "sluice.registry.partition-request-timeout = 2 s\n"
            + "sluice.registry.retry-backoff-min = 100 ms\n"
            + "sluice.registry.retry-backoff-max = 400 ms\n";
    // No partition entities on this node at first: every partition request fails.
    try (RegistryNode node = new RegistryNode(dataDir, fast, false)) {
      TopicResult created = node.create("late", 2, Map.of());
      assertEquals(TopicError.REQUEST_TIMED_OUT, created.error(), "create without partitions: " + created.message());
      assertTrue(created.message().contains("2 of its partitions did not confirm"), "message says which: " + created.message());
      assertNotNull(created.topic(), "the topic exists all the same");
      assertEquals(TopicError.NONE, node.describe("late").error(), "and can be described");
      assertEquals(TopicError.TOPIC_ALREADY_EXISTS, node.create("late", 2, Map.of()).error());

      node.initPartitions();
      eventually(
          node,
          Duration.ofSeconds(20),
          () -> {
            for (int p = 0; p < 2; p++) {
              assertEquals(PartitionError.NONE, node.describePartition("late", p).error(), "retries create partition " + p);
            }
          });
      assertEquals(TopicError.NONE, node.delete("late").error(), "with partitions answering, delete succeeds");
    }
  }

  static final String FAST_RETRIES =
      "sluice.registry.partition-request-timeout = 300 ms\n"
          + "sluice.registry.retry-backoff-min = 100 ms\n"
          + "sluice.registry.retry-backoff-max = 400 ms\n";

  @Test
  void aDeletionThatPartitionsDidNotConfirmIsFinishedByTheNextRegistry() {
    try (RegistryNode node = new RegistryNode(dataDir, SNAPSHOTS, true)) {
      assertEquals(TopicError.NONE, node.create("doomed", 2, Map.of()).error());
      appendOne(node, "doomed", 0);
    }
    // No partition entities on this node: the registry deletes the topic, but no partition confirms.
    try (RegistryNode node = new RegistryNode(dataDir, FAST_RETRIES + SNAPSHOTS, false)) {
      TopicResult deleted = node.delete("doomed");
      assertEquals(TopicError.REQUEST_TIMED_OUT, deleted.error(), "delete without partitions: " + deleted.message());
      assertEquals(TopicError.UNKNOWN_TOPIC_OR_PARTITION, node.describe("doomed").error(), "the topic is gone from the table");
      assertTrue(locate(node, "doomed", 1).known(), "but its partitions are still found, for their Deletes");
    }
    try (RegistryNode node = new RegistryNode(dataDir, SNAPSHOTS, true)) {
      assertEquals(List.of(), node.list().topics(), "no topic (this also starts the registry)");
      eventually(
          node,
          Duration.ofSeconds(20),
          () -> {
            for (int p = 0; p < 2; p++) {
              assertEquals(
                  PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.describePartition("doomed", p).error(),
                  "the recovered registry deleted partition " + p);
              assertFalse(locate(node, "doomed", p).known(), "and recorded partition " + p + " as deleted");
            }
          });
    }
    try (RegistryNode node = new RegistryNode(dataDir, SNAPSHOTS, true)) {
      assertEquals(List.of(), node.list().topics());
      for (int p = 0; p < 2; p++) {
        assertFalse(locate(node, "doomed", p).known(), "after another restart partition " + p + " is still recorded as deleted");
      }
    }
  }

  @Test
  void aDeleteForANodeThatIsNotUpWaitsForItInsteadOfBeingSent() {
    String onNode7 = "pekko.cluster.roles = [\"sluice-node-7\"]\n";
    try (RegistryNode node = new RegistryNode(dataDir, onNode7 + SNAPSHOTS, true)) {
      TopicResult created = node.create("remote", 1, Map.of());
      assertEquals(TopicError.NONE, created.error(), created.message());
      assertEquals(List.of(7), created.topic().placement(), "placed on the only node up, 7");
    }
    // The same data as node 1: node 7, where the partition lives, is not up.
    try (RegistryNode node = new RegistryNode(dataDir, "pekko.cluster.roles = [\"sluice-node-1\"]\n" + FAST_RETRIES + SNAPSHOTS, true)) {
      TopicResult deleted = node.delete("remote");
      assertEquals(TopicError.REQUEST_TIMED_OUT, deleted.error(), "the Delete waits for node 7: " + deleted.message());
      assertTrue(deleted.message().contains("its node 7 is not up"), deleted.message());
      assertEquals(PartitionError.NONE, node.describePartition("remote", 0).error(), "nothing was deleted here");
    }
    try (RegistryNode node = new RegistryNode(dataDir, onNode7 + SNAPSHOTS, true)) {
      assertEquals(List.of(), node.list().topics());
      eventually(
          node,
          Duration.ofSeconds(20),
          () -> assertEquals(
              PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.describePartition("remote", 0).error(),
              "node 7 is back: the partition is deleted"));
    }
  }

  private static TopicRegistry.PartitionLocation locate(RegistryNode node, String topic, int partition) {
    return node.ask(TopicRegistry.PartitionLocation.class, r -> new TopicRegistry.LocatePartition(topic, partition, r));
  }

  @Test
  void aPendingDeletionNeverReachesTheNameCreatedAgain() {
    try (RegistryNode node = new RegistryNode(dataDir, SNAPSHOTS, true)) {
      assertEquals(TopicError.NONE, node.create("reborn", 2, Map.of()).error());
      appendOne(node, "reborn", 0);
      appendOne(node, "reborn", 1);
    }
    String newId;
    try (RegistryNode node = new RegistryNode(dataDir, FAST_RETRIES + SNAPSHOTS, false)) {
      assertEquals(TopicError.REQUEST_TIMED_OUT, node.delete("reborn").error());
      TopicResult created = node.create("reborn", 1, Map.of());
      assertEquals(TopicError.REQUEST_TIMED_OUT, created.error(), "created again, its partition unconfirmed: " + created.message());
      newId = created.topic().topicId();
    }
    try (RegistryNode node = new RegistryNode(dataDir, SNAPSHOTS, true)) {
      assertEquals(List.of(newId), node.list().topics().stream().map(TopicMetadata::topicId).toList(), "the new incarnation");
      eventually(
          node,
          Duration.ofSeconds(20),
          () -> {
            assertEquals(
                PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.describePartition("reborn", 1).error(),
                "the old incarnation's partition 1 is deleted");
            PartitionEntity.PartitionInfo p0 = node.describePartition("reborn", 0);
            assertEquals(PartitionError.NONE, p0.error(), "partition 0 lives on for the new incarnation");
            assertEquals(1, p0.logStartOffset(), "with the old incarnation's record gone");
          });
      assertEquals(
          PartitionError.NONE,
          node.askPartition("reborn", 0, PartitionEntity.Ack.class, r -> new PartitionEntity.Create("reborn", 0, newId, TopicConfig.defaults(), r)).error(),
          "partition 0 belongs to the new id");
    }
  }

  private static void appendOne(RegistryNode node, String topic, int partition) {
    PartitionEntity.AppendResult appended =
        node.askPartition(
            topic, partition, PartitionEntity.AppendResult.class,
            r -> PartitionEntity.Append.of(List.of(LogRecord.of(1L, null, "x".getBytes(java.nio.charset.StandardCharsets.UTF_8))), r));
    assertEquals(PartitionError.NONE, appended.error(), "append to " + topic + "-" + partition);
  }
}
