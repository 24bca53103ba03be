package dev.sluice.dsl.javadsl;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.group.GroupCoordinator;
import dev.sluice.actors.group.GroupDirectory;
import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionSettings;
import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.dsl.state.StateStoreEntity;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/** A one-node cluster with every entity the DSL talks to, on a real journal. */
final class DslFixture {
  static final Duration T = Duration.ofSeconds(60);

  final ActorTestKit kit;
  final ActorSystem<?> system;

  DslFixture(String name, Path dataDir) {
    this(name, dataDir, "");
  }

  DslFixture(String name, Path dataDir, String extraConfig) {
    kit = TestSystems.oneNodeCluster(name, dataDir, extraConfig);
    system = kit.system();
    PartitionEntity.init(system, PartitionSettings.fromConfig(system.settings().config()), Clock.systemUTC());
    TopicRegistry.init(system);
    GroupDirectory.init(system);
    GroupCoordinator.init(system);
    StateStoreEntity.init(system);
  }

  void shutdown() {
    kit.shutdownTestKit();
  }

  void createTopic(String name, int partitions) throws Exception {
    TopicRegistry.TopicResult r =
        TopicRegistry.entityRef(system)
            .<TopicRegistry.TopicResult>ask(ref -> new TopicRegistry.CreateTopic(name, partitions, Map.of(), ref), T)
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    assertTrue(r.error() == TopicError.NONE || r.error() == TopicError.TOPIC_ALREADY_EXISTS, r.toString());
  }

  /** Produces string records (key, value, timestamp) to one partition; acks=all. */
  void produce(String topic, Integer partition, List<String[]> keyValues, Long timestamp) throws Exception {
    List<ProducerMessage<Void>> messages = new ArrayList<>();
    for (String[] kv : keyValues) {
      messages.add(
          new ProducerMessage<>(topic, partition, kv[0] == null ? null : kv[0].getBytes(UTF_8), kv[1].getBytes(UTF_8), List.of(),
              kv.length > 2 ? Long.valueOf(kv[2]) : timestamp, null));
    }
    Source.from(messages).runWith(Producer.sink(system, ProducerSettings.defaults()), system).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  /** Every record of every partition of {@code topic} currently in the log (plain source, earliest). */
  List<ConsumerRecord> readAll(String topic, int partitions, int expectedAtLeast) throws Exception {
    Map<TopicPartition, StartOffset> parts = new java.util.LinkedHashMap<>();
    for (int p = 0; p < partitions; p++) {
      parts.put(new TopicPartition(topic, p), StartOffset.earliest());
    }
    List<ConsumerRecord> out =
        Consumer.plainSource(system, ConsumerSettings.defaults().withPollWait(Duration.ofMillis(200)), parts)
            .take(expectedAtLeast)
            .completionTimeout(T)
            .runWith(Sink.seq(), system)
            .toCompletableFuture()
            .get(90, TimeUnit.SECONDS);
    assertEquals(expectedAtLeast, out.size());
    return out;
  }

  /** The partition's high watermark. */
  long endOffset(String topic, int partition) throws Exception {
    return org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system)
        .entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(topic, partition))
        .<PartitionEntity.OffsetResult>ask(r -> new PartitionEntity.ListOffsets(PartitionEntity.LATEST, r), T)
        .toCompletableFuture()
        .get(60, TimeUnit.SECONDS)
        .offset();
  }

  static String str(byte[] b) {
    return b == null ? null : new String(b, UTF_8);
  }
}
