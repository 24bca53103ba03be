package dev.sluice.engine.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes (three ActorSystems with their own data directories) on loopback: partitions spread
 * over the nodes, Kafka clients work through any node, a node's partitions are unavailable (never
 * empty) while it is down and come back whole when it restarts on a new port.
 */
class ThreeNodeClusterTest {
  @TempDir Path base;
  static final String PAD = "x".repeat(4000);

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  SluiceNode start(int id, int clusterPort, int seedPort) throws IOException {
    Path conf = base.resolve("node" + id + ".conf");
    Files.writeString(
        conf,
        "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
            + "pekko.cluster.seed-nodes = [\"pekko://sluice@127.0.0.1:" + seedPort + "\"]\n"
            + "sluice.cluster.metadata-quorum = 2\n"
            + "sluice.kafka.host = \"127.0.0.1\"\n");
    return SluiceNode.start(
        NodeSettings.of(base.resolve("data" + id)).withNodeId(id).withClusterPort(clusterPort).withKafkaPort(0).withConfigFile(conf));
  }

  /** Starts nodes 1..n (node 1 on {@code seedPort}, the seed) into {@code running}, all up in every node's view. */
  void startCluster(List<SluiceNode> running, int n, int seedPort) throws Exception {
    for (int id = 1; id <= n; id++) {
      running.add(start(id, id == 1 ? seedPort : freePort(), seedPort));
    }
    for (SluiceNode node : running) {
      awaitUp(node, n);
    }
  }

  static void closeAll(List<SluiceNode> running) {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
  }

  static void awaitUp(SluiceNode node, int members) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      long up = 0;
      for (var m : Cluster.get(node.system()).state().getMembers()) {
        if (m.status() == MemberStatus.up()) {
          up++;
        }
      }
      if (up == members && Cluster.get(node.system()).state().getUnreachable().isEmpty()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("cluster did not reach " + members + " up members");
  }

  /** The node whose shard region runs the topic registry entity, -1 if none does. */
  static int registryRunsOn(List<SluiceNode> running) throws Exception {
    for (SluiceNode node : running) {
      var sharding = org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(node.system());
      org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState state =
          org.apache.pekko.actor.typed.javadsl.AskPattern
              .<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
                  org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState>ask(
                  sharding.shardState(),
                  replyTo -> new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(
                      dev.sluice.actors.registry.TopicRegistry.ENTITY_TYPE_KEY, replyTo),
                  Duration.ofSeconds(10),
                  node.system().scheduler())
              .toCompletableFuture()
              .get(15, TimeUnit.SECONDS);
      for (var shard : state.getShards()) {
        if (shard.getEntityIds().contains(dev.sluice.actors.registry.TopicRegistry.ENTITY_ID)) {
          return node.nodeId();
        }
      }
    }
    return -1;
  }

  static Map<Integer, Integer> leaders(Admin admin, String topic) throws Exception {
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
    Map<Integer, Integer> leaders = new TreeMap<>();
    for (TopicPartitionInfo p : d.partitions()) {
      leaders.put(p.partition(), p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id());
    }
    return leaders;
  }

  @Test
  void partitionsSpreadOverTheNodesAndANodesLogIsNeverServedEmpty() throws Exception {
    int seed = freePort();
    SluiceNode n1 = start(1, seed, seed);
    SluiceNode n2 = start(2, freePort(), seed);
    SluiceNode n3 = start(3, freePort(), seed);
    List<SluiceNode> running = new ArrayList<>(List.of(n1, n2, n3));
    try {
      for (SluiceNode n : running) {
        awaitUp(n, 3); // every node's view, so every gateway lists all three
      }
      String viaN2 = "127.0.0.1:" + n2.kafkaPort();
      Map<Integer, Integer> leaders;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", viaN2))) {
        assertEquals(3, admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size());
        admin.createTopics(List.of(new NewTopic("spread", 12, (short) 1))).all().get(60, TimeUnit.SECONDS);
        leaders = leaders(admin, "spread");
      }
      Map<Integer, Long> perNode = leaders.values().stream().collect(Collectors.groupingBy(n -> n, TreeMap::new, Collectors.counting()));
      assertEquals(Map.of(1, 4L, 2, 4L, 3, 4L), perNode, "12 partitions, 4 per node: " + leaders);

      // produce through node 3, read back through node 1: clients follow the leaders
      Map<Integer, Integer> acked = produce("127.0.0.1:" + n3.kafkaPort(), "spread", 0, 1200, Set.of());
      assertEquals(1200, acked.values().stream().mapToInt(Integer::intValue).sum());
      Map<Integer, Integer> read = readAll("127.0.0.1:" + n1.kafkaPort(), "spread", 12, 1200);
      assertEquals(acked, read);

      // the DSL routes through sharding: from node 2 it reads every node's partitions
      Map<dev.sluice.dsl.javadsl.TopicPartition, dev.sluice.dsl.javadsl.StartOffset> all = new java.util.LinkedHashMap<>();
      for (int p = 0; p < 12; p++) {
        all.put(new dev.sluice.dsl.javadsl.TopicPartition("spread", p), dev.sluice.dsl.javadsl.StartOffset.earliest());
      }
      List<dev.sluice.dsl.javadsl.ConsumerRecord> viaDsl =
          dev.sluice.dsl.javadsl.Consumer.plainSource(n2.system(), dev.sluice.dsl.javadsl.ConsumerSettings.defaults(), all)
              .take(1200)
              .completionTimeout(Duration.ofSeconds(60))
              .runWith(org.apache.pekko.stream.javadsl.Sink.seq(), n2.system())
              .toCompletableFuture()
              .get(90, TimeUnit.SECONDS);
      Map<Integer, Integer> dslCounts = new TreeMap<>();
      viaDsl.forEach(r -> dslCounts.merge(r.partition(), 1, Integer::sum));
      assertEquals(acked, dslCounts, "the DSL on node 2 reads the partitions of all three nodes");

      // node 3 goes down: its partitions have no leader and answer no reads; the rest works
      Set<Integer> onThree = leaders.entrySet().stream().filter(e -> e.getValue() == 3).map(Map.Entry::getKey).collect(Collectors.toSet());
      n3.close();
      running.remove(n3);
      for (SluiceNode n : running) {
        awaitUp(n, 2);
      }
      String viaN1 = "127.0.0.1:" + n1.kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", viaN1))) {
        Map<Integer, Integer> during = leaders(admin, "spread");
        for (int p : onThree) {
          assertEquals(-1, during.get(p), "partition " + p + " of the stopped node has no leader");
        }
      }
      try (KafkaConsumer<byte[], byte[]> c = consumer(viaN1)) {
        List<TopicPartition> down = onThree.stream().map(p -> new TopicPartition("spread", p)).toList();
        assertThrows(
            org.apache.kafka.common.errors.TimeoutException.class,
            () -> c.endOffsets(down, Duration.ofSeconds(3)),
            "the stopped node's partitions are unavailable, not empty");
      }
      Map<Integer, Integer> more = produce(viaN1, "spread", 1200, 1500, onThree);
      assertEquals(200, more.values().stream().mapToInt(Integer::intValue).sum(), "300 records, 8 of 12 partitions");

      // node 3 returns on another port with the same data: every acknowledged record is there
      SluiceNode back = start(3, freePort(), seed);
      running.add(back);
      for (SluiceNode n : running) {
        awaitUp(n, 3);
      }
      Map<Integer, Integer> expected = new HashMap<>(acked);
      more.forEach((p, n) -> expected.merge(p, n, Integer::sum));
      assertEquals(expected, readAll("127.0.0.1:" + back.kafkaPort(), "spread", 12, 1400));
    } finally {
      closeAll(running);
    }
  }

  @Test
  void aNewNodeTakesNewPartitionsAndAFullRestartRecoversTopicsDataAndGroupOffsets() throws Exception {
    List<SluiceNode> running = new ArrayList<>();
    try {
      int seed = freePort();
      startCluster(running, 3, seed);
      String via1 = "127.0.0.1:" + running.get(0).kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via1))) {
        admin.createTopics(List.of(new NewTopic("before", 6, (short) 1))).all().get(60, TimeUnit.SECONDS);
      }
      Map<Integer, Integer> before = produceAll(via1, "before", 6, 600);
      // a group reads "before" and commits
      Properties g = new Properties();
      g.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + running.get(1).kafkaPort());
      g.put(ConsumerConfig.GROUP_ID_CONFIG, "auditors");
      g.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      g.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(g, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of("before"));
        int seen = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (seen < 600 && System.nanoTime() < deadline) {
          seen += c.poll(Duration.ofMillis(200)).count();
        }
        assertEquals(600, seen);
        c.commitSync();
      }

      // the topic registry runs on the oldest node, so a node that joins does not move it
      assertEquals(1, registryRunsOn(running), "the registry runs on node 1, the oldest");

      // scale out: node 4 joins and takes its share of a new topic at once
      running.add(start(4, freePort(), seed));
      for (SluiceNode n : running) {
        awaitUp(n, 4);
      }
      Thread.sleep(5_000); // more than two rebalance rounds (pekko.cluster.sharding.rebalance-interval = 2 s)
      assertEquals(1, registryRunsOn(running), "node 4 joining does not move the registry");
      Map<Integer, Integer> leaders;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via1))) {
        admin.createTopics(List.of(new NewTopic("after", 8, (short) 1))).all().get(60, TimeUnit.SECONDS);
        leaders = leaders(admin, "after");
      }
      Map<Integer, Long> perNode = leaders.values().stream().collect(Collectors.groupingBy(n -> n, TreeMap::new, Collectors.counting()));
      assertEquals(Map.of(1, 2L, 2, 2L, 3, 2L, 4, 2L), perNode, "8 partitions over 4 nodes: " + leaders);
      Map<Integer, Integer> after = produceAll("127.0.0.1:" + running.get(3).kafkaPort(), "after", 8, 400);

      // the whole cluster stops and starts again, on new ports, with the same data
      for (int i = running.size() - 1; i >= 0; i--) {
        running.get(i).close();
      }
      running.clear();
      startCluster(running, 4, freePort());
      String via3 = "127.0.0.1:" + running.get(2).kafkaPort();
      assertEquals(before, readAll(via3, "before", 6, 600));
      assertEquals(after, readAll(via3, "after", 8, 400));
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via3))) {
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets("auditors").partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
        for (int p = 0; p < 6; p++) {
          assertEquals((long) before.get(p), committed.get(new TopicPartition("before", p)).offset(), "partition " + p);
        }
      }
    } finally {
      closeAll(running);
    }
  }

  @Test
  void aTopicRecreatedWithAnotherPlacementLivesOnlyWhereItIsPlaced() throws Exception {
    List<SluiceNode> running = new ArrayList<>();
    try {
      startCluster(running, 3, freePort());
      String via1 = "127.0.0.1:" + running.get(0).kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via1))) {
        admin.createTopics(List.of(new NewTopic("again", 6, (short) 1))).all().get(60, TimeUnit.SECONDS);
        assertEquals(60, produceAll(via1, "again", 6, 60).values().stream().mapToInt(Integer::intValue).sum());
        admin.deleteTopics(List.of("again")).all().get(60, TimeUnit.SECONDS);
      }
      // with node 3 gone, the same name gets a placement over nodes 1 and 2; the old
      // incarnation's partition entities still sit on their old nodes
      running.remove(2).close();
      for (SluiceNode n : running) {
        awaitUp(n, 2);
      }
      Map<Integer, Integer> leaders;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via1))) {
        try {
          admin.createTopics(List.of(new NewTopic("again", 6, (short) 1))).all().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
          // partitions whose old entity ran elsewhere are created once sharding has moved them
          assertTrue(e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException, e.toString());
        }
        leaders = leaders(admin, "again");
      }
      assertTrue(leaders.values().stream().allMatch(n -> n == 1 || n == 2), leaders.toString());
      Map<Integer, Integer> acked = produceAll(via1, "again", 6, 120);
      assertEquals(120, acked.values().stream().mapToInt(Integer::intValue).sum());
      assertEquals(acked, readAll("127.0.0.1:" + running.get(1).kafkaPort(), "again", 6, 120));
    } finally {
      closeAll(running);
    }
  }

  @Test
  void aSecondLiveNodeWithATakenIdShutsItselfDown() throws Exception {
    int seed = freePort();
    SluiceNode n1 = start(1, seed, seed);
    try {
      awaitUp(n1, 1);
      Path conf = base.resolve("dup.conf");
      Files.writeString(
          conf,
          "pekko.remote.artery.canonical.hostname = \"127.0.0.1\"\n"
              + "pekko.cluster.seed-nodes = [\"pekko://sluice@127.0.0.1:" + seed + "\"]\n"
              + "sluice.cluster.metadata-quorum = 2\n");
      SluiceNode dup =
          SluiceNode.start(NodeSettings.of(base.resolve("dup-data")).withNodeId(1).withClusterPort(freePort()).withKafkaPort(0).withConfigFile(conf));
      try {
        dup.whenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } finally {
        dup.close();
      }
      assertTrue(!n1.whenTerminated().toCompletableFuture().isDone(), "the original node keeps running");
    } finally {
      n1.close();
    }
  }

  /** Sends {@code n} records round-robin over {@code partitions}; acked count per partition. */
  static Map<Integer, Integer> produceAll(String bootstrap, String topic, int partitions, int n) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    Map<Integer, Integer> acked = new TreeMap<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, i % partitions, null, ("v" + i).getBytes(UTF_8))));
      }
      for (Future<RecordMetadata> f : sent) {
        acked.merge(f.get(60, TimeUnit.SECONDS).partition(), 1, Integer::sum);
      }
    }
    return acked;
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Sends records {@code from..to-1} (keyed) to partitions not in {@code skip}; acked count per partition. */
  static Map<Integer, Integer> produce(String bootstrap, String topic, int from, int to, Set<Integer> skip) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "1");
    Map<Integer, Integer> acked = new TreeMap<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      int partitions = 12;
      for (int i = from; i < to; i++) {
        int partition = i % partitions;
        if (skip.contains(partition)) {
          continue;
        }
        // 4 KB values: a DSL fetch from another node then carries a full 256 KiB of batches
        sent.add(producer.send(new ProducerRecord<>(topic, partition, ("k" + i).getBytes(UTF_8), ("v" + i + PAD).getBytes(UTF_8))));
      }
      for (Future<RecordMetadata> f : sent) {
        acked.merge(f.get(60, TimeUnit.SECONDS).partition(), 1, Integer::sum);
      }
    }
    return acked;
  }

  static Map<Integer, Integer> readAll(String bootstrap, String topic, int partitions, int expected) {
    Map<Integer, Integer> read = new TreeMap<>();
    try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrap)) {
      List<TopicPartition> all = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        all.add(new TopicPartition(topic, p));
      }
      c.assign(all);
      c.seekToBeginning(all);
      int total = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (total < expected && System.nanoTime() < deadline) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          read.merge(r.partition(), 1, Integer::sum);
          total++;
        }
      }
    }
    return read;
  }
}
