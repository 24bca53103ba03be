package dev.sluice.dsl.javadsl;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.batch.RecordBatches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Consumer sources over Sluice partitions, talking to the partition entities through Cluster
 * Sharding (no Kafka protocol hop). Driven by downstream demand: a partition is fetched only when
 * downstream has taken everything fetched before, so each partition holds at most one fetch
 * ({@link ConsumerSettings#fetchMaxBytes()}) in memory; at the end of a partition the fetch waits
 * up to {@link ConsumerSettings#pollWait()} for new records.
 */
public final class Consumer {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Consumer.class);

  private Consumer() {}

  /**
   * Records of the given partitions from the given start offsets, in offset order per partition
   * (partitions interleave). Fails with a message naming the partition and offset if a partition
   * is unknown or an offset falls out of the log (e.g. deleted by retention).
   */
  public static Source<ConsumerRecord, Control> plainSource(
      ActorSystem<?> system, ConsumerSettings settings, Map<TopicPartition, StartOffset> partitions) {
    if (partitions.isEmpty()) {
      throw new IllegalArgumentException("a consumer source needs at least one partition");
    }
    AtomicLong fetched = new AtomicLong();
    List<Source<ConsumerRecord, NotUsed>> sources = new ArrayList<>();
    for (Map.Entry<TopicPartition, StartOffset> e : partitions.entrySet()) {
      sources.add(partitionSource(system, settings, e.getKey(), e.getValue(), fetched));
    }
    Source<ConsumerRecord, NotUsed> merged =
        sources.size() == 1 ? sources.get(0) : Source.from(sources).flatMapMerge(sources.size(), s -> s);
    return merged
        .viaMat(KillSwitches.single(), Keep.right())
        .watchTermination((kill, done) -> (Control) new SourceControl(kill, done, fetched));
  }

  private record Position(long offset) {}

  private static Source<ConsumerRecord, NotUsed> partitionSource(
      ActorSystem<?> system, ConsumerSettings settings, TopicPartition tp, StartOffset start, AtomicLong fetched) {
    EntityRef<PartitionEntity.Command> partition =
        ClusterSharding.get(system).entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(tp.topic(), tp.partition()));
    return Source.<Optional<Position>, List<ConsumerRecord>>unfoldAsync(
            Optional.empty(),
            position ->
                resolve(partition, settings, tp, start, position)
                    .thenCompose(
                        offset ->
                            partition
                                .<PartitionEntity.FetchResult>ask(
                                    r -> new PartitionEntity.Fetch(offset, settings.fetchMaxBytes(), 1, settings.pollWait().toMillis(), r),
                                    settings.askTimeout())
                                .exceptionally(
                                    e -> {
                                      throw new IllegalStateException(
                                          tp + " at offset " + offset + ": no answer within " + settings.askTimeout()
                                              + " (in a cluster: is the node that holds this partition up?)",
                                          e);
                                    })
                                .thenApply(result -> next(tp, offset, result, fetched))))
        .mapConcat(records -> records);
  }

  private static CompletionStage<Long> resolve(
      EntityRef<PartitionEntity.Command> partition, ConsumerSettings settings, TopicPartition tp, StartOffset start,
      Optional<Position> position) {
    if (position.isPresent()) {
      return CompletableFuture.completedFuture(position.get().offset());
    }
    long query;
    if (start instanceof StartOffset.At at) {
      return CompletableFuture.completedFuture(at.offset());
    } else if (start instanceof StartOffset.Committed c) {
      return offsetOf(partition, settings, tp, PartitionEntity.EARLIEST)
          .thenCombine(offsetOf(partition, settings, tp, PartitionEntity.LATEST), (earliest, latest) -> new long[] {earliest, latest})
          .thenCompose(
              range -> {
                if (c.offset() >= range[0] && c.offset() <= range[1]) {
                  return CompletableFuture.completedFuture(c.offset());
                }
                LOG.warn(
                    "{}: committed offset {} is outside the log [{}, {}]: starting at the {} offset",
                    tp, c.offset(), range[0], range[1], c.reset() == StartOffset.earliest() ? "earliest" : "latest");
                return CompletableFuture.completedFuture(c.reset() == StartOffset.earliest() ? range[0] : range[1]);
              });
    } else if (start instanceof StartOffset.Timestamp ts) {
      query = ts.epochMillis();
    } else {
      query = start == StartOffset.earliest() ? PartitionEntity.EARLIEST : PartitionEntity.LATEST;
    }
    return partition
        .<PartitionEntity.OffsetResult>ask(r -> new PartitionEntity.ListOffsets(query, r), settings.askTimeout())
        .thenCompose(
            r -> {
              if (r.error() != PartitionError.NONE) {
                return CompletableFuture.failedFuture(new IllegalStateException(tp + ": cannot find its start offset: " + r.error() + " " + r.message()));
              }
              if (r.offset() >= 0) {
                return CompletableFuture.completedFuture(r.offset());
              }
              // no record at or after the timestamp: start at the end
              return partition
                  .<PartitionEntity.OffsetResult>ask(l -> new PartitionEntity.ListOffsets(PartitionEntity.LATEST, l), settings.askTimeout())
                  .thenApply(PartitionEntity.OffsetResult::offset);
            });
  }

  private static CompletionStage<Long> offsetOf(
      EntityRef<PartitionEntity.Command> partition, ConsumerSettings settings, TopicPartition tp, long query) {
    return partition
        .<PartitionEntity.OffsetResult>ask(r -> new PartitionEntity.ListOffsets(query, r), settings.askTimeout())
        .thenApply(
            r -> {
              if (r.error() != PartitionError.NONE) {
                throw new IllegalStateException(tp + ": cannot find its log's range: " + r.error() + " " + r.message());
              }
              return r.offset();
            });
  }

  private static Optional<Pair<Optional<Position>, List<ConsumerRecord>>> next(
      TopicPartition tp, long offset, PartitionEntity.FetchResult result, AtomicLong fetched) {
    if (result.error() != PartitionError.NONE) {
      throw new IllegalStateException(
          tp + " at offset " + offset + ": " + result.error() + (result.message() == null ? "" : " (" + result.message() + ")"));
    }
    List<ConsumerRecord> records = new ArrayList<>();
    for (LogRecord r : result.records(offset)) {
      records.add(new ConsumerRecord(tp.topic(), tp.partition(), r));
    }
    fetched.addAndGet(records.size());
    // after the returned batches, not after their last record: a compacted batch may hold no
    // record at its last offsets (or none at all), and the next fetch must not get it again
    long nextOffset = offset;
    if (!result.batches().isEmpty()) {
      nextOffset = Math.max(offset, RecordBatches.nextOffsetAfter(result.batches().get(result.batches().size() - 1)));
    }
    return Optional.of(Pair.create(Optional.of(new Position(nextOffset)), records));
  }

  /**
   * Records of the partitions the group assigns this consumer among {@code topics}, each with a
   * {@link CommittableOffset} to pass to a {@link Committer} once processed. Partitions start at
   * the group's committed offset (or {@link ConsumerGroupSettings#autoOffsetReset()}). On a
   * rebalance the source keeps running: revoked partitions stop, newly assigned ones start.
   * Records of one partition come in offset order; partitions interleave.
   */
  public static Source<CommittableMessage, Control> committableSource(
      ActorSystem<?> system, ConsumerSettings settings, ConsumerGroupSettings group, java.util.Set<String> topics) {
    return GroupMember.source(system, settings, group, topics)
        .flatMapMerge(MAX_PARTITIONS, Pair::second)
        .watchTermination(
            (member, done) -> {
              member.sourceTerminated(done);
              return member.control();
            });
  }

  /**
   * Like {@link #committableSource}, but one sub-source per assigned partition, emitted when the
   * partition is assigned and completed when it is revoked (a rebalance, or the source stopping) —
   * for processing each partition on its own, in order, as stream processors do.
   */
  public static Source<Pair<TopicPartition, Source<CommittableMessage, NotUsed>>, Control> committablePartitionedSource(
      ActorSystem<?> system, ConsumerSettings settings, ConsumerGroupSettings group, java.util.Set<String> topics) {
    return GroupMember.source(system, settings, group, topics)
        .watchTermination(
            (member, done) -> {
              member.sourceTerminated(done);
              return member.control();
            });
  }

  /** At most this many partition sub-sources are merged into one committable source. */
  static final int MAX_PARTITIONS = 100_000;

  /** One partition's records from {@code start}, for the group sources. */
  static Source<ConsumerRecord, NotUsed> partitionRecords(
      ActorSystem<?> system, ConsumerSettings settings, TopicPartition tp, StartOffset start, AtomicLong fetched) {
    return partitionSource(system, settings, tp, start, fetched);
  }

  private static final class SourceControl implements Control {
    private final UniqueKillSwitch kill;
    private final CompletionStage<Done> done;
    private final AtomicLong fetched;

    SourceControl(UniqueKillSwitch kill, CompletionStage<Done> done, AtomicLong fetched) {
      this.kill = kill;
      this.done = done.exceptionally(e -> Done.getInstance());
      this.fetched = fetched;
    }

    @Override
    public CompletionStage<Done> stop() {
      kill.shutdown();
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> shutdown() {
      kill.shutdown();
      return done;
    }

    @Override
    public <T> CompletionStage<T> drainAndShutdown(CompletionStage<T> streamCompletion) {
      kill.shutdown();
      return done.thenCompose(d -> streamCompletion);
    }

    @Override
    public CompletionStage<Done> isShutdown() {
      return done;
    }

    @Override
    public long fetchedRecords() {
      return fetched.get();
    }
  }
}
