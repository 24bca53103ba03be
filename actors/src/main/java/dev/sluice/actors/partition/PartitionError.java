package dev.sluice.actors.partition;

/**
 * Outcome of a partition command, named after the Kafka error code the gateway answers with.
 */
public enum PartitionError {
  NONE,
  /** The partition does not exist (never created, or its topic was deleted). */
  UNKNOWN_TOPIC_OR_PARTITION,
  /** The offset is below the log start offset or above the high watermark. */
  OFFSET_OUT_OF_RANGE,
  /** The batch is truncated, has a bad CRC or an inconsistent header. */
  CORRUPT_MESSAGE,
  /** The batch is structurally valid but not acceptable (no records, several batches). */
  INVALID_RECORD,
  /** The batch is larger than the topic's {@code max.message.bytes}. */
  MESSAGE_TOO_LARGE,
  /** The request itself is invalid (negative sizes, bad arguments). */
  INVALID_REQUEST,
  /** Reading stored batches failed; the request may be retried. */
  KAFKA_STORAGE_ERROR
}
