package dev.sluice.actors.partition;

import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/** A one-node cluster with partition entities on a real journal in {@code dataDir}, for tests. */
final class PartitionNode implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(15);
  final ActorTestKit kit;

  PartitionNode(Path dataDir, String extraConfig, Clock clock) {
    kit = TestSystems.oneNodeCluster("partition-test", dataDir, extraConfig);
    PartitionEntity.init(kit.system(), PartitionSettings.fromConfig(kit.system().settings().config()), clock);
  }

  EntityRef<PartitionEntity.Command> partition(String topic, int p) {
    return ClusterSharding.get(kit.system()).entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(topic, p));
  }

  PartitionEntity.Ack create(String topic, int p, TopicConfig config) {
    TestProbe<PartitionEntity.Ack> probe = kit.createTestProbe();
    partition(topic, p).tell(new PartitionEntity.Create(topic, p, "id-" + topic, config, probe.getRef()));
    return probe.expectMessageClass(PartitionEntity.Ack.class, TIMEOUT);
  }

  PartitionEntity.AppendResult append(String topic, int p, byte[] batch) {
    TestProbe<PartitionEntity.AppendResult> probe = kit.createTestProbe();
    partition(topic, p).tell(new PartitionEntity.Append(batch, probe.getRef()));
    return probe.expectMessageClass(PartitionEntity.AppendResult.class, TIMEOUT);
  }

  PartitionEntity.AppendResult append(String topic, int p, List<LogRecord> records) {
    TestProbe<PartitionEntity.AppendResult> probe = kit.createTestProbe();
    partition(topic, p).tell(PartitionEntity.Append.of(records, probe.getRef()));
    return probe.expectMessageClass(PartitionEntity.AppendResult.class, TIMEOUT);
  }

  PartitionEntity.FetchResult fetch(String topic, int p, long offset, int maxBytes) {
    TestProbe<PartitionEntity.FetchResult> probe = kit.createTestProbe();
    partition(topic, p).tell(new PartitionEntity.Fetch(offset, maxBytes, 1, 0, probe.getRef()));
    return probe.expectMessageClass(PartitionEntity.FetchResult.class, TIMEOUT);
  }

  PartitionEntity.OffsetResult listOffsets(String topic, int p, long timestamp) {
    TestProbe<PartitionEntity.OffsetResult> probe = kit.createTestProbe();
    partition(topic, p).tell(new PartitionEntity.ListOffsets(timestamp, probe.getRef()));
    return probe.expectMessageClass(PartitionEntity.OffsetResult.class, TIMEOUT);
  }

  PartitionEntity.PartitionInfo describe(String topic, int p) {
    TestProbe<PartitionEntity.PartitionInfo> probe = kit.createTestProbe();
    partition(topic, p).tell(new PartitionEntity.Describe(probe.getRef()));
    return probe.expectMessageClass(PartitionEntity.PartitionInfo.class, TIMEOUT);
  }

  <T> TestProbe<T> probe() {
    return kit.createTestProbe();
  }

  <T> ActorRef<T> ref(TestProbe<T> probe) {
    return probe.getRef();
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
