package dev.sluice.engine.cluster;

import static dev.sluice.engine.cluster.ThreeNodeClusterTest.closeAll;
import static dev.sluice.engine.cluster.ThreeNodeClusterTest.consumer;
import static dev.sluice.engine.cluster.ThreeNodeClusterTest.freePort;
import static dev.sluice.engine.cluster.ThreeNodeClusterTest.leaders;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.dsl.javadsl.ConsumerGroupSettings;
import dev.sluice.dsl.javadsl.ConsumerSettings;
import dev.sluice.dsl.javadsl.ProcessorSettings;
import dev.sluice.dsl.javadsl.RunningProcessor;
import dev.sluice.dsl.javadsl.Serdes;
import dev.sluice.dsl.javadsl.StartOffset;
import dev.sluice.dsl.javadsl.StreamProcessor;
import dev.sluice.dsl.state.StateStoreEntity;
import dev.sluice.engine.SluiceNode;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stateful stream processor (word count) in a three-node cluster: its state stores, one per
 * input partition and journaled on node-local logs, live on their input partition's node although
 * the processor runs on another node. When an input partition is moved to another node, its store
 * stays where its journal is, also when its shard is allocated afresh (its node restarts), and the
 * processor, run again, continues from it with exact totals: nothing counted twice, nothing lost.
 */
class ProcessorClusterTest {
  @TempDir Path base;

  static final String APP = "wc";
  static final String INPUT = "words";
  static final String OUTPUT = "word-counts";
  static final int PARTITIONS = 3;
  /** The processor's one aggregation is its first store: {@code aggregate-1}. */
  static final String STORE = "aggregate-1";
  static final Duration T = Duration.ofSeconds(30);

  static StreamProcessor wordCount() {
    StreamProcessor.Builder b = StreamProcessor.builder(APP);
    b.from(INPUT, Serdes.string(), Serdes.string()).groupByKey(Serdes.string(), Serdes.string()).count().to(OUTPUT);
    return b.build();
  }

  static ProcessorSettings settings() {
    return ProcessorSettings.defaults(APP)
        .withGroup(
            ConsumerGroupSettings.of(APP)
                .withAutoOffsetReset(StartOffset.earliest())
                .withTimeouts(Duration.ofSeconds(6), Duration.ofSeconds(10), Duration.ofMillis(200)))
        .withConsumer(ConsumerSettings.defaults().withPollWait(Duration.ofMillis(100)));
  }

  /** The partition kafka-clients' default partitioner picks for a keyed record. */
  static int partitionOf(String key) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % PARTITIONS;
  }

  @Test
  void storesLiveOnTheirInputPartitionsNodeAndStayThereWhenThePartitionMoves() throws Exception {
    ThreeNodeClusterTest cluster = new ThreeNodeClusterTest();
    cluster.base = base;
    List<SluiceNode> running = new ArrayList<>();
    RunningProcessor processor = null;
    try {
      int seed = freePort();
      cluster.startCluster(running, 3, seed);
      SluiceNode n2 = running.get(1);
      String via1 = "127.0.0.1:" + running.get(0).kafkaPort();

      // 1. three input partitions, one per node, and an output topic
      Map<Integer, Integer> before;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via1))) {
        admin.createTopics(List.of(new NewTopic(INPUT, PARTITIONS, (short) 1), new NewTopic(OUTPUT, PARTITIONS, (short) 1)))
            .all()
            .get(60, TimeUnit.SECONDS);
        before = leaders(admin, INPUT);
      }
      assertEquals(Set.of(1, 2, 3), Set.copyOf(before.values()), "one input partition per node: " + before);

      // 2. words keyed by themselves (so a word always goes to one partition), every partition used
      List<String> words = List.of("apple", "banana", "cherry", "date", "elder", "fig", "grape", "honey", "kiwi", "lemon", "mango", "nut");
      Map<Integer, List<String>> wordsOf =
          words.stream().collect(Collectors.groupingBy(ProcessorClusterTest::partitionOf, TreeMap::new, Collectors.toList()));
      assertEquals(Set.of(0, 1, 2), wordsOf.keySet(), "the words cover every partition: " + wordsOf);
      Map<String, Long> expected = new TreeMap<>();
      List<String> first = new ArrayList<>();
      for (int i = 0; i < words.size(); i++) {
        for (int n = 0; n <= i % 4; n++) {
          first.add(words.get(i));
          expected.merge(words.get(i), 1L, Long::sum);
        }
      }
      Map<Integer, Integer> acked = produce(via1, first);
      assertEquals(Set.of(0, 1, 2), acked.keySet(), "every partition got records: " + acked);

      long t0 = System.nanoTime();
      processor = wordCount().run(n2.system(), settings());
      awaitCounts(via1, expected, processor);
      System.out.printf("first run on node 2: exact counts after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));

      // 3. each store was placed on, and runs on, its input partition's node (not node 2 for all)
      Map<Integer, Integer> storeNodes = storeNodes(running);
      assertEquals(before, storeNodes, "store of each partition on the partition's node (sharding)");
      for (int p = 0; p < PARTITIONS; p++) {
        assertEquals((int) before.get(p), recordedNode(n2, p), "registry's node of the store of partition " + p);
      }

      // 4. clean stop; move node 3's input partition to node 1 (node 3 then holds its store, not its partition)
      processor.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      processor = null;
      int moved = before.entrySet().stream().filter(e -> e.getValue() == 3).findFirst().orElseThrow().getKey();
      int oldNode = 3;
      int newNode = 1;
      TopicPartition tp = new TopicPartition(INPUT, moved);
      Map<Integer, Integer> after;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + running.get(1).kafkaPort()))) {
        admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(newNode)))))
            .all()
            .get(30, TimeUnit.SECONDS);
        awaitMoved(admin, tp, newNode);
        after = leaders(admin, INPUT);
      }
      assertEquals(newNode, (int) after.get(moved));

      // more words on every partition, the moved one included, and a word never seen before
      String fresh = words.stream().map(w -> w + "-new").filter(w -> partitionOf(w) == moved).findFirst().orElseThrow();
      produceMore(via1, wordsOf, fresh, expected);

      // the same application again: cumulative counts, nothing counted twice, nothing lost
      t0 = System.nanoTime();
      processor = wordCount().run(n2.system(), settings());
      awaitCounts(via1, expected, processor);
      System.out.printf("second run on node 2: exact counts after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      Map<Integer, Integer> storesNow = storeNodes(running);
      assertEquals(oldNode, (int) storesNow.get(moved), "store of the moved partition " + moved + " stays on node " + oldNode);
      assertEquals(before, storesNow, "no store moved");
      for (int p = 0; p < PARTITIONS; p++) {
        assertEquals((int) before.get(p), recordedNode(n2, p), "registry's node of the store of partition " + p + " after the move");
      }
      processor.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      processor = null;
      assertEquals(expected, latestCounts(via1), "exact totals after the clean stop");
      assertEquals(produced(expected), outputRecords(via1), "clean stops commit everything: one update per input record");

      // 5. so far the store's shard stayed allocated; node 3 restarts, so it is allocated afresh:
      // it must come back on node 3 (its journal), not on node 1 where its input partition now is
      running.remove(2).close();
      for (SluiceNode n : running) {
        ThreeNodeClusterTest.awaitUp(n, 2);
      }
      assertTrue(storeNodes(running).get(moved) == null, "the store of partition " + moved + " is not started elsewhere while node 3 is down");
      running.add(cluster.start(3, freePort(), seed));
      for (SluiceNode n : running) {
        ThreeNodeClusterTest.awaitUp(n, 3);
      }
      produceMore(via1, wordsOf, fresh, expected);
      t0 = System.nanoTime();
      processor = wordCount().run(n2.system(), settings());
      awaitCounts(via1, expected, processor);
      System.out.printf("third run on node 2, after node 3 restarted: exact counts after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via1))) {
        assertEquals(after, leaders(admin, INPUT), "the partitions stayed where they were");
      }
      assertEquals(before, storeNodes(running), "every store runs where it was placed, the restarted node's included");
      processor.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      processor = null;
      assertEquals(expected, latestCounts(via1), "exact totals after the clean stop");
      assertEquals(produced(expected), outputRecords(via1), "clean stops commit everything: one update per input record");
    } finally {
      if (processor != null) {
        try {
          processor.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
          System.out.println("stopping the processor: " + e);
        }
      }
      closeAll(running);
    }
  }

  static String storeId(int partition) {
    return StateStoreEntity.entityId(APP, STORE, INPUT, partition);
  }

  /** The node the registry records for the store of {@code partition} (PlaceStore does not change a recorded node). */
  static int recordedNode(SluiceNode via, int partition) throws Exception {
    return TopicRegistry.entityRef(via.system())
        .<TopicRegistry.PartitionLocation>ask(r -> new TopicRegistry.PlaceStore(storeId(partition), INPUT, partition, r), T)
        .toCompletableFuture()
        .get(60, TimeUnit.SECONDS)
        .nodeId();
  }

  /** Which node's shard region runs each input partition's store entity, asked of every node. */
  static Map<Integer, Integer> storeNodes(List<SluiceNode> nodes) throws Exception {
    Map<Integer, Integer> at = new TreeMap<>();
    for (SluiceNode node : nodes) {
      ShardRegion.CurrentShardRegionState state =
          AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                  ClusterSharding.get(node.system()).shardState(),
                  r -> new GetShardRegionState(StateStoreEntity.ENTITY_TYPE_KEY, r),
                  T,
                  node.system().scheduler())
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      for (ShardRegion.ShardState s : state.getShards()) {
        for (int p = 0; p < PARTITIONS; p++) {
          if (s.getEntityIds().contains(storeId(p))) {
            Integer previous = at.put(p, node.nodeId());
            assertTrue(previous == null, "store of partition " + p + " runs on nodes " + previous + " and " + node.nodeId());
          }
        }
      }
    }
    return at;
  }

  /**
   * Sends, for every partition, its first word twice and its last word once, and {@code fresh}
   * once; adds them to {@code expected}. Checks every partition got records.
   */
  static void produceMore(String bootstrap, Map<Integer, List<String>> wordsOf, String fresh, Map<String, Long> expected)
      throws Exception {
    List<String> more = new ArrayList<>();
    for (List<String> ws : wordsOf.values()) {
      more.add(ws.get(0));
      more.add(ws.get(0));
      more.add(ws.get(ws.size() - 1));
    }
    more.add(fresh);
    for (String w : more) {
      expected.merge(w, 1L, Long::sum);
    }
    assertEquals(Set.of(0, 1, 2), produce(bootstrap, more).keySet(), "every partition got new records");
  }

  static long produced(Map<String, Long> expected) {
    return expected.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Records in the output topic (the sum of its partitions' end offsets). */
  static long outputRecords(String bootstrap) {
    try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
      List<TopicPartition> all = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        all.add(new TopicPartition(OUTPUT, p));
      }
      return c.endOffsets(all, T).values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** Sends each word as a record keyed by itself; acked count per partition. */
  static Map<Integer, Integer> produce(String bootstrap, List<String> words) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    Map<Integer, Integer> acked = new TreeMap<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (String w : words) {
        sent.add(producer.send(new ProducerRecord<>(INPUT, w.getBytes(UTF_8), w.getBytes(UTF_8))));
      }
      for (int i = 0; i < sent.size(); i++) {
        RecordMetadata m = sent.get(i).get(60, TimeUnit.SECONDS);
        assertEquals(partitionOf(words.get(i)), m.partition(), words.get(i));
        acked.merge(m.partition(), 1, Integer::sum);
      }
    }
    return acked;
  }

  /** The latest count per word in the whole output topic, read with kafka-clients up to its end offsets. */
  static Map<String, Long> latestCounts(String bootstrap) {
    Map<String, Long> latest = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
      List<TopicPartition> all = new ArrayList<>();
      for (int p = 0; p < PARTITIONS; p++) {
        all.add(new TopicPartition(OUTPUT, p));
      }
      c.assign(all);
      Map<TopicPartition, Long> end = c.endOffsets(all, T);
      c.seekToBeginning(all);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && all.stream().anyMatch(tp -> c.position(tp, T) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            latest.put(new String(r.key(), UTF_8), ByteBuffer.wrap(r.value()).getLong());
          }
        }
      }
      for (TopicPartition tp : all) {
        assertTrue(c.position(tp, T) >= end.get(tp), "read " + tp + " to its end " + end.get(tp));
      }
    }
    return latest;
  }

  /** Waits (bounded) until the output's latest count per word is exactly {@code expected}. */
  static void awaitCounts(String bootstrap, Map<String, Long> expected, RunningProcessor p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, Long> seen = Map.of();
    while (System.nanoTime() < deadline) {
      assertTrue(!p.done().toCompletableFuture().isDone(), () -> "the processor ended: " + failure(p));
      seen = latestCounts(bootstrap);
      if (seen.equals(expected)) {
        return;
      }
      Thread.sleep(200);
    }
    Set<String> wrong = new TreeSet<>(expected.keySet());
    wrong.addAll(seen.keySet());
    Map<String, Long> finalSeen = seen;
    wrong.removeIf(w -> java.util.Objects.equals(expected.get(w), finalSeen.get(w)));
    assertEquals(expected, seen, "words whose count differs: " + wrong);
  }

  static String failure(RunningProcessor p) {
    try {
      p.done().toCompletableFuture().getNow(null);
      return "completed";
    } catch (Exception e) {
      return e.toString();
    }
  }

  /** Waits until no move is listed and the partition's leader is {@code node}. */
  static void awaitMoved(Admin admin, TopicPartition tp, int node) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      boolean listed = !admin.listPartitionReassignments().reassignments().get(30, TimeUnit.SECONDS).isEmpty();
      if (!listed && leaders(admin, tp.topic()).get(tp.partition()) == node) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(tp + " did not move to node " + node);
  }
}
