package dev.sluice.persistence.partition;

/**
 * What a partition's journal holds. One {@link BatchAppended} per appended record batch; the
 * other events are small and rare (lifecycle, configuration, retention).
 */
public sealed interface PartitionEvent
    permits BatchAppended, PartitionCreated, ConfigChanged, LogTruncated, PartitionDeleted, PartitionFenced {}
