package dev.sluice.actors.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.registry.TopicRegistry.TopicResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry moving to another node (Cluster Sharding sends it {@link TopicRegistry.HandOff}):
 * it answers the commands in progress before it stops, and does not wait longer than
 * {@code hand-off-timeout}, nor for its own background work.
 */
class TopicRegistryHandOffTest {
  @TempDir Path dataDir;

  /** Partition requests would wait 30 s; a hand-off waits {@code handOffTimeout}. */
  static ActorRef<TopicRegistry.Command> spawnRegistry(RegistryNode node, String id, Duration handOffTimeout) {
    TopicRegistrySettings settings =
        new TopicRegistrySettings(
            Duration.ofSeconds(30), 8, Duration.ofSeconds(1), Duration.ofSeconds(5), 10, Duration.ofSeconds(5), handOffTimeout);
    return node.kit.spawn(TopicRegistry.create(id, settings, Clock.systemUTC()));
  }

  static ActorRef<TopicRegistry.Command> spawnRegistry(RegistryNode node, String id) {
    return spawnRegistry(node, id, Duration.ofMillis(500));
  }

  static TopicResult createAndHandOff(RegistryNode node, ActorRef<TopicRegistry.Command> registry, String topic, int partitions) {
    TestProbe<TopicResult> caller = node.kit.createTestProbe(TopicResult.class);
    registry.tell(new TopicRegistry.CreateTopic(topic, partitions, Map.of(), caller.getRef()));
    // processed once the topic is persisted, while its partition requests are in flight
    registry.tell(new TopicRegistry.HandOff());
    TopicResult r = caller.expectMessageClass(TopicResult.class, RegistryNode.TIMEOUT);
    caller.expectTerminated(registry, RegistryNode.TIMEOUT);
    return r;
  }

  @Test
  void aCommandInProgressIsAnsweredBeforeTheRegistryStops() {
    try (RegistryNode node = new RegistryNode(dataDir, "", true)) {
      // the hand-off waits long enough for four partitions to be created on a busy machine
      ActorRef<TopicRegistry.Command> registry = spawnRegistry(node, "moving", Duration.ofSeconds(20));
      TopicResult r = createAndHandOff(node, registry, "moved", 4);
      assertEquals(TopicError.NONE, r.error(), "the creation in progress is answered: " + r.message());
      for (int p = 0; p < 4; p++) {
        assertEquals(PartitionError.NONE, node.describePartition("moved", p).error(), "partition " + p + " exists");
      }

      // with nothing in progress it stops at once, and its successor knows the topic
      ActorRef<TopicRegistry.Command> next = spawnRegistry(node, "moving");
      TestProbe<TopicResult> caller = node.kit.createTestProbe(TopicResult.class);
      next.tell(new TopicRegistry.DescribeTopic("moved", caller.getRef()));
      assertEquals(r.topic(), caller.expectMessageClass(TopicResult.class, RegistryNode.TIMEOUT).topic());
      next.tell(new TopicRegistry.HandOff());
      caller.expectTerminated(next, RegistryNode.TIMEOUT);
    }
  }

  @Test
  void partitionsThatDoNotAnswerInTheHandOffTimeoutAreReportedAndLeftToTheNextRegistry() {
    try (RegistryNode node = new RegistryNode(dataDir, "", false)) {
      // partition entities that never answer: every partition request would wait 30 s
      ClusterSharding.get(node.kit.system()).init(Entity.of(PartitionEntity.ENTITY_TYPE_KEY, ctx -> Behaviors.ignore()));
      ActorRef<TopicRegistry.Command> registry = spawnRegistry(node, "stuck");
      TopicResult r = createAndHandOff(node, registry, "silent", 3);
      assertEquals(TopicError.REQUEST_TIMED_OUT, r.error(), "partitions that did not confirm: " + r.message());
      assertTrue(r.message().contains("3 of its partitions did not confirm"), "says how many: " + r.message());
      assertTrue(r.message().contains("hand-off-timeout (500 ms)"), "says why: " + r.message());
      assertTrue(r.message().contains("tries them again there when it starts"), "says what becomes of them: " + r.message());
      assertNotNull(r.topic(), "the topic is created all the same");

      // the next registry recovers the topic and checks its partitions in the background; that
      // background work does not hold a hand-off back, however long the hand-off could wait
      ActorRef<TopicRegistry.Command> next = spawnRegistry(node, "stuck", Duration.ofSeconds(30));
      TestProbe<TopicResult> caller = node.kit.createTestProbe(TopicResult.class);
      next.tell(new TopicRegistry.DescribeTopic("silent", caller.getRef()));
      assertEquals(r.topic(), caller.expectMessageClass(TopicResult.class, RegistryNode.TIMEOUT).topic());
      next.tell(new TopicRegistry.HandOff());
      caller.expectTerminated(next, Duration.ofSeconds(15)); // well below the 30 s it could wait
    }
  }
}
