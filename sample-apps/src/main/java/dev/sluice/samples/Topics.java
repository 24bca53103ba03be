package dev.sluice.samples;

import dev.sluice.dsl.javadsl.RunningProcessor;
import dev.sluice.dsl.javadsl.TopicPartition;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Topic administration for the sample apps: creating topics, asking a partition's first and end
 * offsets or the offset of a point in time, and a processor's lag. The DSL has no admin API, but
 * the node speaks Kafka, so this is Kafka's own {@link Admin} client on the node's Kafka port —
 * the same code works against a Kafka cluster. Calls block (bounded); use them from the app's
 * main thread, never inside a stream stage.
 */
public final class Topics implements AutoCloseable {
  private static final long TIMEOUT_S = 30;

  private final Admin admin;
  private final AtomicBoolean closed = new AtomicBoolean();

  public Topics(String bootstrapServers) {
    admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, AdminClientConfig.CLIENT_ID_CONFIG, "sluice-samples"));
  }

  /** Creates the topic unless it exists (then its partitions and settings stay as they are). */
  public boolean create(String name, int partitions, Map<String, String> configs) {
    try {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get(TIMEOUT_S, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof TopicExistsException) {
        return false;
      }
      throw new IllegalStateException("cannot create topic '" + name + "': " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("cannot create topic '" + name + "': " + e, e);
    }
  }

  /** Each partition's log start offset (the oldest record retention kept). */
  public Map<TopicPartition, Long> earliest(String topic) {
    return offsets(topic, OffsetSpec.earliest());
  }

  /** Each partition's end offset (the high watermark: one past the last record). */
  public Map<TopicPartition, Long> latest(String topic) {
    return offsets(topic, OffsetSpec.latest());
  }

  /**
   * Each partition's first offset whose record has a timestamp at or after {@code time}, or its end
   * offset if there is none (Kafka's {@code offsetsForTimes}): the records before it are the
   * partition as of {@code time}.
   */
  public Map<TopicPartition, Long> firstOffsetsAtOrAfter(String topic, Instant time) {
    Map<TopicPartition, Long> at = offsets(topic, OffsetSpec.forTimestamp(time.toEpochMilli()));
    Map<TopicPartition, Long> end = latest(topic);
    at.replaceAll((tp, offset) -> offset < 0 ? end.get(tp) : offset);
    return at;
  }

  /** Records between {@code from} and the end of each partition. */
  public long countFrom(String topic, Map<TopicPartition, Long> from) {
    long n = 0;
    for (Map.Entry<TopicPartition, Long> e : latest(topic).entrySet()) {
      n += e.getValue() - from.getOrDefault(e.getKey(), 0L);
    }
    return n;
  }

  private Map<TopicPartition, Long> offsets(String topic, OffsetSpec spec) {
    try {
      int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS).get(topic).partitions().size();
      Map<org.apache.kafka.common.TopicPartition, OffsetSpec> query = new HashMap<>();
      for (int p = 0; p < partitions; p++) {
        query.put(new org.apache.kafka.common.TopicPartition(topic, p), spec);
      }
      Map<TopicPartition, Long> out = new TreeMap<>(Topics::byPartition);
      admin.listOffsets(query).all().get(TIMEOUT_S, TimeUnit.SECONDS)
          .forEach((tp, info) -> out.put(new TopicPartition(tp.topic(), tp.partition()), info.offset()));
      return out;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException u) {
        throw u;
      }
      throw new IllegalStateException("cannot list the offsets of '" + topic + "': " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("cannot list the offsets of '" + topic + "': " + e, e);
    }
  }

  /** Orders partitions by topic, then number (for maps printed to people). */
  public static int byPartition(TopicPartition a, TopicPartition b) {
    int c = a.topic().compareTo(b.topic());
    return c != 0 ? c : Integer.compare(a.partition(), b.partition());
  }

  /**
   * Waits until {@code processor} has committed every record of {@code topics} (its inputs,
   * repartition topics included): its lag is 0 and every output of those records is written.
   * Fails at once if the processor fails, or after {@code timeout}.
   */
  public void awaitCaughtUp(RunningProcessor processor, Collection<String> topics, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long lag = -1;
    while (System.nanoTime() < deadline) {
      if (processor.done().toCompletableFuture().isDone()) {
        processor.done().toCompletableFuture().join(); // throws the failure
        throw new IllegalStateException("stream processor '" + processor.applicationId() + "' stopped before catching up");
      }
      lag = lag(processor.applicationId(), topics);
      if (lag == 0) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "stream processor '" + processor.applicationId() + "' did not catch up within " + timeout + (lag < 0 ? "" : " (lag " + lag + ")"));
  }

  /**
   * Records of {@code topics} not yet committed by {@code group}, or -1 while a topic does not
   * exist yet (a processor creates its repartition topics as it starts). Committed offsets are
   * read before end offsets: a commit of an input record comes after its outputs (repartition
   * records) are written, so "committed == end" everywhere means nothing is in flight.
   */
  public long lag(String group, Collection<String> topics) {
    try {
      Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(TIMEOUT_S, TimeUnit.SECONDS);
      long lag = 0;
      for (String topic : topics) {
        Map<TopicPartition, Long> start = earliest(topic);
        for (Map.Entry<TopicPartition, Long> end : latest(topic).entrySet()) {
          OffsetAndMetadata c = committed.get(new org.apache.kafka.common.TopicPartition(topic, end.getKey().partition()));
          long position = c == null ? start.get(end.getKey()) : c.offset();
          lag += Math.max(0, end.getValue() - position);
        }
      }
      return lag;
    } catch (UnknownTopicOrPartitionException e) {
      return -1;
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read the offsets of group '" + group + "': " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException("cannot read the offsets of group '" + group + "': " + e, e);
    }
  }

  /** Closes the client (again: nothing). */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      admin.close(Duration.ofSeconds(5));
    }
  }
}
