package dev.sluice.dsl.javadsl;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.persistence.batch.LogRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.utils.Utils;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Producer flows and sinks: records are gathered for up to {@code linger} or {@code batchSize}
 * records, grouped per partition into one Kafka v2 batch each, and appended to the partition
 * entities through Cluster Sharding with at most {@code maxInFlight} groups awaiting
 * acknowledgement. Results come out in the order the messages went in. Keys choose partitions
 * exactly as Kafka's default partitioner does, so Sluice and Kafka clients agree on placement.
 */
public final class Producer {
  private Producer() {}

  /** The partition Kafka's default partitioner gives a keyed record. */
  public static int partitionForKey(byte[] key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key)) % partitions;
  }

  public static <C> Flow<ProducerMessage<C>, ProducerResult<C>, NotUsed> flow(ActorSystem<?> system, ProducerSettings settings) {
    Map<String, CompletionStage<Integer>> partitionCounts = new ConcurrentHashMap<>();
    AtomicInteger roundRobin = new AtomicInteger();
    return Flow.<ProducerMessage<C>>create()
        .groupedWithin(settings.batchSize(), settings.linger())
        // partitions are resolved one group at a time, and each group's appends are sent when
        // the next stage receives it: appends reach every partition in stream order
        .mapAsync(1, group -> partitionsOf(system, settings, group, partitionCounts, roundRobin))
        .mapAsync(settings.maxInFlight(), resolved -> send(system, settings, resolved.first(), resolved.second()))
        .mapConcat(results -> results);
  }

  /** A sink that completes when every record is acknowledged (or fails with the first error). */
  public static <C> Sink<ProducerMessage<C>, CompletionStage<Done>> sink(ActorSystem<?> system, ProducerSettings settings) {
    return Producer.<C>flow(system, settings).toMat(Sink.ignore(), Keep.right());
  }

  private static <C> CompletionStage<Pair<List<ProducerMessage<C>>, List<Integer>>> partitionsOf(
      ActorSystem<?> system, ProducerSettings settings, List<ProducerMessage<C>> group,
      Map<String, CompletionStage<Integer>> partitionCounts, AtomicInteger roundRobin) {
    List<CompletableFuture<Integer>> partitions = new ArrayList<>();
    for (ProducerMessage<C> m : group) {
      partitions.add(partitionOf(system, settings, m, partitionCounts, roundRobin).toCompletableFuture());
    }
    return CompletableFuture.allOf(partitions.toArray(CompletableFuture[]::new))
        .thenApply(v -> Pair.create(group, partitions.stream().map(CompletableFuture::join).toList()));
  }

  private static <C> CompletionStage<List<ProducerResult<C>>> send(
      ActorSystem<?> system, ProducerSettings settings, List<ProducerMessage<C>> group, List<Integer> partitions) {
    // one batch per partition, records in arrival order
    Map<String, List<Integer>> byPartition = new LinkedHashMap<>();
    for (int i = 0; i < group.size(); i++) {
      if (group.get(i).isPassThrough()) {
        continue;
      }
      byPartition.computeIfAbsent(group.get(i).topic() + "\u0000" + partitions.get(i), k -> new ArrayList<>()).add(i);
    }
    long[] offsets = new long[group.size()];
    List<CompletableFuture<?>> appends = new ArrayList<>();
    for (List<Integer> indexes : byPartition.values()) {
      ProducerMessage<C> first = group.get(indexes.get(0));
      int partition = partitions.get(indexes.get(0));
      List<LogRecord> records = new ArrayList<>(indexes.size());
      long now = System.currentTimeMillis();
      for (int i : indexes) {
        ProducerMessage<C> m = group.get(i);
        records.add(LogRecord.of(m.timestamp() == null ? now : m.timestamp(), m.key(), m.value(), m.headers()));
      }
      EntityRef<PartitionEntity.Command> ref =
          ClusterSharding.get(system).entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(first.topic(), partition));
      if (settings.acks() == 0) {
        ref.tell(PartitionEntity.Append.of(records, system.ignoreRef()));
        indexes.forEach(i -> offsets[i] = -1);
        continue;
      }
      appends.add(
          ref.<PartitionEntity.AppendResult>ask(r -> PartitionEntity.Append.of(records, r), settings.askTimeout())
              .exceptionally(
                  e -> {
                    throw new IllegalStateException(
                        "producing to " + first.topic() + "-" + partition + " got no answer within " + settings.askTimeout()
                            + " (in a cluster: is the node that holds this partition up?)",
                        e);
                  })
              .thenAccept(
                  r -> {
                    if (r.error() != PartitionError.NONE) {
                      throw new IllegalStateException(
                          "producing to " + first.topic() + "-" + partition + " failed: " + r.error() + " " + r.message());
                    }
                    for (int k = 0; k < indexes.size(); k++) {
                      offsets[indexes.get(k)] = r.baseOffset() + k;
                    }
                  })
              .toCompletableFuture());
    }
    CompletableFuture<Void> acknowledged =
        appends.isEmpty() ? CompletableFuture.completedFuture(null) : CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new));
    return acknowledged
        .thenApply(
            done -> {
              List<ProducerResult<C>> results = new ArrayList<>(group.size());
              for (int i = 0; i < group.size(); i++) {
                ProducerMessage<C> m = group.get(i);
                results.add(
                    m.isPassThrough()
                        ? new ProducerResult<>(null, -1, -1, m.passThrough())
                        : new ProducerResult<>(m.topic(), partitions.get(i), offsets[i], m.passThrough()));
              }
              return results;
            });
  }

  private static <C> CompletionStage<Integer> partitionOf(
      ActorSystem<?> system, ProducerSettings settings, ProducerMessage<C> m,
      Map<String, CompletionStage<Integer>> partitionCounts, AtomicInteger roundRobin) {
    if (m.partition() != null) {
      return CompletableFuture.completedFuture(m.partition());
    }
    if (m.isPassThrough()) {
      return CompletableFuture.completedFuture(-1);
    }
    CompletionStage<Integer> count =
        partitionCounts.computeIfAbsent(
            m.topic(),
            topic ->
                TopicRegistry.entityRef(system)
                    .<TopicRegistry.TopicResult>ask(r -> new TopicRegistry.DescribeTopic(topic, r), settings.askTimeout())
                    .thenApply(
                        d -> {
                          if (d.error() != TopicError.NONE) {
                            partitionCounts.remove(topic);
                            throw new IllegalStateException("cannot produce to topic '" + topic + "': " + d.error() + " " + d.message());
                          }
                          return d.topic().partitions();
                        }));
    return count.thenApply(n -> m.key() == null ? Math.floorMod(roundRobin.getAndIncrement(), n) : partitionForKey(m.key(), n));
  }
}
