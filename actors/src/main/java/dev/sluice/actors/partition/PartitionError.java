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
  /** An idempotent producer's batch does not follow its previous one. */
  OUT_OF_ORDER_SEQUENCE_NUMBER,
  /** An idempotent producer wrote with an epoch older than one already seen. */
  INVALID_PRODUCER_EPOCH,
  /** Reading stored batches failed; the request may be retried. */
  KAFKA_STORAGE_ERROR,
  /** The partition's log is on another node (or its node is down): ask the metadata again. */
  NOT_LEADER_OR_FOLLOWER
}
