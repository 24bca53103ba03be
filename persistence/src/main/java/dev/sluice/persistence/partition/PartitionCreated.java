package dev.sluice.persistence.partition;

import dev.sluice.persistence.serialization.CborPersisted;

/** The partition was created as partition {@code partition} of topic {@code topic} (id {@code topicId}). */
public record PartitionCreated(String topic, int partition, String topicId, TopicConfig config)
    implements PartitionEvent, CborPersisted {}
