package dev.sluice.persistence.partition;

import dev.sluice.persistence.serialization.CborPersisted;

/** The topic's configuration changed (retention and size limits apply from this event on). */
public record ConfigChanged(TopicConfig config) implements PartitionEvent, CborPersisted {}
