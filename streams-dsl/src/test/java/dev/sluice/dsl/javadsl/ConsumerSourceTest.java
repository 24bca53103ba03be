package dev.sluice.dsl.javadsl;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.partition.PartitionSettings;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plain consumer source against partition entities on a real journal. */
class ConsumerSourceTest {
  @TempDir static Path dataDir;
  static ActorTestKit kit;
  static ActorSystem<?> system;
  static final Duration T = Duration.ofSeconds(30);

  @BeforeAll
  static void start() throws Exception {
    kit = TestSystems.oneNodeCluster("dsl-test", dataDir, "");
    system = kit.system();
    PartitionEntity.init(system, PartitionSettings.fromConfig(system.settings().config()), Clock.systemUTC());
    create("big", 0);
    for (int b = 0; b < 100; b++) { // 100,000 records of 100 B
      List<LogRecord> batch = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        batch.add(LogRecord.of(1000L + b * 1000L + i, null, new byte[100]));
      }
      append("big", 0, batch);
    }
    for (int p = 0; p < 3; p++) {
      create("three", p);
      for (int i = 0; i < 30; i++) {
        append("three", p, List.of(LogRecord.of(10_000L + i, null, (p + ":" + i).getBytes(UTF_8))));
      }
    }
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static void create(String topic, int p) throws Exception {
    PartitionEntity.Ack ack =
        ClusterSharding.get(system).entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(topic, p))
            .<PartitionEntity.Ack>ask(r -> new PartitionEntity.Create(topic, p, "id-" + topic, TopicConfig.defaults(), r), T)
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(PartitionError.NONE, ack.error());
  }

  static void append(String topic, int p, List<LogRecord> records) throws Exception {
    PartitionEntity.AppendResult r =
        ClusterSharding.get(system).entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(topic, p))
            .<PartitionEntity.AppendResult>ask(ref -> PartitionEntity.Append.of(records, ref), T)
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(PartitionError.NONE, r.error());
  }

  @Test
  void aSlowDownstreamHoldsOnlyABoundedPrefetchAndFetchesOnDemand() throws Exception {
    ConsumerSettings settings = ConsumerSettings.defaults().withFetchMaxBytes(16 * 1024);
    // a 16 KiB fetch returns whole batches: here one batch of 1,000 records (~113 KB) at most
    int perFetch = 1000;
    Pair<Control, java.util.concurrent.CompletionStage<List<ConsumerRecord>>> run =
        Consumer.plainSource(system, settings, Map.of(new TopicPartition("big", 0), StartOffset.earliest()))
            .throttle(1, Duration.ofMillis(10))
            .take(150)
            .toMat(Sink.seq(), Keep.both())
            .run(system);
    List<ConsumerRecord> got = run.second().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(150, got.size());
    long fetched = run.first().fetchedRecords();
    assertTrue(fetched <= 2L * perFetch, "fetched " + fetched + " records for 150 taken out of 100,000 available: the prefetch is unbounded");
    assertTrue(fetched >= 150, "fetched only " + fetched);
    for (int i = 0; i < got.size(); i++) {
      assertEquals(i, got.get(i).offset());
    }
  }

  @Test
  void readsEveryPartitionInOrderFromEachKindOfStartOffset() throws Exception {
    Map<TopicPartition, StartOffset> start = new LinkedHashMap<>();
    start.put(new TopicPartition("three", 0), StartOffset.earliest());
    start.put(new TopicPartition("three", 1), StartOffset.offset(10));
    start.put(new TopicPartition("three", 2), StartOffset.timestamp(10_020L));
    List<ConsumerRecord> got =
        Consumer.plainSource(system, ConsumerSettings.defaults(), start).take(30 + 20 + 10).runWith(Sink.seq(), system)
            .toCompletableFuture().get(60, TimeUnit.SECONDS);
    Map<Integer, List<Long>> byPartition = new LinkedHashMap<>();
    for (ConsumerRecord r : got) {
      byPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.offset());
      assertEquals(r.partition() + ":" + r.offset(), new String(r.record().value(), UTF_8));
    }
    assertEquals(30, byPartition.get(0).size());
    assertEquals(10L, byPartition.get(1).get(0), "offset start");
    assertEquals(20, byPartition.get(1).size());
    assertEquals(20L, byPartition.get(2).get(0), "first record at or after the timestamp");
    for (List<Long> offsets : byPartition.values()) {
      for (int i = 1; i < offsets.size(); i++) {
        assertEquals(offsets.get(i - 1) + 1, offsets.get(i), "in order per partition");
      }
    }
  }

  @Test
  void aCompactedPartitionIsReadPastBatchesThatLostTheirLastRecords() throws Exception {
    var ref = ClusterSharding.get(system).entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId("compacted", 0));
    TopicConfig compact = TopicConfig.defaults().with(Map.of("cleanup.policy", "compact"));
    assertEquals(PartitionError.NONE,
        ref.<PartitionEntity.Ack>ask(r -> new PartitionEntity.Create("compacted", 0, "id-compacted", compact, r), T).toCompletableFuture().get(60, TimeUnit.SECONDS).error());
    append("compacted", 0, List.of(LogRecord.of(1, "x".getBytes(UTF_8), "x1".getBytes(UTF_8)), LogRecord.of(2, "k".getBytes(UTF_8), "k1".getBytes(UTF_8))));
    append("compacted", 0, List.of(LogRecord.of(3, "k".getBytes(UTF_8), "k2".getBytes(UTF_8))));
    PartitionEntity.CompactionResult compacted =
        ref.<PartitionEntity.CompactionResult>ask(PartitionEntity.Compact::new, T).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(1, compacted.batchesRewritten(), "the first batch loses k1, its last record");
    // one batch per fetch: the first fetch ends inside the first batch's offsets
    List<String> values =
        Consumer.plainSource(system, ConsumerSettings.defaults().withFetchMaxBytes(1), Map.of(new TopicPartition("compacted", 0), StartOffset.earliest()))
            .take(2)
            .map(r -> r.record().offset() + ":" + new String(r.record().value(), UTF_8))
            .runWith(Sink.seq(), system)
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    assertEquals(List.of("0:x1", "2:k2"), values);
  }

  @Test
  void latestSeesOnlyNewRecordsAndShutdownCompletesTheStream() throws Exception {
    create("live", 0);
    append("live", 0, List.of(LogRecord.of(1, null, "old".getBytes(UTF_8))));
    Pair<Control, java.util.concurrent.CompletionStage<List<ConsumerRecord>>> run =
        Consumer.plainSource(system, ConsumerSettings.defaults(), Map.of(new TopicPartition("live", 0), StartOffset.latest()))
            .toMat(Sink.seq(), Keep.both())
            .run(system);
    // "latest" is resolved asynchronously: records appended before that are not seen, so keep
    // appending until one arrives
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    for (int i = 0; run.first().fetchedRecords() < 1 && System.nanoTime() < deadline; i++) {
      append("live", 0, List.of(LogRecord.of(2 + i, null, ("new-" + i).getBytes(UTF_8))));
      Thread.sleep(300);
    }
    run.first().drainAndShutdown(run.second()).toCompletableFuture().get(30, TimeUnit.SECONDS);
    List<String> got = run.second().toCompletableFuture().get(30, TimeUnit.SECONDS).stream().map(r -> new String(r.record().value(), UTF_8)).toList();
    assertFalse(got.isEmpty(), "a new record arrives");
    assertTrue(got.stream().allMatch(v -> v.startsWith("new-")), "only new records, never the old one: " + got);
    for (int i = 1; i < got.size(); i++) {
      assertEquals(Integer.parseInt(got.get(i - 1).substring(4)) + 1, Integer.parseInt(got.get(i).substring(4)), "in order, none skipped: " + got);
    }
    assertTrue(run.first().isShutdown().toCompletableFuture().isDone());
  }

  @Test
  void anOffsetOutsideTheLogFailsTheSourceNamingPartitionAndOffset() {
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class,
            () ->
                Consumer.plainSource(system, ConsumerSettings.defaults(), Map.of(new TopicPartition("three", 0), StartOffset.offset(500)))
                    .runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("three") && e.getCause().getMessage().contains("500")
        && e.getCause().getMessage().contains("OFFSET_OUT_OF_RANGE"), e.getCause().getMessage());
  }

  @Test
  void anUnknownPartitionFailsWithAClearReason() {
    ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class,
            () ->
                Consumer.plainSource(system, ConsumerSettings.defaults(), Map.of(new TopicPartition("nope", 0), StartOffset.earliest()))
                    .runWith(Sink.seq(), system).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("UNKNOWN_TOPIC_OR_PARTITION"), e.getCause().getMessage());
  }

  @Test
  void settingsRejectNonsense() {
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ConsumerSettings.defaults().withFetchMaxBytes(0));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> StartOffset.offset(-1));
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> Consumer.plainSource(system, ConsumerSettings.defaults(), Map.of()));
  }
}
