package dev.sluice.actors.cluster;

import dev.sluice.actors.registry.TopicRegistry;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;

/**
 * Cluster Sharding wiring of partition entities: one shard per partition (shard id = entity id
 * {@code <topic>-<partition>}), allocated by {@link NodeAllocation} to the node the topic
 * registry placed the partition on when it was created.
 */
public final class PartitionPlacement {
  private PartitionPlacement() {}

  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);

  public static <M> ShardingMessageExtractor<ShardingEnvelope<M>, M> oneShardPerEntity() {
    return new ShardingMessageExtractor<>() {
      @Override
      public String entityId(ShardingEnvelope<M> envelope) {
        return envelope.entityId();
      }

      @Override
      public String shardId(String entityId) {
        return entityId;
      }

      @Override
      public M unwrapMessage(ShardingEnvelope<M> envelope) {
        return envelope.message();
      }
    };
  }

  public static NodeAllocation allocation(ActorSystem<?> system) {
    return new NodeAllocation(system, "partition", shard -> homeOf(system, shard), byNode -> misplaced(system, byNode));
  }

  /** Partitions whose shard runs on a node other than their placement, when that node is up. */
  private static CompletionStage<java.util.Set<String>> misplaced(
      ActorSystem<?> system, java.util.Map<Integer, java.util.List<String>> byNode) {
    if (SluiceMembers.standalone(system)) {
      return java.util.concurrent.CompletableFuture.completedFuture(java.util.Set.of());
    }
    return TopicRegistry.entityRef(system)
        .<TopicRegistry.TopicList>ask(TopicRegistry.ListTopics::new, LOOKUP_TIMEOUT)
        .thenApply(
            list -> {
              java.util.Map<String, dev.sluice.actors.registry.TopicMetadata> topics = new java.util.HashMap<>();
              list.topics().forEach(t -> topics.put(t.name(), t));
              java.util.Set<Integer> up = SluiceMembers.upNodes(system).keySet();
              java.util.Set<String> moves = new java.util.TreeSet<>();
              byNode.forEach(
                  (node, shards) -> {
                    for (String shard : shards) {
                      int dash = shard.lastIndexOf('-');
                      if (dash <= 0) {
                        continue;
                      }
                      dev.sluice.actors.registry.TopicMetadata t = topics.get(shard.substring(0, dash));
                      int partition;
                      try {
                        partition = Integer.parseInt(shard.substring(dash + 1));
                      } catch (NumberFormatException e) {
                        continue;
                      }
                      if (t == null || partition >= t.partitions()) {
                        continue;
                      }
                      int home = t.nodeOf(partition);
                      if (home >= 0 && home != node && up.contains(home) && moves.size() < 20) {
                        moves.add(shard);
                      }
                    }
                  });
              return moves;
            });
  }

  private static CompletionStage<Integer> homeOf(ActorSystem<?> system, String entityId) {
    if (SluiceMembers.standalone(system)) {
      return java.util.concurrent.CompletableFuture.completedFuture(-1); // one node: every log is here
    }
    int dash = entityId.lastIndexOf('-');
    String topic = dash > 0 ? entityId.substring(0, dash) : entityId;
    int partition;
    try {
      partition = Integer.parseInt(entityId.substring(dash + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return java.util.concurrent.CompletableFuture.completedFuture(-1);
    }
    return TopicRegistry.entityRef(system)
        .<TopicRegistry.PartitionLocation>ask(r -> new TopicRegistry.LocatePartition(topic, partition, r), LOOKUP_TIMEOUT)
        .thenApply(l -> l.known() ? l.nodeId() : -1);
  }
}
