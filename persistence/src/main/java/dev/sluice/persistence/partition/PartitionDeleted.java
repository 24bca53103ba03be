package dev.sluice.persistence.partition;

import dev.sluice.persistence.serialization.CborPersisted;

/** The topic was deleted: the partition's whole log is dropped. */
public record PartitionDeleted(String reason) implements PartitionEvent, CborPersisted {}
