package dev.sluice.actors.registry;

import dev.sluice.persistence.partition.TopicConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * What the registry knows about one topic.
 *
 * @param name the topic name (Kafka's rules, see {@link TopicNames})
 * @param topicId random UUID string chosen when the topic was created; a topic deleted and
 *     created again under the same name gets a new one, so partitions of the old incarnation are
 *     never mistaken for the new one
 * @param partitions the number of partitions, numbered {@code 0 .. partitions-1}
 * @param config the topic's settings, as every partition enforces them
 * @param createdAtMillis wall-clock time of creation, epoch milliseconds
 * @param placement the node id holding each partition's log, by partition number; empty for a
 *     topic created before placement existed (single-node data), whose partitions live wherever
 *     the node is
 */
public record TopicMetadata(
    String name, String topicId, int partitions, TopicConfig config, long createdAtMillis, List<Integer> placement) {

  public TopicMetadata {
    config = config == null ? TopicConfig.defaults() : config;
    placement = placement == null ? List.of() : List.copyOf(placement);
  }

  public TopicMetadata(String name, String topicId, int partitions, TopicConfig config, long createdAtMillis) {
    this(name, topicId, partitions, config, createdAtMillis, List.of());
  }

  /** The node holding {@code partition}'s log, or -1 if the topic predates placement. */
  public int nodeOf(int partition) {
    return placement.isEmpty() || partition >= placement.size() ? -1 : placement.get(partition);
  }

  /** Grown to {@code newCount} partitions, the new ones on {@code added} (empty if unplaced). */
  public TopicMetadata withPartitions(int newCount, List<Integer> added) {
    List<Integer> p = placement;
    if (!placement.isEmpty() && added != null && !added.isEmpty()) {
      p = new ArrayList<>(placement);
      p.addAll(added);
    }
    return new TopicMetadata(name, topicId, newCount, config, createdAtMillis, p);
  }

  public TopicMetadata withPartitions(int newCount) {
    return withPartitions(newCount, List.of());
  }

  public TopicMetadata withConfig(TopicConfig newConfig) {
    return new TopicMetadata(name, topicId, partitions, newConfig, createdAtMillis, placement);
  }

  /** With {@code partition} placed on {@code node}. */
  public TopicMetadata withNode(int partition, int node) {
    List<Integer> p = new ArrayList<>(placement);
    if (p.isEmpty()) {
      for (int i = 0; i < partitions; i++) {
        p.add(-1);
      }
    }
    p.set(partition, node);
    return new TopicMetadata(name, topicId, partitions, config, createdAtMillis, p);
  }
}
