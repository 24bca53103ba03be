package dev.sluice.actors.registry;

import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.serialization.CborPersisted;

/**
 * What the topic registry's journal holds: one event per accepted change to the topic table.
 * Persisted as versioned CBOR (manifest = class name): fields may be added, never renamed.
 * Every event after creation carries the topic id, so it can only ever apply to the incarnation
 * it was decided for.
 */
public sealed interface TopicRegistryEvent extends CborPersisted
    permits TopicRegistryEvent.TopicCreated,
        TopicRegistryEvent.TopicDeleted,
        TopicRegistryEvent.PartitionsAdded,
        TopicRegistryEvent.TopicConfigAltered {

  /** The topic the event is about. */
  String name();

  /** A topic was created; id and creation time were chosen by the command handler. */
  record TopicCreated(String name, String topicId, int partitions, TopicConfig config, long createdAtMillis)
      implements TopicRegistryEvent {
    TopicMetadata metadata() {
      return new TopicMetadata(name, topicId, partitions, config, createdAtMillis);
    }
  }

  /** The topic (this incarnation of the name) was deleted. */
  record TopicDeleted(String name, String topicId) implements TopicRegistryEvent {}

  /** Partitions {@code previousCount .. newCount-1} were added. */
  record PartitionsAdded(String name, String topicId, int previousCount, int newCount) implements TopicRegistryEvent {}

  /** The topic's settings are now {@code config} (the whole resolved config, not a delta). */
  record TopicConfigAltered(String name, String topicId, TopicConfig config) implements TopicRegistryEvent {}
}
