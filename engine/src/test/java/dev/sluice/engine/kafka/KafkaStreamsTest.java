package dev.sluice.engine.kafka;

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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kafka Streams application, unmodified, against one node: a stateless topology with a
 * repartition step. Kafka Streams creates the repartition topic itself (CreateTopics with its
 * settings), runs its group through the classic protocol with its own assignor, and purges the
 * repartition topic below its committed offsets with DeleteRecords.
 */
class KafkaStreamsTest {
  private static final long WAIT_MS = 60_000;

  @TempDir Path dataDir;
  @TempDir Path stateDir;

  @Test
  void aRepartitioningTopologyRunsAndPurgesItsRepartitionTopic() throws Exception {
    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      String bootstrap = "127.0.0.1:" + node.kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic("ks-in", 2, (short) 1), new NewTopic("ks-out", 2, (short) 1)))
            .all()
            .get(30, TimeUnit.SECONDS);
      }

      StreamsBuilder builder = new StreamsBuilder();
      builder.stream("ks-in", Consumed.with(Serdes.String(), Serdes.String()))
          .selectKey((key, value) -> value.substring(0, 1))
          .repartition(Repartitioned.<String, String>as("by-letter").withNumberOfPartitions(2)
              .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()))
          .mapValues(value -> value.toUpperCase())
          .to("ks-out", Produced.with(Serdes.String(), Serdes.String()));
      Properties config = new Properties();
      config.put(StreamsConfig.APPLICATION_ID_CONFIG, "sluice-streams");
      config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
      config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
      config.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, 100);

      int n = 60;
      try (KafkaStreams streams = new KafkaStreams(builder.build(), config)) {
        streams.start();
        Map<String, Object> producerConfig = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
          for (int i = 0; i < n; i++) {
            producer.send(new ProducerRecord<>("ks-in", "abc".charAt(i % 3) + "-" + i)).get(30, TimeUnit.SECONDS);
          }
        }

        Map<String, String> out = new TreeMap<>();
        List<ConsumerRecord<String, String>> all = new ArrayList<>();
        Map<String, Object> consumerConfig =
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "ks-check",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer())) {
          consumer.subscribe(List.of("ks-out"));
          long deadline = System.currentTimeMillis() + WAIT_MS;
          while (all.size() < n && System.currentTimeMillis() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(all::add);
          }
        }
        assertEquals(n, all.size(), "every record went through the topology; state " + streams.state());
        for (ConsumerRecord<String, String> r : all) {
          String letter = r.value().substring(0, 1);
          assertEquals(letter.toUpperCase(), letter, "upper-cased: " + r.value());
          assertEquals(letter.toLowerCase(), r.key(), "re-keyed by its first letter: " + r.value());
          out.put(r.value(), r.key());
        }
        assertEquals(n, out.size(), "no record twice");

        // Kafka Streams deletes what it has consumed of its repartition topic
        String repartition = "sluice-streams-by-letter-repartition";
        Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
        for (int p = 0; p < 2; p++) {
          earliest.put(new TopicPartition(repartition, p), OffsetSpec.earliest());
        }
        long purged = 0;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
          long deadline = System.currentTimeMillis() + WAIT_MS;
          while (purged == 0 && System.currentTimeMillis() < deadline) {
            purged = admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(r -> r.offset()).sum();
            if (purged == 0) {
              Thread.sleep(200);
            }
          }
        }
        assertTrue(purged > 0, "the repartition topic's log start moved: Kafka Streams purged it with DeleteRecords");
      }
    }
  }
}
