package dev.sluice.actors.cluster;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.HashCodeMessageExtractor;

/**
 * Where the cluster's metadata entities run: the topic registry, the producer-id allocator, the
 * group directory and the consumer-group coordinators. They journal to the replicated metadata
 * journal (Distributed Data with durable storage on every node, written to and read from a
 * majority), so any node can run them and one that restarts elsewhere after a crash recovers
 * every acknowledged change.
 *
 * <p>Each metadata shard runs on the up node that rendezvous hashing picks for its shard id: the
 * choice spreads shards over the nodes, changes for few shards when a node comes or goes, and can
 * be computed by any node, so a gateway names the node that runs a group's coordinator in
 * FindCoordinator without asking anyone. Shards that run elsewhere (a node joined, or came back)
 * are moved to their node by the allocation strategy's rebalance. The topic registry, one entity
 * that admin requests and new partitions' allocations ask, is the exception: it runs on the
 * oldest up node ({@link #oldestNodeAllocation}), so a node that joins never moves it.
 */
public final class MetadataNode {
  private MetadataNode() {}

  /** Journal and snapshot-store plugins of metadata entities: replicated on every node. */
  public static final String JOURNAL = "sluice.persistence.replicated-journal";

  public static final String SNAPSHOTS = "sluice.persistence.replicated-snapshot-store";

  /**
   * A metadata entity whose journal read or write failed (no quorum within the timeout) restarts
   * after a backoff and recovers again, instead of stopping.
   */
  public static final BackoffSupervisorStrategy RESTART_ON_FAILURE =
      SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(10), 0.2);

  /** At most this many metadata shards move per rebalance round. */
  private static final int MOVES_PER_ROUND = 20;

  /** The allocation strategy for a metadata entity type: each shard on its rendezvous home. */
  public static NodeAllocation allocation(ActorSystem<?> system, String what) {
    return new NodeAllocation(
        system, what,
        shard -> withQuorum(system, what, shard, () -> homeOf(system, shard)),
        byNode -> CompletableFuture.completedFuture(misplaced(system, byNode, shard -> homeOf(shard, SluiceMembers.upNodes(system).keySet()))));
  }

  /**
   * The allocation strategy for the topic registry, a single entity that every admin request
   * and every new partition's allocation asks: it runs on the oldest up node, as a cluster
   * singleton does, so a node that joins never moves it. It moves only when that node leaves
   * or is downed. (With rendezvous hashing a node that had just joined could take it over,
   * and requests in flight at that moment waited for its hand-off.)
   */
  public static NodeAllocation oldestNodeAllocation(ActorSystem<?> system, String what) {
    return new NodeAllocation(
        system, what,
        shard -> withQuorum(system, what, shard, () -> oldestNode(system)),
        byNode -> CompletableFuture.completedFuture(misplaced(system, byNode, shard -> oldestNode(system))));
  }

  /** Below the quorum a metadata entity could not recover: it is not started anywhere yet. */
  private static CompletionStage<Integer> withQuorum(
      ActorSystem<?> system, String what, String shard, java.util.function.IntSupplier home) {
    int quorum = system.settings().config().getInt("sluice.cluster.metadata-quorum");
    int up = SluiceMembers.upNodes(system).size();
    if (!SluiceMembers.standalone(system) && up < quorum) {
      return CompletableFuture.failedFuture(new NodeAllocation.NodeNotUp(
          what + " " + shard + " waits for " + quorum + " nodes (sluice.cluster.metadata-quorum); " + up + " up"));
    }
    return CompletableFuture.completedFuture(home.getAsInt());
  }

  /** The up Sluice node that has been up longest (the oldest member); -1 when alone. */
  public static int oldestNode(ActorSystem<?> system) {
    if (SluiceMembers.standalone(system)) {
      return -1;
    }
    int oldest = -1;
    org.apache.pekko.cluster.Member oldestMember = null;
    for (Map.Entry<Integer, org.apache.pekko.cluster.Member> e : SluiceMembers.upNodes(system).entrySet()) {
      if (oldestMember == null || e.getValue().isOlderThan(oldestMember)) {
        oldestMember = e.getValue();
        oldest = e.getKey();
      }
    }
    return oldest;
  }

  /** The node a metadata shard runs on: the up node with the highest rendezvous score; -1 when alone. */
  public static int homeOf(ActorSystem<?> system, String shardId) {
    if (SluiceMembers.standalone(system)) {
      return -1;
    }
    return homeOf(shardId, SluiceMembers.upNodes(system).keySet());
  }

  /** Rendezvous (highest random weight) choice of a node for {@code shardId} among {@code nodes}; -1 if none. */
  static int homeOf(String shardId, Set<Integer> nodes) {
    int best = -1;
    long bestScore = Long.MIN_VALUE;
    long h = shardId.hashCode();
    for (int node : nodes) {
      long score = mix(h * 31 + node);
      if (best < 0 || score > bestScore) {
        best = node;
        bestScore = score;
      }
    }
    return best;
  }

  /** The node that runs the entity {@code entityId} of a type with the default (hashing) shard ids. */
  public static int homeOfEntity(ActorSystem<?> system, String entityId) {
    int shards = system.settings().config().getInt("pekko.cluster.sharding.number-of-shards");
    return homeOf(system, new HashCodeMessageExtractor<Object>(shards).shardId(entityId));
  }

  private static Set<String> misplaced(
      ActorSystem<?> system, Map<Integer, List<String>> byNode, java.util.function.ToIntFunction<String> homeOf) {
    if (SluiceMembers.standalone(system)) {
      return Set.of();
    }
    Set<String> moves = new TreeSet<>();
    Map<String, Integer> cache = new HashMap<>();
    byNode.forEach(
        (node, shards) -> {
          for (String shard : shards) {
            int home = cache.computeIfAbsent(shard, homeOf::applyAsInt);
            if (home >= 0 && home != node && moves.size() < MOVES_PER_ROUND) {
              moves.add(shard);
            }
          }
        });
    return moves;
  }

  /** SplitMix64's finalizer: a well-spread 64-bit score. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
