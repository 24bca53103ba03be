package dev.sluice.actors.cluster;

import dev.sluice.persistence.ScalaFutures;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Optional;
import org.apache.pekko.cluster.Member;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/**
 * Shard allocation for entities that journal to a node-local log: a shard is only ever started on
 * the node that holds its data, named by {@code homeOf} (a node id, or -1 for "any node": data
 * that does not exist yet, or a single-node cluster). If that node is not up the allocation
 * fails and Cluster Sharding retries it later; meanwhile the entity is unavailable, never
 * started empty elsewhere. Shards are never rebalanced.
 */
public final class NodeAllocation extends ShardCoordinator.AbstractShardAllocationStrategy {
  private static final Logger LOG = LoggerFactory.getLogger(NodeAllocation.class);

  private final ActorSystem<?> system;
  private final String what;
  private final Function<String, CompletionStage<Integer>> homeOf;
  private final Function<Map<Integer, List<String>>, CompletionStage<Set<String>>> misplaced;

  public NodeAllocation(ActorSystem<?> system, String what, Function<String, CompletionStage<Integer>> homeOf) {
    this(system, what, homeOf, byNode -> CompletableFuture.completedFuture(Set.of()));
  }

  /**
   * With {@code misplaced}: given the shards each node holds, the shards that belong on another
   * node that is up (e.g. a topic recreated with a new placement while its old shard was still
   * allocated). Those, and only those, are handed off and allocated again.
   */
  public NodeAllocation(
      ActorSystem<?> system, String what, Function<String, CompletionStage<Integer>> homeOf,
      Function<Map<Integer, List<String>>, CompletionStage<Set<String>>> misplaced) {
    this.system = system;
    this.what = what;
    this.homeOf = homeOf;
    this.misplaced = misplaced;
  }

  @Override
  public Future<ActorRef> allocateShard(ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    CompletionStage<ActorRef> region =
        homeOf.apply(shardId)
            .thenApply(
                node -> {
                  if (node < 0) {
                    return requester;
                  }
                  Member home = SluiceMembers.upNodes(system).get(node);
                  if (home != null) {
                    for (ActorRef r : current.keySet()) {
                      Optional<Member> m = SluiceMembers.memberAt(system, r.path().address());
                      if (m.isPresent() && m.get().address().equals(home.address())) {
                        return r;
                      }
                    }
                  }
                  String why = what + " " + shardId + " lives on node " + node + ", which is not up: it stays unavailable until that node is back";
                  LOG.debug(why);
                  throw new NodeNotUp(why);
                });
    // Cluster Sharding logs a failed allocation with its exception: hand it the NodeNotUp itself
    // (one line, no stack trace), not the CompletionException that thenApply wraps it in
    return ScalaFutures.unwrapped(region);
  }

  @Override
  public Future<Set<String>> rebalance(Map<ActorRef, IndexedSeq<String>> current, Set<String> rebalanceInProgress) {
    // a node-local log never moves for balance; only a shard started on the wrong node moves
    if (!rebalanceInProgress.isEmpty()) {
      return FutureConverters.asScala(CompletableFuture.completedFuture(Set.of()));
    }
    Map<Integer, List<String>> byNode = new java.util.HashMap<>();
    current.forEach(
        (region, shards) ->
            SluiceMembers.memberAt(system, region.path().address())
                .map(SluiceMembers::nodeId)
                .filter(OptionalInt::isPresent)
                .ifPresent(id -> byNode.computeIfAbsent(id.getAsInt(), k -> new java.util.ArrayList<>())
                    .addAll(scala.jdk.javaapi.CollectionConverters.asJava(shards))));
    if (byNode.isEmpty()) {
      return FutureConverters.asScala(CompletableFuture.completedFuture(Set.of()));
    }
    return FutureConverters.asScala(
        misplaced.apply(byNode).exceptionally(e -> Set.of()).thenApply(s -> {
          if (!s.isEmpty()) {
            LOG.info("{}s {} run on a node other than their placement: moving them", what, s);
          }
          return s;
        }));
  }

  /** The shard's node is not up: an expected, retried condition (no stack trace in the logs). */
  public static final class NodeNotUp extends IllegalStateException {
    public NodeNotUp(String message) {
      super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }
}
