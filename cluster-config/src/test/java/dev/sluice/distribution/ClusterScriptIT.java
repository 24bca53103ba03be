package dev.sluice.distribution;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/sluice cluster start|status|stop}: three nodes, each its own JVM started from the
 * packaged distribution with {@code conf/cluster-3.conf}, on free loopback ports; Kafka clients
 * use the cluster through different nodes; stop ends exactly the recorded processes.
 */
class ClusterScriptIT {
  private static final int NODES = 3;
  /** Small heaps: three node JVMs beside Maven's and this one, on as few as 2 cores. */
  private static final String NODE_JAVA_OPTS = "-Xmx256m -XX:+UseSerialGC";

  @TempDir Path tmp;

  @Test
  void startsAThreeNodeClusterThatSpreadsPartitionsAndStopsEveryNode() throws Exception {
    Path base = tmp.resolve("cluster");
    Ports ports = Ports.free();
    int kafkaBase = ports.kafkaBase();
    int clusterBase = ports.clusterBase();
    String[] where = ports.args(base);
    List<Long> pids = new ArrayList<>();
    try {
      Run start = sluice(Duration.ofSeconds(240), concat(new String[] {"cluster", "start", "--nodes", "3", "--timeout", "180"}, where));
      for (int k = 1; k <= NODES; k++) {
        Path pidFile = base.resolve("node" + k).resolve("node.pid");
        if (Files.exists(pidFile)) {
          pids.add(Long.parseLong(Files.readString(pidFile).trim()));
        }
      }
      start.assertExit(0, base);
      assertEquals(NODES, pids.size(), "a PID file per node: " + pids);
      assertTrue(start.out.contains("all 3 node(s) are up, and each sees the others"), start.out);

      // a second start of the same cluster is refused and starts nothing
      Run again = sluice(Duration.ofSeconds(60), concat(new String[] {"cluster", "start", "--nodes", "3"}, where));
      again.assertExit(1, base);
      assertTrue(again.out.contains("node 1 is already running (pid " + pids.get(0) + ","), again.out);
      assertEquals(pids.get(0), Long.parseLong(Files.readString(base.resolve("node1").resolve("node.pid")).trim()));

      String node1 = "127.0.0.1:" + kafkaBase;
      String node2 = "127.0.0.1:" + (kafkaBase + 1);
      String node3 = "127.0.0.1:" + (kafkaBase + 2);

      // topic created through node 2: 6 partitions, 2 led by each node (createOnEveryNode checks)
      String spread;
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node2))) {
        awaitBrokers(admin, NODES);
        spread = createOnEveryNode(admin, "spread");
      }

      // 300 records produced through node 3, read back through node 1
      Map<Integer, Integer> acked = produce(node3, spread, 300);
      assertEquals(300, acked.values().stream().mapToInt(Integer::intValue).sum());
      assertEquals(6, acked.size(), "every partition got records: " + acked);
      Map<Integer, List<String>> read = readAll(node1, spread, 6, 300);
      Map<Integer, Integer> readCounts = new TreeMap<>();
      read.forEach((p, values) -> readCounts.put(p, values.size()));
      assertEquals(acked, readCounts, "records per partition");
      for (int p = 0; p < 6; p++) {
        List<String> expected = new ArrayList<>();
        for (int i = p; i < 300; i += 6) {
          expected.add("value-" + i);
        }
        assertEquals(expected, read.get(p), "partition " + p + " in produce order");
      }

      // status: a line per node, all running and answering
      Run status = sluice(Duration.ofSeconds(60), concat(new String[] {"cluster", "status"}, where));
      status.assertExit(0, base);
      List<String> lines = status.out.lines().filter(l -> l.startsWith("node ")).toList();
      assertEquals(NODES, lines.size(), status.out);
      for (int k = 1; k <= NODES; k++) {
        String line = lines.get(k - 1);
        assertTrue(line.matches("node " + k + "\\s+pid " + pids.get(k - 1) + "\\s+running\\s+kafka 127\\.0\\.0\\.1:" + (kafkaBase + k - 1) + " \\(answering\\)\\s+data .*node" + k + "/data"), line);
      }

      // stop: every node process ends, the PID files go, status says stopped
      Run stop = sluice(Duration.ofSeconds(180), concat(new String[] {"cluster", "stop", "--timeout", "90"}, where));
      stop.assertExit(0, base);
      for (int k = 1; k <= NODES; k++) {
        assertTrue(stop.out.contains("node " + k + ": stopped"), stop.out);
        assertTrue(gone(pids.get(k - 1)), "node " + k + " (pid " + pids.get(k - 1) + ") still runs");
        assertTrue(Files.notExists(base.resolve("node" + k).resolve("node.pid")));
      }
      assertTrue(!stop.out.contains("SIGKILL"), "every node stopped on SIGTERM:\n" + stop.out);
      Run after = sluice(Duration.ofSeconds(60), concat(new String[] {"cluster", "status"}, where));
      after.assertExit(3, base);
      assertEquals(NODES, after.out.lines().filter(l -> l.matches("node \\d\\s+pid -\\s+stopped\\s.*")).count(), after.out);
      String log1 = Files.readString(base.resolve("node1").resolve("node.log"));
      assertTrue(log1.contains("Closed journal"), "node 1 shut down cleanly (coordinated shutdown closed its journal)");
    } finally {
      // never leave node JVMs behind: stop through the script, then end the recorded PIDs that remain
      stopAll(pids, where, base);
    }
  }

  /**
   * SIGKILL of a node during an acks=1 produce load: while it is down its partitions have no
   * leader and answer no reads (never an empty log); the other partitions keep taking records;
   * after it restarts (same data, same ports) every acknowledged record is at its offset.
   */
  @Test
  void aNodeKilledUnderLoadLosesNoAcknowledgedRecord() throws Exception {
    Path base = tmp.resolve("killed");
    Ports ports = Ports.free();
    int kafkaBase = ports.kafkaBase();
    int clusterBase = ports.clusterBase();
    String[] where = ports.args(base);
    List<Long> pids = new ArrayList<>();
    Process restarted = null;
    try {
      pids.addAll(startThree(base, where));
      String all = "127.0.0.1:" + kafkaBase + ",127.0.0.1:" + (kafkaBase + 1) + ",127.0.0.1:" + (kafkaBase + 2);
      String node1 = "127.0.0.1:" + kafkaBase;
      java.util.Set<Integer> onThree = new java.util.TreeSet<>();
      String loadTopic;
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node1))) {
        awaitBrokers(admin, NODES);
        loadTopic = createOnEveryNode(admin, "load");
        leadersOf(admin, loadTopic).forEach((p, n) -> {
          if (n == 3) {
            onThree.add(p);
          }
        });
      }

      // the load: 4,000 records round-robin, acks=1; every acknowledgement is remembered
      java.util.concurrent.ConcurrentLinkedQueue<long[]> acked = new java.util.concurrent.ConcurrentLinkedQueue<>();
      java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
      Properties pp = new Properties();
      pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, all);
      pp.put(ProducerConfig.ACKS_CONFIG, "1");
      pp.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
      pp.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
      pp.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      KafkaProducer<String, String> producer = new KafkaProducer<>(pp, new StringSerializer(), new StringSerializer());
      Thread load =
          new Thread(
              () -> {
                for (int i = 0; i < 4000; i++) {
                  int n = i;
                  producer.send(
                      new ProducerRecord<>(loadTopic, n % 6, "key-" + n, "value-" + n),
                      (md, e) -> {
                        if (e == null) {
                          acked.add(new long[] {md.partition(), md.offset(), n});
                        } else {
                          failed.incrementAndGet();
                        }
                      });
                  try {
                    Thread.sleep(2);
                  } catch (InterruptedException ie) {
                    return;
                  }
                }
              });
      load.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acked.size() < 1000 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(acked.size() >= 1000, "load running: " + acked.size());
      ProcessHandle.of(pids.get(2)).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL node 3
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!gone(pids.get(2)) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }

      // during the outage: node 3's partitions are leaderless and unreadable, not empty
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node1))) {
        Map<Integer, Integer> leaders = Map.of();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
          Map<Integer, Integer> now;
          try {
            now = leadersOf(admin, loadTopic);
          } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            continue; // the metadata entities of the killed node are restarting elsewhere
          }
          leaders = now;
          if (onThree.stream().allMatch(p -> now.get(p) == -1)) {
            break;
          }
          Thread.sleep(200);
        }
        for (int p : onThree) {
          assertEquals(-1, leaders.get(p), "partition " + p + " of the killed node has no leader: " + leaders);
        }
      }
      Properties cp = new Properties();
      cp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, node1);
      try (KafkaConsumer<String, String> c = new KafkaConsumer<>(cp, new StringDeserializer(), new StringDeserializer())) {
        List<TopicPartition> down = onThree.stream().map(p -> new TopicPartition(loadTopic, p)).toList();
        try {
          Map<TopicPartition, Long> ends = c.endOffsets(down, Duration.ofSeconds(3));
          fail("the killed node's partitions answered end offsets " + ends);
        } catch (org.apache.kafka.common.errors.TimeoutException expected) {
          // unavailable, as it should be
        }
      }
      // the other nodes' partitions keep taking records meanwhile
      Properties op = new Properties();
      op.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, node1);
      op.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
      op.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
      try (KafkaProducer<String, String> other = new KafkaProducer<>(op, new StringSerializer(), new StringSerializer())) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int p = 0; p < 6; p++) {
          if (!onThree.contains(p)) {
            for (int i = 0; i < 10; i++) {
              sent.add(other.send(new ProducerRecord<>(loadTopic, p, "during", "during-" + i)));
            }
          }
        }
        for (Future<RecordMetadata> f : sent) {
          f.get(40, TimeUnit.SECONDS);
        }
      }

      // node 3 comes back with its data (same ports), the load finishes
      Path log3 = base.resolve("node3").resolve("restarted.log");
      ProcessBuilder pb =
          new ProcessBuilder(
                  "bash", "bin/sluice", "node", "--config", base.resolve("cluster.conf").toString(), "--node-id", "3",
                  "--cluster-port", Integer.toString(clusterBase + 2), "--kafka-port", Integer.toString(kafkaBase + 2),
                  "--data-dir", base.resolve("node3").resolve("data").toString())
              .redirectErrorStream(true)
              .redirectOutput(log3.toFile());
      pb.environment().put("SLUICE_JAVA_OPTS", NODE_JAVA_OPTS);
      restarted = pb.start();
      load.join(TimeUnit.SECONDS.toMillis(180));
      producer.close(Duration.ofSeconds(150));
      assertEquals(4000, acked.size() + failed.get(), "every send completed");

      // every acknowledged record is at its offset, read through the restarted node
      Map<Integer, Integer> counts = new TreeMap<>();
      acked.forEach(a -> counts.merge((int) a[0], 1, Integer::sum));
      Map<String, String> byPosition = new java.util.HashMap<>();
      Properties rp = new Properties();
      rp.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + (kafkaBase + 2));
      rp.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      try (KafkaConsumer<String, String> c = new KafkaConsumer<>(rp, new StringDeserializer(), new StringDeserializer())) {
        List<TopicPartition> parts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          parts.add(new TopicPartition(loadTopic, i));
        }
        c.assign(parts);
        c.seekToBeginning(parts);
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        java.util.Set<String> wanted = new java.util.HashSet<>();
        acked.forEach(a -> wanted.add(a[0] + "@" + a[1]));
        while (!byPosition.keySet().containsAll(wanted) && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
            byPosition.put(r.partition() + "@" + r.offset(), r.value());
          }
        }
      }
      for (long[] a : acked) {
        assertEquals("value-" + a[2], byPosition.get(a[0] + "@" + a[1]), "acknowledged record " + a[2] + " at " + a[0] + "@" + a[1]);
      }
      assertTrue(onThree.stream().allMatch(p -> counts.getOrDefault(p, 0) > 0), "the killed node's partitions had acknowledged records: " + counts);
    } finally {
      if (restarted != null) {
        restarted.destroy();
        if (!restarted.waitFor(60, TimeUnit.SECONDS)) {
          restarted.destroyForcibly();
        }
      }
      stopAll(pids, where, base);
    }
  }

  /**
   * SIGKILL of the node that runs the topic registry and a group's coordinator: once the
   * cluster has downed it, the other two nodes still list every topic, the group's committed
   * offsets are all there, and new topics can be created (metadata is replicated on every node
   * and written to a majority).
   */
  @Test
  void killingTheNodeThatRunsTheMetadataLosesNoTopicOrOffset() throws Exception {
    Path base = tmp.resolve("metadata");
    Ports ports = Ports.free();
    int kafkaBase = ports.kafkaBase();
    String[] where = ports.args(base);
    List<Long> pids = new ArrayList<>();
    try {
      pids.addAll(startThree(base, where));
      Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed = new java.util.HashMap<>();
      int victim;
      String group = null;
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaBase))) {
        awaitBrokers(admin, NODES);
        admin.createTopics(List.of(new NewTopic("meta-a", 3, (short) 1), new NewTopic("meta-b", 2, (short) 1))).all().get(60, TimeUnit.SECONDS);
        victim = admin.describeCluster().controller().get(30, TimeUnit.SECONDS).id(); // runs the topic registry
        committed.put(new TopicPartition("meta-a", 0), new org.apache.kafka.clients.consumer.OffsetAndMetadata(0, "first"));
        committed.put(new TopicPartition("meta-a", 2), new org.apache.kafka.clients.consumer.OffsetAndMetadata(0, "third"));
        committed.put(new TopicPartition("meta-b", 1), new org.apache.kafka.clients.consumer.OffsetAndMetadata(0, "fourth"));
        for (int i = 0; i < 30 && group == null; i++) {
          String g = "survivors-" + i;
          admin.alterConsumerGroupOffsets(g, committed).all().get(60, TimeUnit.SECONDS); // creates the group
          if (admin.describeConsumerGroups(List.of(g)).all().get(30, TimeUnit.SECONDS).get(g).coordinator().id() == victim) {
            group = g;
          }
        }
        assertTrue(group != null, "a group coordinated by node " + victim);
        assertEquals(committed, admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS));
      }

      ProcessHandle.of(pids.get(victim - 1)).ifPresent(ProcessHandle::destroyForcibly); // SIGKILL
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!gone(pids.get(victim - 1)) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      int survivor = victim == 1 ? 2 : 1;
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + (kafkaBase + survivor - 1)))) {
        // the split-brain resolver downs the dead node after its stable-after; sharding then
        // restarts the metadata entities on the survivors, from the replicated journal
        awaitBrokers(admin, NODES - 1);
        java.util.Set<String> topics = java.util.Set.of();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
          try {
            topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            if (topics.containsAll(List.of("meta-a", "meta-b"))) {
              break;
            }
          } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // metadata entities are restarting elsewhere: ask again
          }
          Thread.sleep(500);
        }
        assertEquals(java.util.Set.of("meta-a", "meta-b"), topics, "topics after node " + victim + " was killed");
        assertTrue(admin.describeCluster().controller().get(30, TimeUnit.SECONDS).id() != victim, "the registry runs elsewhere");
        assertEquals(committed, admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS),
            "committed offsets of " + group + " after its coordinator's node was killed");
        admin.createTopics(List.of(new NewTopic("meta-c", 2, (short) 1))).all().get(60, TimeUnit.SECONDS);
        assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains("meta-c"), "metadata still takes changes");
      }
    } finally {
      stopAll(pids, where, base);
    }
  }

  /** Starts a 3-node cluster with the script in {@code base}; the nodes' PIDs, node 1 first. */
  static List<Long> startThree(Path base, String[] where) throws Exception {
    sluice(Duration.ofSeconds(240), concat(new String[] {"cluster", "start", "--nodes", "3", "--timeout", "180"}, where)).assertExit(0, base);
    List<Long> pids = new ArrayList<>();
    for (int k = 1; k <= NODES; k++) {
      pids.add(Long.parseLong(Files.readString(base.resolve("node" + k).resolve("node.pid")).trim()));
    }
    return pids;
  }

  /** Stops what is left of a cluster started by {@link #startThree}: the script first, then SIGKILL; keeps the logs. */
  static void stopAll(List<Long> pids, String[] where, Path base) throws Exception {
    if (pids.stream().anyMatch(pid -> !gone(pid))) {
      sluice(Duration.ofSeconds(120), concat(new String[] {"cluster", "stop", "--timeout", "60"}, where));
    }
    for (long pid : pids) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
    copyLogs(base);
  }

  /**
   * Creates a topic of 6 partitions right after {@code sluice cluster start} returned, and checks
   * that it is placed 2 per node: the script returns only once every node sees all three up, and
   * a registry that moves to a node that joined answers the creation in progress first. A
   * request that reaches the old shard in the instant Pekko hands it off is still dropped (its
   * caller times out, though the registry may have created the topic): then this looks for the
   * topic, as a Kafka client would, and checks its placement all the same.
   */
  static String createOnEveryNode(Admin admin, String name) throws Exception {
    try {
      admin.createTopics(List.of(new NewTopic(name, 6, (short) 1))).all().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (!(e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException)) {
        throw e;
      }
      System.out.println("[ClusterScriptIT] creating " + name + ": " + e.getCause().getMessage() + "; looking for it");
    }
    Map<Integer, Integer> leaders = awaitLeaders(admin, name);
    Map<Integer, Long> perNode =
        leaders.values().stream().collect(Collectors.groupingBy(n -> n, TreeMap::new, Collectors.counting()));
    assertEquals(Map.of(1, 2L, 2, 2L, 3, 2L), perNode, "partitions per node of " + name + ": " + leaders);
    return name;
  }

  /** The leader of each partition of {@code topic} once it exists with 6 partitions (at most 60 s). */
  static Map<Integer, Integer> awaitLeaders(Admin admin, String topic) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        Map<Integer, Integer> leaders = leadersOf(admin, topic);
        if (leaders.size() == 6 || System.nanoTime() > deadline) {
          return leaders;
        }
      } catch (java.util.concurrent.ExecutionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(500);
    }
  }

  static Map<Integer, Integer> leadersOf(Admin admin, String topic) throws Exception {
    TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
    Map<Integer, Integer> leaders = new TreeMap<>();
    for (TopicPartitionInfo p : d.partitions()) {
      leaders.put(p.partition(), p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id());
    }
    return leaders;
  }

  @Test
  void rejectsBadArguments() throws Exception {
    Path base = tmp.resolve("bad");
    Run nodes = sluice(Duration.ofSeconds(30), "cluster", "start", "--nodes", "zero", "--base-dir", base.toString());
    assertEquals(2, nodes.exitCode, nodes.out);
    assertTrue(nodes.out.contains("--nodes needs a number"), nodes.out);
    Run option = sluice(Duration.ofSeconds(30), "cluster", "status", "--colour", "blue");
    assertEquals(2, option.exitCode, option.out);
    assertTrue(option.out.contains("unknown option '--colour'"), option.out);
    Run command = sluice(Duration.ofSeconds(30), "cluster", "restart");
    assertEquals(2, command.exitCode, command.out);
    assertTrue(command.out.contains("unknown command 'restart'"), command.out);
    Run overlap = sluice(Duration.ofSeconds(30), "cluster", "start", "--kafka-base-port", "25521", "--base-dir", base.toString());
    assertEquals(2, overlap.exitCode, overlap.out);
    assertTrue(overlap.out.contains("overlap"), overlap.out);
    Run none = sluice(Duration.ofSeconds(30), "cluster", "stop", "--base-dir", base.toString());
    assertEquals(1, none.exitCode, none.out);
    assertTrue(none.out.contains("no cluster in"), none.out);
    assertTrue(Files.notExists(base), "nothing was created");
    Run help = sluice(Duration.ofSeconds(30), "cluster", "--help");
    assertEquals(0, help.exitCode, help.out);
    for (String s : new String[] {"start", "stop", "status", "--nodes", "--base-dir", "--kafka-base-port", "--cluster-base-port", "SLUICE_JAVA_OPTS"}) {
      assertTrue(help.out.contains(s), "cluster help mentions " + s + ":\n" + help.out);
    }
  }

  // ---------------------------------------------------------------------------------------------

  record Run(int exitCode, String out) {
    void assertExit(int expected, Path base) throws IOException {
      if (exitCode != expected) {
        fail("exit status " + exitCode + " (expected " + expected + "):\n" + out + nodeLogTails(base));
      }
    }
  }

  /** Runs {@code bin/sluice args}, output and errors together; fails after {@code limit}. */
  static Run sluice(Duration limit, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", "bin/sluice"));
    command.addAll(List.of(args));
    Path out = Files.createTempFile("sluice-cli", ".out");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
      pb.environment().put("SLUICE_JAVA_OPTS", NODE_JAVA_OPTS);
      Process p = pb.start();
      if (!p.waitFor(limit.toSeconds(), TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("'sluice " + String.join(" ", args) + "' did not finish within " + limit.toSeconds() + " s:\n" + Files.readString(out));
      }
      return new Run(p.exitValue(), Files.readString(out));
    } finally {
      Files.deleteIfExists(out);
    }
  }

  /** Two non-overlapping ranges of free ports for the cluster's nodes, and the script options naming them. */
  record Ports(int kafkaBase, int clusterBase) {
    static Ports free() throws IOException {
      int kafka = freePortRange(NODES);
      int cluster = freePortRange(NODES);
      while (cluster < kafka + NODES && kafka < cluster + NODES) {
        cluster = freePortRange(NODES);
      }
      return new Ports(kafka, cluster);
    }

    String[] args(Path base) {
      return new String[] {"--base-dir", base.toString(), "--kafka-base-port", Integer.toString(kafkaBase), "--cluster-base-port", Integer.toString(clusterBase)};
    }
  }

  /**
   * The first of {@code n} consecutive loopback ports that are free now (a random start, so runs
   * do not clash), below the kernel's ephemeral range: a port in that range can be taken by any
   * outgoing connection (the nodes' own, the clients') between this check and the node's bind.
   */
  static int freePortRange(int n) throws IOException {
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    int ephemeralLow = 32_768; // Linux's default when the range cannot be read
    try {
      ephemeralLow = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim().split("\\s+")[0]);
    } catch (IOException | RuntimeException unknown) {
      // keep the default
    }
    int upper = Math.max(12_000, ephemeralLow) - n;
    for (int attempt = 0; attempt < 200; attempt++) {
      int first = ThreadLocalRandom.current().nextInt(10_000, upper);
      List<ServerSocket> held = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          held.add(new ServerSocket(first + i, 1, loopback));
        }
        return first;
      } catch (IOException taken) {
        // try another range
      } finally {
        for (ServerSocket s : held) {
          s.close();
        }
      }
    }
    throw new IOException("no " + n + " consecutive free ports found");
  }

  /**
   * Waits (at most 90 s) until the cluster lists {@code n} brokers. After a SIGKILL the client may
   * send its request to the dead node, which it still knows from earlier metadata: such a request
   * times out, and this asks again.
   */
  static void awaitBrokers(Admin admin, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    int seen = 0;
    while (System.nanoTime() < deadline) {
      try {
        seen = admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions().timeoutMs(10_000))
            .nodes().get(15, TimeUnit.SECONDS).size();
        if (seen == n) {
          return;
        }
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        System.out.println("[ClusterScriptIT] describeCluster: " + e + "; asking again");
      }
      Thread.sleep(200);
    }
    fail("the cluster reports " + seen + " brokers, not " + n);
  }

  /** Sends {@code n} records round-robin over the 6 partitions; acked count per partition. */
  static Map<Integer, Integer> produce(String bootstrap, String topic, int n) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
    Map<Integer, Integer> acked = new TreeMap<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, i % 6, "key-" + i, "value-" + i)));
      }
      for (Future<RecordMetadata> f : sent) {
        acked.merge(f.get(90, TimeUnit.SECONDS).partition(), 1, Integer::sum);
      }
    }
    return acked;
  }

  /** Reads every partition from the beginning until {@code expected} records arrived (bounded). */
  static Map<Integer, List<String>> readAll(String bootstrap, String topic, int partitions, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<Integer, List<String>> read = new TreeMap<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> all = new ArrayList<>();
      for (int i = 0; i < partitions; i++) {
        all.add(new TopicPartition(topic, i));
      }
      c.assign(all);
      c.seekToBeginning(all);
      int seen = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (seen < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          read.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.value());
          seen++;
        }
      }
    }
    return read;
  }

  /** True once process {@code pid} has ended (a zombie waiting for its parent counts as ended). */
  static boolean gone(long pid) {
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      try {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state.equals("Z") || state.equals("X");
      } catch (IOException | RuntimeException e) {
        return !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
      }
    }
    return true;
  }

  static String nodeLogTails(Path base) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int k = 1; k <= NODES; k++) {
      Path log = base.resolve("node" + k).resolve("node.log");
      if (Files.exists(log)) {
        List<String> lines = Files.readAllLines(log, UTF_8);
        b.append("\n---- node ").append(k).append(" log (last 30 lines) ----\n");
        lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> b.append(l).append('\n'));
      }
    }
    return b.toString();
  }

  /** The nodes' logs next to the failsafe reports, as evidence when something failed. */
  static void copyLogs(Path base) throws IOException {
    Path target = Path.of("target");
    for (int k = 1; k <= NODES; k++) {
      Path log = base.resolve("node" + k).resolve("node.log");
      if (Files.isDirectory(target) && Files.exists(log)) {
        Files.copy(log, target.resolve("ClusterScriptIT-node" + k + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  static String[] concat(String[] a, String[] b) {
    String[] r = new String[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
