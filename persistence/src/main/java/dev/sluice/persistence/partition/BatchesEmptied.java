package dev.sluice.persistence.partition;

import dev.sluice.persistence.serialization.CborPersisted;
import java.util.List;

/**
 * Compaction left these batches (by base offset) without a record: the partition's index forgets
 * them, as Kafka's cleaner drops empty batches, so a compacted topic's index holds its live
 * batches rather than every batch ever written. Their offsets become a gap that reads skip; the
 * log's last batch is never among them (it carries the high watermark). Journal entries before
 * the first batch left are released, as a truncation's are.
 */
public record BatchesEmptied(List<Long> baseOffsets) implements PartitionEvent, CborPersisted {
  public BatchesEmptied {
    baseOffsets = baseOffsets == null ? List.of() : List.copyOf(baseOffsets);
  }
}
