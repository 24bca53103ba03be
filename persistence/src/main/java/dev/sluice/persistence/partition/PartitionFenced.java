package dev.sluice.persistence.partition;

import dev.sluice.persistence.serialization.CborPersisted;

/**
 * The partition's log on this node stopped taking writes because the partition is moving to
 * node {@code toNode}: every event before this one has been (or is being) copied there, and the
 * copy becomes the partition's log. Journaled so that the old copy stays fenced across restarts
 * and can never again acknowledge a record that the new leader would not have.
 */
public record PartitionFenced(int toNode, long atMillis) implements PartitionEvent, CborPersisted {}
