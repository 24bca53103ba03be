package dev.sluice.actors.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Where the cluster's metadata entities live: the topic registry, the producer-id allocator,
 * the group directory, the group coordinators and the processor state stores all journal to
 * node-local logs, so like partitions they must always run on the node holding their data.
 * That node is {@code sluice.cluster.metadata-node} (a node id). Unset (-1) is only allowed for
 * a node without seed nodes (a cluster of one, which places them on itself); a node that joins
 * seed nodes refuses to start without it (see the engine's node boot).
 */
public final class MetadataNode {
  private MetadataNode() {}

  public static int configured(ActorSystem<?> system) {
    return system.settings().config().getInt("sluice.cluster.metadata-node");
  }

  /** The allocation strategy for a metadata entity type. */
  public static NodeAllocation allocation(ActorSystem<?> system, String what) {
    int configured = configured(system);
    return new NodeAllocation(system, what, shard -> home(system, configured));
  }

  private static CompletionStage<Integer> home(ActorSystem<?> system, int configured) {
    if (configured >= 0) {
      return CompletableFuture.completedFuture(configured);
    }
    if (SluiceMembers.standalone(system)) {
      return CompletableFuture.completedFuture(-1);
    }
    return CompletableFuture.failedFuture(
        new IllegalStateException("sluice.cluster.metadata-node must be set in a cluster with seed nodes"));
  }
}
