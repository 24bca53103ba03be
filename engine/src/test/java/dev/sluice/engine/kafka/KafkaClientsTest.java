package dev.sluice.engine.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Stock kafka-clients, with their default settings, against a Sluice node on 127.0.0.1. */
class KafkaClientsTest {
  @TempDir Path dataDir;
  SluiceNode node;

  @BeforeEach
  void start() {
    node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0));
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

  KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.putAll(extra);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  KafkaConsumer<byte[], byte[]> consumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  void createTopic(String name, int partitions) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  record Sent(int partition, long offset, long timestamp, byte[] key, byte[] value, String header) {}

  List<Sent> produce(KafkaProducer<byte[], byte[]> producer, String topic, int partitions, int count) throws Exception {
    List<Future<RecordMetadata>> futures = new ArrayList<>();
    List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ProducerRecord<byte[], byte[]> r =
          new ProducerRecord<>(topic, i % partitions, 1_700_000_000_000L + i, ("key-" + i).getBytes(UTF_8), ("value-" + i).repeat(1 + i % 5).getBytes(UTF_8),
              List.of(new RecordHeader("h", ("hv-" + i).getBytes(UTF_8))));
      records.add(r);
      futures.add(producer.send(r));
    }
    producer.flush();
    List<Sent> sent = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      RecordMetadata md = futures.get(i).get(30, TimeUnit.SECONDS);
      ProducerRecord<byte[], byte[]> r = records.get(i);
      sent.add(new Sent(md.partition(), md.offset(), r.timestamp(), r.key(), r.value(), "hv-" + i));
    }
    return sent;
  }

  Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> consumeAll(String topic, int partitions, int expected) {
    Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> got = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      List<TopicPartition> tps = new ArrayList<>();
      for (int p = 0; p < partitions; p++) {
        tps.add(new TopicPartition(topic, p));
      }
      consumer.assign(tps);
      consumer.seekToBeginning(tps);
      int n = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (n < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          got.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new ArrayList<>()).add(r);
          n++;
        }
      }
      assertEquals(expected, n, "records consumed");
    }
    return got;
  }

  void assertSameRecords(List<Sent> sent, Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> got, String topic) {
    Map<String, ConsumerRecord<byte[], byte[]>> byPosition = new HashMap<>();
    for (List<ConsumerRecord<byte[], byte[]>> rs : got.values()) {
      long previous = -1;
      for (ConsumerRecord<byte[], byte[]> r : rs) {
        assertTrue(r.offset() > previous, "offsets increase within a partition");
        previous = r.offset();
        byPosition.put(r.partition() + "@" + r.offset(), r);
      }
    }
    for (Sent s : sent) {
      ConsumerRecord<byte[], byte[]> r = byPosition.get(s.partition() + "@" + s.offset());
      assertTrue(r != null, "record sent to " + topic + "-" + s.partition() + " at offset " + s.offset() + " not consumed");
      assertArrayEquals(s.key(), r.key(), "key at " + s.offset());
      assertArrayEquals(s.value(), r.value(), "value at " + s.offset());
      assertEquals(s.timestamp(), r.timestamp(), "timestamp at " + s.offset());
      assertEquals(s.header(), new String(r.headers().lastHeader("h").value(), UTF_8), "header at " + s.offset());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
  void defaultProducerToAssignedConsumerEveryCompression(String compression) throws Exception {
    String topic = "compressed-" + compression;
    createTopic(topic, 3);
    List<Sent> sent;
    try (KafkaProducer<byte[], byte[]> producer = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression))) {
      sent = produce(producer, topic, 3, 300);
    }
    for (int p = 0; p < 3; p++) {
      int partition = p;
      List<Long> offsets = sent.stream().filter(s -> s.partition() == partition).map(Sent::offset).sorted().toList();
      for (int i = 0; i < offsets.size(); i++) {
        assertEquals(i, offsets.get(i).longValue(), "dense offsets on partition " + p);
      }
    }
    assertSameRecords(sent, consumeAll(topic, 3, 300), topic);
  }

  @Test
  void acksZeroOneAndAllAllLand() throws Exception {
    createTopic("acks", 1);
    int total = 0;
    for (String acks : List.of("0", "1", "all")) {
      Map<String, Object> cfg = new HashMap<>(Map.of(ProducerConfig.ACKS_CONFIG, acks));
      if (!acks.equals("all")) {
        cfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
      }
      try (KafkaProducer<byte[], byte[]> producer = producer(cfg)) {
        produce(producer, "acks", 1, 50);
      }
      total += 50;
    }
    consumeAll("acks", 1, total);
  }

  @Test
  void autoCreatedTopicAndOffsetsLookups() throws Exception {
    List<Sent> sent;
    try (KafkaProducer<byte[], byte[]> producer = producer(Map.of())) {
      sent = produce(producer, "auto-created", 1, 20); // no CreateTopics: Metadata creates it
    }
    assertEquals(19, sent.get(19).offset());
    try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
      TopicPartition tp = new TopicPartition("auto-created", 0);
      assertEquals(0L, consumer.beginningOffsets(List.of(tp)).get(tp));
      assertEquals(20L, consumer.endOffsets(List.of(tp)).get(tp));
      OffsetAndTimestamp at = consumer.offsetsForTimes(Map.of(tp, 1_700_000_000_000L + 7)).get(tp);
      assertEquals(7, at.offset(), "first offset at or after the timestamp");
      assertEquals(null, consumer.offsetsForTimes(Map.of(tp, 1_800_000_000_000L)).get(tp), "nothing that late");
    }
  }

  @Test
  void longPollingConsumerGetsRecordsProducedAfterItsFetch() throws Exception {
    createTopic("live", 1);
    try (KafkaConsumer<byte[], byte[]> consumer = consumer();
        KafkaProducer<byte[], byte[]> producer = producer(Map.of())) {
      TopicPartition tp = new TopicPartition("live", 0);
      consumer.assign(List.of(tp));
      assertTrue(consumer.poll(Duration.ofMillis(800)).isEmpty());
      producer.send(new ProducerRecord<>("live", 0, null, "x".getBytes(UTF_8))).get(30, TimeUnit.SECONDS);
      List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (got.isEmpty() && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(500)).forEach(got::add);
      }
      assertEquals("x", new String(got.get(0).value(), UTF_8));
    }
  }

  @Test
  void dataAndOffsetsSurviveANodeRestart() throws Exception {
    createTopic("durable", 2);
    List<Sent> sent;
    try (KafkaProducer<byte[], byte[]> producer = producer(Map.of())) {
      sent = produce(producer, "durable", 2, 200);
    }
    node.close();
    node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0));
    assertSameRecords(sent, consumeAll("durable", 2, 200), "durable");
  }
}
