package dev.sluice.engine.dsl;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.dsl.javadsl.Committer;
import dev.sluice.dsl.javadsl.CommitterSettings;
import dev.sluice.dsl.javadsl.Consumer;
import dev.sluice.dsl.javadsl.ConsumerGroupSettings;
import dev.sluice.dsl.javadsl.Control;
import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.ConsumerSettings;
import dev.sluice.dsl.javadsl.Producer;
import dev.sluice.dsl.javadsl.ProducerMessage;
import dev.sluice.dsl.javadsl.ProducerResult;
import dev.sluice.dsl.javadsl.ProducerSettings;
import dev.sluice.dsl.javadsl.StartOffset;
import dev.sluice.dsl.javadsl.TopicPartition;
import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DSL and kafka-clients agree on the data and on the partition of every key. */
class DslAndKafkaClientsTest {
  @TempDir Path dataDir;

  @Test
  void dslAndKafkaClientsAgreeOnPlacementAndData() throws Exception {
    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      String bootstrap = "127.0.0.1:" + node.kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic("by-kafka", 6, (short) 1), new NewTopic("by-dsl", 6, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      int n = 300;
      Map<String, Integer> kafkaPlacement = new TreeMap<>();
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          sent.add(producer.send(new ProducerRecord<>("by-kafka", ("key-" + i).getBytes(UTF_8), ("value-" + i).getBytes(UTF_8))));
        }
        for (int i = 0; i < n; i++) {
          kafkaPlacement.put("key-" + i, sent.get(i).get(30, TimeUnit.SECONDS).partition());
        }
      }

      List<ProducerResult<String>> results =
          Source.range(0, n - 1)
              .map(i -> ProducerMessage.of("by-dsl", ("key-" + i).getBytes(UTF_8), ("value-" + i).getBytes(UTF_8), "key-" + i))
              .via(Producer.<String>flow(node.system(), ProducerSettings.defaults()))
              .runWith(Sink.seq(), node.system())
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      Map<String, Integer> dslPlacement = new TreeMap<>();
      for (ProducerResult<String> r : results) {
        dslPlacement.put(r.passThrough(), r.partition());
      }
      assertEquals(kafkaPlacement, dslPlacement, "murmur2 placement: the DSL puts every key where Kafka's producer does");

      // the DSL reads what Kafka's producer wrote ...
      Map<TopicPartition, StartOffset> all = new HashMap<>();
      for (int part = 0; part < 6; part++) {
        all.put(new TopicPartition("by-kafka", part), StartOffset.earliest());
      }
      List<ConsumerRecord> read =
          Consumer.plainSource(node.system(), ConsumerSettings.defaults(), all).take(n).runWith(Sink.seq(), node.system())
              .toCompletableFuture().get(60, TimeUnit.SECONDS);
      Map<String, String> dslRead = new TreeMap<>();
      for (ConsumerRecord r : read) {
        String key = new String(r.record().key(), UTF_8);
        dslRead.put(key, new String(r.record().value(), UTF_8));
        assertEquals(kafkaPlacement.get(key), r.partition(), "partition of " + key);
      }
      // ... and Kafka's consumer reads what the DSL wrote
      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      Map<String, String> kafkaRead = new TreeMap<>();
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
        for (int part = 0; part < 6; part++) {
          tps.add(new org.apache.kafka.common.TopicPartition("by-dsl", part));
        }
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (kafkaRead.size() < n && System.nanoTime() < deadline) {
          consumer.poll(Duration.ofMillis(300)).forEach(r -> kafkaRead.put(new String(r.key(), UTF_8), new String(r.value(), UTF_8)));
        }
      }
      assertEquals(n, dslRead.size());
      assertEquals(dslRead, kafkaRead, "the same keys and values either way");
    }
  }

  /** Each member holds two of the four partitions (not, for a moment, an old pair of one of them). */
  private static boolean splitInTwo(Set<Integer> kafkaPartitions, Set<TopicPartition> dslPartitions) {
    Set<Integer> all = new HashSet<>(kafkaPartitions);
    dslPartitions.forEach(tp -> all.add(tp.partition()));
    return kafkaPartitions.size() == 2 && dslPartitions.size() == 2 && all.size() == 4;
  }

  @Test
  void aDslMemberAndAKafkaConsumerShareOneGroupAndItsOffsets() throws Exception {
    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      String bootstrap = "127.0.0.1:" + node.kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic("shared", 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
      }
      Source.range(0, 399)
          .map(i -> new ProducerMessage<Void>("shared", i % 4, null, ("v" + i).getBytes(UTF_8), List.of(), null, null))
          .runWith(Producer.sink(node.system(), ProducerSettings.defaults()), node.system())
          .toCompletableFuture()
          .get(60, TimeUnit.SECONDS);

      ConsumerGroupSettings group =
          ConsumerGroupSettings.of("shared-group")
              .withAutoOffsetReset(StartOffset.earliest())
              .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofMillis(200));
      // each partition's current substream; an old substream of a partition re-assigned by the
      // (eager) rebalance may complete after the new one started, so it removes only itself
      Map<TopicPartition, Object> dslPartitions = new ConcurrentHashMap<>();
      AtomicInteger dslRecords = new AtomicInteger();
      Control dsl =
          Consumer.committablePartitionedSource(node.system(), ConsumerSettings.defaults().withPollWait(Duration.ofMillis(100)), group, Set.of("shared"))
              .toMat(
                  Sink.foreach(
                      pair -> {
                        Object substream = new Object();
                        dslPartitions.put(pair.first(), substream);
                        pair.second()
                            .map(m -> {
                              dslRecords.incrementAndGet();
                              return m.committableOffset();
                            })
                            .runWith(Committer.sink(CommitterSettings.defaults().withMaxInterval(Duration.ofMillis(100))), node.system())
                            .whenComplete((done, failure) -> dslPartitions.remove(pair.first(), substream));
                      }),
                  Keep.left())
              .run(node.system());

      Properties c = new Properties();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.GROUP_ID_CONFIG, "shared-group");
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, "org.apache.kafka.clients.consumer.RangeAssignor");
      Set<Integer> kafkaPartitions = new HashSet<>();
      int kafkaRecords = 0;
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        consumer.subscribe(List.of("shared"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !(kafkaRecords + dslRecords.get() >= 400 && splitInTwo(kafkaPartitions, dslPartitions.keySet()))) {
          for (var r : consumer.poll(Duration.ofMillis(100))) {
            kafkaRecords++;
            kafkaPartitions.add(r.partition());
          }
          consumer.assignment().forEach(tp -> kafkaPartitions.add(tp.partition()));
          kafkaPartitions.retainAll(consumer.assignment().stream().map(org.apache.kafka.common.TopicPartition::partition).toList());
        }
        consumer.commitSync();
        Set<Integer> dslNow = new HashSet<>();
        dslPartitions.keySet().forEach(tp -> dslNow.add(tp.partition()));
        assertEquals(2, kafkaPartitions.size(), "kafka consumer holds " + kafkaPartitions + ", DSL member holds " + dslNow);
        assertEquals(2, dslNow.size(), "kafka consumer holds " + kafkaPartitions + ", DSL member holds " + dslNow);
        assertTrue(Collections.disjoint(kafkaPartitions, dslNow));
        assertTrue(kafkaRecords + dslRecords.get() >= 400, "kafka read " + kafkaRecords + ", DSL read " + dslRecords.get());
      }
      // both members' commits are the group's: every partition ends up committed at its end
      // (the DSL member's committer commits every 100 ms)
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        Map<Integer, Long> ends = new TreeMap<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
          ends.clear();
          admin.listConsumerGroupOffsets("shared-group").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
              .forEach((tp, om) -> ends.put(tp.partition(), om.offset()));
          if (ends.equals(Map.of(0, 100L, 1, 100L, 2, 100L, 3, 100L))) {
            break;
          }
          Thread.sleep(100);
        }
        assertEquals(Map.of(0, 100L, 1, 100L, 2, 100L, 3, 100L), ends);
      }
      dsl.shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
