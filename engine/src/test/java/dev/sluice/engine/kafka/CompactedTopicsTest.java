package dev.sluice.engine.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compacted topics (cleanup.policy=compact) through stock Kafka clients: a compacted topic keeps
 * the newest value of each key, and a stateful Kafka Streams application, whose state store is
 * backed by a compacted changelog topic it creates itself, runs and restores from it.
 */
class CompactedTopicsTest {
  private static final long WAIT_MS = 60_000;

  @TempDir Path dataDir;
  @TempDir Path work;

  SluiceNode start() throws Exception {
    Path conf = work.resolve("node.conf");
    Files.writeString(conf, "sluice.partition.compaction-check-interval = 200 ms\n");
    return SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0).withConfigFile(conf));
  }

  static KafkaProducer<String, String> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new StringSerializer());
  }

  /** Everything a fresh consumer reads of the topic's partition 0, in order. */
  static List<ConsumerRecord<String, String>> readAll(String bootstrap, String topic) {
    Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      long deadline = System.currentTimeMillis() + WAIT_MS;
      while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }

  @Test
  void aCompactedTopicKeepsTheNewestValueOfEachKey() throws Exception {
    try (SluiceNode node = start()) {
      String bootstrap = "127.0.0.1:" + node.kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic("profiles", 1, (short) 1)
                .configs(Map.of("cleanup.policy", "compact", "delete.retention.ms", "0", "min.cleanable.dirty.ratio", "0.01"))))
            .all().get(30, TimeUnit.SECONDS);
        Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "profiles")))
            .all().get(30, TimeUnit.SECONDS).values().iterator().next();
        assertEquals("compact", config.get("cleanup.policy").value());
        assertEquals("0", config.get("delete.retention.ms").value());
      }
      Map<String, String> expected = new TreeMap<>();
      try (KafkaProducer<String, String> producer = producer(bootstrap)) {
        for (int round = 0; round < 3; round++) {
          for (int k = 0; k < 10; k++) {
            producer.send(new ProducerRecord<>("profiles", 0, "user-" + k, "v" + round)).get(30, TimeUnit.SECONDS);
            expected.put("user-" + k, "v" + round);
          }
        }
        for (int k : new int[] {3, 7}) {
          producer.send(new ProducerRecord<>("profiles", 0, "user-" + k, null)).get(30, TimeUnit.SECONDS); // tombstones
          expected.remove("user-" + k);
        }
        ExecutionException keyless =
            assertThrows(ExecutionException.class, () -> producer.send(new ProducerRecord<>("profiles", 0, null, "no key")).get(30, TimeUnit.SECONDS));
        assertInstanceOf(InvalidRecordException.class, keyless.getCause(), "a compacted topic refuses a record without a key");
      }

      // compaction runs by itself; the tombstones (delete.retention.ms=0) go in the one after
      List<ConsumerRecord<String, String>> log = readAll(bootstrap, "profiles");
      long deadline = System.currentTimeMillis() + WAIT_MS;
      while (log.size() != expected.size() && System.currentTimeMillis() < deadline) {
        Thread.sleep(200);
        log = readAll(bootstrap, "profiles");
      }
      Map<String, String> read = new TreeMap<>();
      long previous = -1;
      for (ConsumerRecord<String, String> r : log) {
        assertTrue(r.offset() > previous, "offsets increase");
        previous = r.offset();
        read.put(r.key(), r.value());
      }
      assertEquals(expected.size(), log.size(), "one record per live key: " + log);
      assertEquals(expected, read);
      assertEquals(List.of(20L, 21L, 22L, 24L, 25L, 26L, 28L, 29L), log.stream().map(ConsumerRecord::offset).toList(),
          "each record keeps its offset (the third round, 20..29, without the deleted users 3 and 7)");
    }
  }

  @Test
  void aStatefulKafkaStreamsApplicationRunsAndRestoresFromItsCompactedChangelog() throws Exception {
    try (SluiceNode node = start()) {
      String bootstrap = "127.0.0.1:" + node.kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic("clicks", 1, (short) 1), new NewTopic("click-counts", 1, (short) 1)))
            .all().get(30, TimeUnit.SECONDS);
      }
      try (KafkaProducer<String, String> producer = producer(bootstrap)) {
        for (int i = 0; i < 30; i++) {
          producer.send(new ProducerRecord<>("clicks", "page-" + (i % 3), "click")).get(30, TimeUnit.SECONDS);
        }
      }
      assertEquals(Map.of("page-0", 10L, "page-1", 10L, "page-2", 10L), runCounting(bootstrap, work.resolve("state-1"), 30));

      String changelog = "sluice-counts-counts-changelog";
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        Config config = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, changelog)))
            .all().get(30, TimeUnit.SECONDS).values().iterator().next();
        assertEquals("compact", config.get("cleanup.policy").value(), "Kafka Streams created its changelog compacted");
        // its one-record batches shrink little; a low ratio lets compaction run after each write
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, changelog), List.of(
                new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.01"), AlterConfigOp.OpType.SET))))
            .all().get(30, TimeUnit.SECONDS);
      }
      List<ConsumerRecord<String, String>> kept = readAll(bootstrap, changelog);
      long deadline = System.currentTimeMillis() + WAIT_MS;
      while (kept.size() > 3 && System.currentTimeMillis() < deadline) {
        Thread.sleep(200);
        kept = readAll(bootstrap, changelog);
      }
      assertEquals(List.of("page-0", "page-1", "page-2"), kept.stream().map(ConsumerRecord::key).sorted().toList(),
          "the changelog is compacted to the newest count of each page");

      // a new instance with empty local state restores the counts from the changelog and goes on
      try (KafkaProducer<String, String> producer = producer(bootstrap)) {
        for (int i = 0; i < 3; i++) {
          producer.send(new ProducerRecord<>("clicks", "page-0", "click")).get(30, TimeUnit.SECONDS);
        }
      }
      Map<String, Long> after = runCounting(bootstrap, work.resolve("state-2"), 33);
      assertEquals(13L, after.get("page-0"), "restored 10, then 3 more: " + after);
    }
  }

  /**
   * Runs the counting application until {@code click-counts} holds {@code updates} records
   * (Kafka Streams' cache off: one update per input record), and returns the newest count of each
   * page.
   */
  private static Map<String, Long> runCounting(String bootstrap, Path stateDir, int updates) throws Exception {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream("clicks", Consumed.with(Serdes.String(), Serdes.String()))
        .groupByKey()
        .count(Materialized.<String, Long>as(Stores.inMemoryKeyValueStore("counts")).withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()))
        .toStream()
        .to("click-counts", Produced.with(Serdes.String(), Serdes.Long()));
    Properties config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, "sluice-counts");
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    config.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    Map<String, Long> counts = new TreeMap<>();
    try (KafkaStreams streams = new KafkaStreams(builder.build(), config)) {
      streams.start();
      Map<String, Object> c = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      try (KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new LongDeserializer())) {
        TopicPartition tp = new TopicPartition("click-counts", 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        int seen = 0;
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (seen < updates && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(200))) {
            counts.put(r.key(), r.value());
            seen++;
          }
        }
        assertEquals(updates, seen, "count updates; the application is " + streams.state());
      }
      // leave the group, so the next instance need not wait out this one's session
      streams.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
          org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(30)));
    }
    return counts;
  }
}
