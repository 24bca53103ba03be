package dev.sluice.actors.registry;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionSettings;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * A one-node cluster on a real journal in {@code dataDir} with the topic registry and (unless
 * told otherwise) partition entities, plus blocking helpers that ask and wait boundedly.
 */
final class RegistryNode implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(20);
  final ActorTestKit kit;

  RegistryNode(Path dataDir, String extraConfig, boolean withPartitions) {
    kit = TestSystems.oneNodeCluster("registry-test", dataDir, extraConfig);
    if (withPartitions) {
      initPartitions();
    }
    TopicRegistry.init(kit.system());
  }

  RegistryNode(Path dataDir) {
    this(dataDir, "", true);
  }

  void initPartitions() {
    PartitionEntity.init(kit.system(), PartitionSettings.fromConfig(kit.system().settings().config()), Clock.systemUTC());
  }

  <R> R ask(Class<R> replyType, Function<ActorRef<R>, TopicRegistry.Command> command) {
    TestProbe<R> probe = kit.createTestProbe(replyType);
    TopicRegistry.entityRef(kit.system()).tell(command.apply(probe.getRef()));
    return probe.expectMessageClass(replyType, TIMEOUT);
  }

  TopicRegistry.TopicResult create(String name, int partitions, Map<String, String> configs) {
    return ask(TopicRegistry.TopicResult.class, r -> new TopicRegistry.CreateTopic(name, partitions, configs, r));
  }

  TopicRegistry.TopicResult describe(String name) {
    return ask(TopicRegistry.TopicResult.class, r -> new TopicRegistry.DescribeTopic(name, r));
  }

  TopicRegistry.TopicList list() {
    return ask(TopicRegistry.TopicList.class, TopicRegistry.ListTopics::new);
  }

  TopicRegistry.TopicResult delete(String name) {
    return ask(TopicRegistry.TopicResult.class, r -> new TopicRegistry.DeleteTopic(name, r));
  }

  TopicRegistry.TopicResult createPartitions(String name, int newTotal) {
    return ask(TopicRegistry.TopicResult.class, r -> new TopicRegistry.CreatePartitions(name, newTotal, r));
  }

  TopicRegistry.TopicResult alter(String name, Map<String, String> configs) {
    return ask(TopicRegistry.TopicResult.class, r -> new TopicRegistry.AlterTopicConfig(name, configs, r));
  }

  EntityRef<PartitionEntity.Command> partition(String topic, int p) {
    return ClusterSharding.get(kit.system()).entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(topic, p));
  }

  <R> R askPartition(String topic, int p, Class<R> replyType, Function<ActorRef<R>, PartitionEntity.Command> command) {
    TestProbe<R> probe = kit.createTestProbe(replyType);
    partition(topic, p).tell(command.apply(probe.getRef()));
    return probe.expectMessageClass(replyType, TIMEOUT);
  }

  PartitionEntity.PartitionInfo describePartition(String topic, int p) {
    return askPartition(topic, p, PartitionEntity.PartitionInfo.class, PartitionEntity.Describe::new);
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
