package dev.sluice.engine.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Idempotence observed through offsets: a default (idempotent) producer whose Produce responses
 * are lost with the connection, or delayed past its request timeout, retries batches the
 * partition already stored; the partition answers those retries with the original offsets, so
 * every record is stored exactly once.
 */
class ProducerRetriesTest {
  @TempDir Path dataDir;

  @Test
  void retriedBatchesAreStoredOnce() throws Exception {
    try (ChaosProxy proxy = new ChaosProxy(3, 2, 2500)) {
      Path conf = dataDir.resolve("proxy.conf");
      Files.writeString(conf, "sluice.kafka.advertised-port = " + proxy.port() + "\n");
      NodeSettings settings =
          new NodeSettings(dataDir.resolve("node"), OptionalInt.empty(), OptionalInt.of(0), OptionalInt.of(0), Optional.of(conf));
      try (SluiceNode node = SluiceNode.start(settings)) {
        proxy.start(new InetSocketAddress("127.0.0.1", node.kafkaPort()));
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + proxy.port());
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 1500); // shorter than the proxy's delay
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        int count = 2000;
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
          for (int i = 0; i < count; i++) {
            sent.add(producer.send(new ProducerRecord<>("retried", 0, null, ("r-" + i).getBytes(UTF_8))));
            if (i % 200 == 0) {
              producer.flush(); // several rounds, so several responses get lost or delayed
            }
          }
          producer.flush();
        }
        Set<Long> offsets = new HashSet<>();
        for (Future<RecordMetadata> f : sent) {
          offsets.add(f.get(60, TimeUnit.SECONDS).offset());
        }
        assertEquals(3, proxy.cutsDone.get(), "responses lost with their connection");
        assertEquals(2, proxy.delaysDone.get(), "responses delayed past the request timeout");
        assertEquals(count, offsets.size(), "every acknowledged record has its own offset");
        assertEquals(count - 1, offsets.stream().mapToLong(Long::longValue).max().orElseThrow(), "offsets 0..count-1: no duplicate stored");

        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + proxy.port());
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
          TopicPartition tp = new TopicPartition("retried", 0);
          consumer.assign(List.of(tp));
          consumer.seekToBeginning(List.of(tp));
          long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
          while (values.size() < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
              values.add(new String(r.value(), UTF_8));
            }
          }
          assertEquals(count, consumer.endOffsets(List.of(tp)).get(tp), "the log holds each record once");
        }
        assertEquals(count, values.size());
        assertEquals(count, new HashSet<>(values).size(), "no record read twice");
        assertTrue(values.contains("r-0") && values.contains("r-" + (count - 1)));
      }
    }
  }
}
