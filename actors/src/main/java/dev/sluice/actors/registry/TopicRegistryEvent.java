package dev.sluice.actors.registry;

import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.serialization.CborPersisted;
import java.util.List;

/**
 * What the topic registry's journal holds: one event per accepted change to the topic table.
 * Persisted as versioned CBOR (manifest = class name): fields may be added, never renamed.
 * Every event after creation carries the topic id, so it can only ever apply to the incarnation
 * it was decided for.
 */
public sealed interface TopicRegistryEvent extends CborPersisted
    permits TopicRegistryEvent.TopicCreated,
        TopicRegistryEvent.TopicDeleted,
        TopicRegistryEvent.PartitionDeletionConfirmed,
        TopicRegistryEvent.PartitionsAdded,
        TopicRegistryEvent.TopicConfigAltered,
        TopicRegistryEvent.ReassignmentEvent,
        TopicRegistryEvent.StorePlaced {

  /** The topic the event is about. */
  String name();

  /**
   * A topic was created; id, creation time and placement (node id per partition) were chosen by
   * the command handler.
   */
  record TopicCreated(
      String name, String topicId, int partitions, TopicConfig config, long createdAtMillis, List<Integer> placement)
      implements TopicRegistryEvent {
    public TopicCreated {
      placement = placement == null ? List.of() : List.copyOf(placement);
    }

    public TopicCreated(String name, String topicId, int partitions, TopicConfig config, long createdAtMillis) {
      this(name, topicId, partitions, config, createdAtMillis, List.of());
    }

    TopicMetadata metadata() {
      return new TopicMetadata(name, topicId, partitions, config, createdAtMillis, placement);
    }
  }

  /**
   * The topic (this incarnation of the name) was deleted. Its partitions' Deletes are pending
   * until each is confirmed ({@link PartitionDeletionConfirmed}).
   */
  record TopicDeleted(String name, String topicId) implements TopicRegistryEvent {}

  /** {@code partitions} of the deleted incarnation {@code topicId} confirmed their Delete (or had no data). */
  record PartitionDeletionConfirmed(String name, String topicId, List<Integer> partitions) implements TopicRegistryEvent {
    public PartitionDeletionConfirmed {
      partitions = partitions == null ? List.of() : List.copyOf(partitions);
    }
  }

  /** Partitions {@code previousCount .. newCount-1} were added, on the nodes of {@code placement}. */
  record PartitionsAdded(String name, String topicId, int previousCount, int newCount, List<Integer> placement)
      implements TopicRegistryEvent {
    public PartitionsAdded {
      placement = placement == null ? List.of() : List.copyOf(placement);
    }

    public PartitionsAdded(String name, String topicId, int previousCount, int newCount) {
      this(name, topicId, previousCount, newCount, List.of());
    }
  }

  /** The topic's settings are now {@code config} (the whole resolved config, not a delta). */
  record TopicConfigAltered(String name, String topicId, TopicConfig config) implements TopicRegistryEvent {}

  /** An event about one partition's move. */
  sealed interface ReassignmentEvent extends TopicRegistryEvent
      permits ReassignmentStarted, ReassignmentFencing, ReassignmentCancelled, PartitionReassigned {
    String topicId();

    int partition();
  }

  /** Partition {@code partition} starts moving from {@code fromNode} to {@code toNode}: a copy is laid down there. */
  record ReassignmentStarted(String name, String topicId, int partition, int fromNode, int toNode, long atMillis)
      implements ReassignmentEvent {}

  /** The copy caught up and may fence the old leader; from here the move only completes. */
  record ReassignmentFencing(String name, String topicId, int partition, int toNode) implements ReassignmentEvent {}

  /** The move was cancelled before the switch; the partition stays where it was. */
  record ReassignmentCancelled(String name, String topicId, int partition) implements ReassignmentEvent {}

  /** The copy holds the whole log: the partition now lives on {@code toNode}. */
  record PartitionReassigned(String name, String topicId, int partition, int fromNode, int toNode)
      implements ReassignmentEvent {}

  /**
   * A stream processor's store {@code storeId} (journaled on a node-local log) lives on
   * {@code nodeId} from now on: the node of its input partition when it was first used.
   */
  record StorePlaced(String storeId, int nodeId) implements TopicRegistryEvent {
    @Override
    public String name() {
      return storeId;
    }
  }
}
