package dev.sluice.engine.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real kafka-clients consumer groups (classic protocol) against a Sluice node. */
class ConsumerGroupsTest {
  @TempDir Path dataDir;
  SluiceNode node;
  Path conf;

  @BeforeEach
  void start() throws Exception {
    conf = dataDir.resolve("groups.conf");
    // short timeouts so expiry is observable in seconds
    Files.writeString(conf, "sluice.group.min-session-timeout = 1 s\n");
    node = startNode();
  }

  SluiceNode startNode() {
    return SluiceNode.start(
        new NodeSettings(dataDir.resolve("node"), OptionalInt.empty(), OptionalInt.of(0), OptionalInt.of(0), Optional.of(conf)));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  KafkaConsumer<byte[], byte[]> member(String group, Map<String, Object> extra) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
    p.putAll(extra);
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  void produce(String topic, int partitions, int perPartition) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int part = 0; part < partitions; part++) {
        for (int i = 0; i < perPartition; i++) {
          producer.send(new ProducerRecord<>(topic, part, null, (part + ":" + i).getBytes(UTF_8)));
        }
      }
      producer.flush();
    }
  }

  void createTopic(String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  /** Polls all members (one thread: KafkaConsumer is single-threaded, each is polled in turn). */
  static void pollAll(List<KafkaConsumer<byte[], byte[]>> members, Map<KafkaConsumer<byte[], byte[]>, List<String>> seen, Duration each) {
    for (KafkaConsumer<byte[], byte[]> c : members) {
      for (ConsumerRecord<byte[], byte[]> r : c.poll(each)) {
        seen.computeIfAbsent(c, k -> new ArrayList<>()).add(new String(r.value(), UTF_8));
      }
      c.commitSync(); // commit after processing
    }
  }

  @Test
  void threeMembersSplitSixPartitionsAndTheLeaversPartitionsMove() throws Exception {
    createTopic("orders", 6);
    produce("orders", 6, 50);
    List<KafkaConsumer<byte[], byte[]>> members = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      members.add(member("g1", Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10)));
    }
    Map<KafkaConsumer<byte[], byte[]>, List<String>> seen = new HashMap<>();
    try {
      for (KafkaConsumer<byte[], byte[]> m : members) {
        m.subscribe(List.of("orders"));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline && !members.stream().allMatch(m -> m.assignment().size() == 2)) {
        pollAll(members, seen, Duration.ofMillis(200));
      }
      for (KafkaConsumer<byte[], byte[]> m : members) {
        assertEquals(2, m.assignment().size(), "each of three members gets two of six partitions: " + m.assignment());
      }
      Set<TopicPartition> all = new HashSet<>();
      members.forEach(m -> all.addAll(m.assignment()));
      assertEquals(6, all.size(), "the assignment covers every partition once");

      // one member leaves (close sends LeaveGroup); the others take over its partitions
      KafkaConsumer<byte[], byte[]> leaver = members.remove(2);
      List<String> leaverSaw = seen.getOrDefault(leaver, List.of());
      leaver.close(Duration.ofSeconds(10));
      deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline
          && !(seenCount(seen, members) + leaverSaw.size() >= 300 && members.stream().mapToInt(m -> m.assignment().size()).sum() == 6)) {
        pollAll(members, seen, Duration.ofMillis(200));
      }
      assertEquals(6, members.stream().mapToInt(m -> m.assignment().size()).sum(), "the remaining two members own all six partitions");
      Set<String> distinct = new HashSet<>(leaverSaw);
      int duplicates = 0;
      for (KafkaConsumer<byte[], byte[]> m : members) {
        for (String v : seen.getOrDefault(m, List.of())) {
          if (!distinct.add(v)) {
            duplicates++;
          }
        }
      }
      assertEquals(300, distinct.size(), "no record lost");
      // commit-after-process: only what the leaver saw but had not committed can come again
      assertTrue(duplicates <= leaverSaw.size(), duplicates + " duplicates, more than the leaver's uncommitted tail");
    } finally {
      for (KafkaConsumer<byte[], byte[]> m : members) {
        m.close(Duration.ofSeconds(10));
      }
    }
  }

  static int seenCount(Map<KafkaConsumer<byte[], byte[]>, List<String>> seen, Collection<KafkaConsumer<byte[], byte[]>> members) {
    Set<String> distinct = new HashSet<>();
    for (KafkaConsumer<byte[], byte[]> m : members) {
      distinct.addAll(seen.getOrDefault(m, List.of()));
    }
    return distinct.size();
  }

  @Test
  void cooperativeStickyMembersRebalanceIncrementally() throws Exception {
    createTopic("coop", 4);
    Map<String, Object> cfg =
        Map.of(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.CooperativeStickyAssignor");
    KafkaConsumer<byte[], byte[]> first = member("g-coop", cfg);
    KafkaConsumer<byte[], byte[]> second = member("g-coop", cfg);
    try {
      first.subscribe(List.of("coop"));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline && first.assignment().size() != 4) {
        first.poll(Duration.ofMillis(100));
      }
      assertEquals(4, first.assignment().size(), "a lone member owns every partition");
      Set<TopicPartition> before = new HashSet<>(first.assignment());
      second.subscribe(List.of("coop"));
      deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline && (first.assignment().size() != 2 || second.assignment().size() != 2)) {
        first.poll(Duration.ofMillis(100));
        second.poll(Duration.ofMillis(100));
      }
      assertEquals(2, first.assignment().size(), "two of four partitions moved (two rounds: revoke, then assign)");
      assertEquals(2, second.assignment().size());
      assertTrue(before.containsAll(first.assignment()), "sticky: the first member kept partitions it had");
    } finally {
      first.close(Duration.ofSeconds(5));
      second.close(Duration.ofSeconds(5));
    }
  }

  @Test
  void theNewConsumerProtocolGetsACleanError() throws Exception {
    createTopic("new-protocol", 1);
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "g-new");
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of("new-protocol"));
      Exception e =
          org.junit.jupiter.api.Assertions.assertThrows(
              org.apache.kafka.common.errors.UnsupportedVersionException.class,
              () -> {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (System.nanoTime() < deadline) {
                  c.poll(Duration.ofMillis(200));
                }
              });
      assertTrue(String.valueOf(e.getMessage()).contains("CONSUMER_GROUP_HEARTBEAT") || String.valueOf(e.getMessage()).toLowerCase().contains("not support"),
          "the client is told the broker lacks the new protocol: " + e.getMessage());
    }
  }

  @Test
  void aMemberThatStopsHeartbeatingIsExpelledAfterItsSessionTimeout() throws Exception {
    createTopic("hb", 2);
    Map<String, Object> cfg =
        Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 2000, "internal.leave.group.on.close", false);
    KafkaConsumer<byte[], byte[]> quitter = member("g2", cfg);
    KafkaConsumer<byte[], byte[]> stayer = member("g2", cfg);
    try {
      quitter.subscribe(List.of("hb"));
      stayer.subscribe(List.of("hb"));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline && (quitter.assignment().size() != 1 || stayer.assignment().size() != 1)) {
        quitter.poll(Duration.ofMillis(100));
        stayer.poll(Duration.ofMillis(100));
      }
      assertEquals(1, stayer.assignment().size());
      quitter.close(Duration.ofSeconds(5)); // without LeaveGroup: like a crash
      quitter = null;
      deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline && stayer.assignment().size() != 2) {
        stayer.poll(Duration.ofMillis(200));
      }
      assertEquals(2, stayer.assignment().size(), "the silent member was expelled and its partition moved");
    } finally {
      if (quitter != null) {
        quitter.close(Duration.ofSeconds(5));
      }
      stayer.close(Duration.ofSeconds(5));
    }
  }

  @Test
  void committedOffsetsSurviveARestartAndANewMemberResumesThere() throws Exception {
    createTopic("resume", 1);
    produce("resume", 1, 100);
    TopicPartition tp = new TopicPartition("resume", 0);
    try (KafkaConsumer<byte[], byte[]> c = member("g3", Map.of())) {
      c.subscribe(List.of("resume"));
      int n = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (n < 100 && System.nanoTime() < deadline) {
        n += c.poll(Duration.ofMillis(200)).count();
      }
      c.commitSync(Map.of(tp, new OffsetAndMetadata(60, "half way")));
    }
    node.close();
    node = startNode();
    produce("resume", 1, 10);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
      OffsetAndMetadata committed = admin.listConsumerGroupOffsets("g3").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(tp);
      assertEquals(60, committed.offset());
      assertEquals("half way", committed.metadata());
      assertTrue(admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream().anyMatch(g -> g.groupId().equals("g3")));
    }
    try (KafkaConsumer<byte[], byte[]> c = member("g3", Map.of())) {
      c.subscribe(List.of("resume"));
      List<String> got = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (got.size() < 50 && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> got.add(new String(r.value(), UTF_8)));
      }
      assertEquals("0:60", got.get(0), "resumes at the committed offset");
      assertEquals(50, got.size());
    }
  }

  @Test
  void adminDescribesListsResetsAndDeletesGroups() throws Exception {
    createTopic("admin-t", 2);
    produce("admin-t", 2, 20);
    Map<String, ConsumerGroupDescription> described;
    try (KafkaConsumer<byte[], byte[]> c = member("g4", Map.of());
        Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
      c.subscribe(List.of("admin-t"));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (c.assignment().size() != 2 && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200));
      }
      c.commitSync();
      described = admin.describeConsumerGroups(List.of("g4")).all().get(30, TimeUnit.SECONDS);
      ConsumerGroupDescription d = described.get("g4");
      assertEquals(1, d.members().size());
      assertEquals(2, d.members().iterator().next().assignment().topicPartitions().size());
      assertEquals("STABLE", d.groupState().toString().toUpperCase());
      c.unsubscribe();
      c.close(Duration.ofSeconds(5));
      // reset to earliest while the group is empty, as kafka-consumer-groups --reset-offsets does
      TopicPartition tp0 = new TopicPartition("admin-t", 0);
      admin.alterConsumerGroupOffsets("g4", Map.of(tp0, new OffsetAndMetadata(0))).all().get(30, TimeUnit.SECONDS);
      assertEquals(0, admin.listConsumerGroupOffsets("g4").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(tp0).offset());
      admin.deleteConsumerGroupOffsets("g4", Set.of(tp0)).all().get(30, TimeUnit.SECONDS);
      assertEquals(null, admin.listConsumerGroupOffsets("g4").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).get(tp0));
      admin.deleteConsumerGroups(List.of("g4")).all().get(30, TimeUnit.SECONDS);
      assertTrue(admin.listConsumerGroups().all().get(30, TimeUnit.SECONDS).stream().noneMatch(g -> g.groupId().equals("g4")));
    }
  }
}
