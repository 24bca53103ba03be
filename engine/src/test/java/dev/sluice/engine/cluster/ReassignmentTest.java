package dev.sluice.engine.cluster;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static dev.sluice.engine.cluster.ThreeNodeClusterTest.awaitUp;
import static dev.sluice.engine.cluster.ThreeNodeClusterTest.closeAll;
import static dev.sluice.engine.cluster.ThreeNodeClusterTest.consumer;
import static dev.sluice.engine.cluster.ThreeNodeClusterTest.freePort;
import static dev.sluice.engine.cluster.ThreeNodeClusterTest.leaders;

import dev.sluice.engine.SluiceNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Scale-out by reassignment: a fourth node joins, a partition moves to it through Kafka's admin
 * API while a producer keeps writing to it, and afterwards every acknowledged record is in the
 * partition's log on the new node at the offset it was acknowledged with, offsets without gaps.
 * The partition then moves back to its first node, whose stale copy is replaced.
 */
class ReassignmentTest {
  @org.junit.jupiter.api.io.TempDir java.nio.file.Path base;

  @Test
  void aPartitionMovesToANewNodeUnderLoadWithNothingLost() throws Exception {
    ThreeNodeClusterTest cluster = new ThreeNodeClusterTest();
    cluster.base = base;
    int seed = freePort();
    List<SluiceNode> running = new ArrayList<>();
    try {
      cluster.startCluster(running, 3, seed);
      String via1 = "127.0.0.1:" + running.get(0).kafkaPort();
      int moving;
      int from;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via1))) {
        admin.createTopics(List.of(new NewTopic("moving", 3, (short) 1))).all().get(60, TimeUnit.SECONDS);
        Map<Integer, Integer> leaders = leaders(admin, "moving");
        moving = leaders.entrySet().stream().filter(e -> e.getValue() == 1).findFirst().orElseThrow().getKey();
        from = 1;
      }
      running.add(cluster.start(4, freePort(), seed));
      for (SluiceNode n : running) {
        awaitUp(n, 4);
      }
      TopicPartition tp = new TopicPartition("moving", moving);

      // a producer writes to the partition all along: acknowledged offset -> value
      ConcurrentSkipListMap<Long, String> acked = new ConcurrentSkipListMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> producerFailure = new AtomicReference<>();
      AtomicInteger sent = new AtomicInteger();
      Thread producer = new Thread(() -> produceUntil(via1, tp, stop, acked, sent, producerFailure), "load");
      producer.start();
      awaitCount(acked, 2_000, "records before the move");

      try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + running.get(3).kafkaPort()))) {
        // bad requests get Kafka's errors
        Throwable e = failure(() -> admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(4, 2))))).all().get(30, TimeUnit.SECONDS));
        assertInstanceOf(InvalidReplicationFactorException.class, e);
        e = failure(() -> admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(9))))).all().get(30, TimeUnit.SECONDS));
        assertInstanceOf(InvalidReplicaAssignmentException.class, e);
        e = failure(() -> admin.alterPartitionReassignments(Map.of(new TopicPartition("moving", (moving + 1) % 3), Optional.empty())).all().get(30, TimeUnit.SECONDS));
        assertInstanceOf(NoReassignmentInProgressException.class, e);

        admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(4))))).all().get(30, TimeUnit.SECONDS);
        awaitMoved(admin, tp, 4);
      }
      int atSwitch = acked.size();
      awaitCount(acked, atSwitch + 2_000, "records after the move");
      stop.set(true);
      producer.join(TimeUnit.SECONDS.toMillis(150));
      assertEquals(null, producerFailure.get(), "the producer saw no failure");
      assertTrue(acked.size() > atSwitch, "records were acknowledged by the new node");

      long end = assertLogHolds(running.get(3), tp, acked);
      System.out.printf("moved %s from node %d to node 4 under load: %d records acknowledged, log end %d%n", tp, from, acked.size(), end);

      // and back to node 1, which still holds its old (fenced) copy: it is replaced by the current log
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", via1))) {
        admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(List.of(1))))).all().get(30, TimeUnit.SECONDS);
        awaitMoved(admin, tp, 1);
      }
      assertLogHolds(running.get(0), tp, acked);
    } finally {
      closeAll(running);
    }
  }

  private static void produceUntil(
      String bootstrap, TopicPartition tp, AtomicBoolean stop, ConcurrentSkipListMap<Long, String> acked,
      AtomicInteger sent, AtomicReference<Throwable> failure) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "1");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      while (!stop.get() && System.nanoTime() < deadline) {
        // bounded in flight: the producer keeps writing at its own pace without piling up
        while (sent.get() - acked.size() > 2_000 && failure.get() == null && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        int i = sent.getAndIncrement();
        String value = "r" + i;
        producer.send(
            new ProducerRecord<>(tp.topic(), tp.partition(), null, value.getBytes(UTF_8)),
            (meta, err) -> {
              if (err != null) {
                failure.compareAndSet(null, err);
              } else {
                acked.put(meta.offset(), value);
              }
            });
      }
      producer.flush();
    } catch (Throwable t) {
      failure.compareAndSet(null, t);
    }
  }

  private static void awaitCount(Map<Long, String> acked, int n, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (acked.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(acked.size() >= n, "waited for " + n + " " + what + ", got " + acked.size());
  }

  /** Waits until no move is listed and the partition's leader is {@code node}. */
  private static void awaitMoved(Admin admin, TopicPartition tp, int node) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      boolean listed = !admin.listPartitionReassignments().reassignments().get(30, TimeUnit.SECONDS).isEmpty();
      if (!listed && leaders(admin, tp.topic()).get(tp.partition()) == node) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(tp + " did not move to node " + node + "; moves listed: "
        + admin.listPartitionReassignments().reassignments().get(30, TimeUnit.SECONDS));
  }

  /**
   * Reads the whole partition through {@code node}'s gateway: offsets 0.. without a gap, and each
   * acknowledged record at its offset. Returns the log end offset.
   */
  private static long assertLogHolds(SluiceNode node, TopicPartition tp, Map<Long, String> acked) {
    Map<Long, String> log = new TreeMap<>();
    long end;
    try (KafkaConsumer<byte[], byte[]> c = consumer("127.0.0.1:" + node.kafkaPort())) {
      c.assign(List.of(tp));
      end = c.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
      c.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (log.size() < end && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          log.put(r.offset(), new String(r.value(), UTF_8));
        }
      }
    }
    assertEquals(end, log.size(), "every offset below the end is readable");
    assertEquals(0L, log.keySet().iterator().next());
    assertEquals(end - 1, ((TreeMap<Long, String>) log).lastKey(), "offsets are continuous");
    int missing = 0;
    for (Map.Entry<Long, String> a : acked.entrySet()) {
      if (!a.getValue().equals(log.get(a.getKey()))) {
        missing++;
      }
    }
    assertEquals(0, missing, "acknowledged records not at their offset (of " + acked.size() + ")");
    return end;
  }

  private interface Call {
    void run() throws Exception;
  }

  private static Throwable failure(Call call) throws Exception {
    try {
      call.run();
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected the request to fail");
  }
}
