package dev.sluice.persistence.partition;

import dev.sluice.persistence.serialization.CborPersisted;

/**
 * Retention removed a prefix of the log: the log start offset moves to {@code newLogStartOffset};
 * the batches below it become unreadable and their journal entries are deleted once a snapshot
 * covers this event.
 */
public record LogTruncated(long newLogStartOffset, String reason) implements PartitionEvent, CborPersisted {}
