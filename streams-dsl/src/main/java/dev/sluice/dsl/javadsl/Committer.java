package dev.sluice.dsl.javadsl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Commits {@link CommittableOffset}s to their consumer groups in batches (see {@link
 * CommitterSettings}): per batch, the highest offset of each partition is committed. Put it at the
 * end of a stream, after the records' effects are done, for at-least-once processing.
 */
public final class Committer {
  private Committer() {}

  /** Emits one {@code Done} per committed batch. */
  public static Flow<CommittableOffset, Done, NotUsed> flow(CommitterSettings settings) {
    return Flow.<CommittableOffset>create()
        .groupedWithin(settings.maxBatch(), settings.maxInterval())
        .mapAsync(1, Committer::commit);
  }

  /** Completes when the stream has completed and its last batch is committed. */
  public static Sink<CommittableOffset, CompletionStage<Done>> sink(CommitterSettings settings) {
    return flow(settings).toMat(Sink.ignore(), Keep.right());
  }

  /** Commits the highest offset per partition among {@code offsets}, now. */
  public static CompletionStage<Done> commit(List<CommittableOffset> offsets) {
    // one commit per member incarnation (group, member id, generation)
    Map<Key, Map<TopicPartition, Long>> batches = new LinkedHashMap<>();
    for (CommittableOffset o : offsets) {
      batches
          .computeIfAbsent(new Key(o.member(), o.memberId(), o.generation()), k -> new LinkedHashMap<>())
          .merge(o.partition(), o.offset(), Math::max);
    }
    List<CompletableFuture<Done>> commits = new ArrayList<>(batches.size());
    batches.forEach((k, partitions) -> commits.add(k.member().commit(k.memberId(), k.generation(), partitions).toCompletableFuture()));
    if (commits.size() == 1) {
      return commits.get(0);
    }
    return CompletableFuture.allOf(commits.toArray(CompletableFuture[]::new)).thenApply(v -> Done.getInstance());
  }

  private record Key(GroupMember member, String memberId, int generation) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.member == member && k.memberId.equals(memberId) && k.generation == generation;
    }

    @Override
    public int hashCode() {
      return Objects.hash(System.identityHashCode(member), memberId, generation);
    }
  }
}
