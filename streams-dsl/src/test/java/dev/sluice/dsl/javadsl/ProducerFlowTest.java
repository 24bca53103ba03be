package dev.sluice.dsl.javadsl;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionSettings;
import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The producer flow against partition entities and the topic registry on a real journal. */
class ProducerFlowTest {
  @TempDir static Path dataDir;
  static ActorTestKit kit;
  static ActorSystem<?> system;

  @BeforeAll
  static void start() throws Exception {
    kit = TestSystems.oneNodeCluster("dsl-producer-test", dataDir, "");
    system = kit.system();
    PartitionEntity.init(system, PartitionSettings.fromConfig(system.settings().config()), Clock.systemUTC());
    TopicRegistry.init(system);
    for (String topic : List.of("ordered", "fire")) {
      TopicRegistry.TopicResult r =
          TopicRegistry.entityRef(system)
              .<TopicRegistry.TopicResult>ask(ref -> new TopicRegistry.CreateTopic(topic, 3, Map.of(), ref), Duration.ofSeconds(30))
              .toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(TopicError.NONE, r.error(), r.message());
    }
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void offsetsFollowTheStreamOrderWithinEachPartition() throws Exception {
    List<ProducerResult<Integer>> results =
        Source.range(0, 999)
            .map(i -> ProducerMessage.of("ordered", ("k" + (i % 7)).getBytes(UTF_8), ("v" + i).getBytes(UTF_8), i))
            .via(Producer.<Integer>flow(system, ProducerSettings.defaults().withBatching(37, Duration.ofMillis(2))))
            .runWith(Sink.seq(), system)
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(1000, results.size());
    Map<Integer, Long> nextOffset = new HashMap<>();
    for (int i = 0; i < results.size(); i++) {
      ProducerResult<Integer> r = results.get(i);
      assertEquals(i, r.passThrough().intValue(), "results come out in input order");
      assertEquals(Producer.partitionForKey(("k" + (i % 7)).getBytes(UTF_8), 3), r.partition(), "the key decides the partition");
      long expected = nextOffset.getOrDefault(r.partition(), 0L);
      assertEquals(expected, r.offset(), "dense offsets in stream order on partition " + r.partition());
      nextOffset.put(r.partition(), expected + 1);
    }
  }

  @Test
  void acksZeroGivesNoOffsetsButStoresTheRecords() throws Exception {
    List<ProducerResult<Integer>> results =
        Source.range(0, 29)
            .map(i -> new ProducerMessage<>("fire", 1, null, ("v" + i).getBytes(UTF_8), List.of(), 1000L + i, i))
            .via(Producer.<Integer>flow(system, ProducerSettings.defaults().withAcks(0)))
            .runWith(Sink.seq(), system)
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertTrue(results.stream().allMatch(r -> r.offset() == -1 && r.partition() == 1));
    List<ConsumerRecord> read =
        Consumer.plainSource(system, ConsumerSettings.defaults(), Map.of(new TopicPartition("fire", 1), StartOffset.earliest()))
            .take(30).runWith(Sink.seq(), system).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals("v29", new String(read.get(29).record().value(), UTF_8));
    assertEquals(1029L, read.get(29).record().timestamp());
  }

  @Test
  void anUnknownTopicFailsTheStreamWithItsName() {
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class,
            () ->
                Source.single(ProducerMessage.of("missing", "k".getBytes(UTF_8), "v".getBytes(UTF_8), 0))
                    .runWith(Producer.<Integer>sink(system, ProducerSettings.defaults()), system)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("missing") && e.getCause().getMessage().contains("UNKNOWN_TOPIC_OR_PARTITION"),
        e.getCause().getMessage());
  }
}
