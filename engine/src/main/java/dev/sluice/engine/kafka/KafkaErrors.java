package dev.sluice.engine.kafka;

import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.registry.TopicError;
import org.apache.kafka.common.protocol.Errors;

/** Maps Sluice's typed errors onto Kafka error codes. */
final class KafkaErrors {
  private KafkaErrors() {}

  static Errors of(PartitionError e) {
    return switch (e) {
      case NONE -> Errors.NONE;
      case UNKNOWN_TOPIC_OR_PARTITION -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
      case OFFSET_OUT_OF_RANGE -> Errors.OFFSET_OUT_OF_RANGE;
      case CORRUPT_MESSAGE -> Errors.CORRUPT_MESSAGE;
      case INVALID_RECORD -> Errors.INVALID_RECORD;
      case MESSAGE_TOO_LARGE -> Errors.MESSAGE_TOO_LARGE;
      case INVALID_REQUEST -> Errors.INVALID_REQUEST;
      case OUT_OF_ORDER_SEQUENCE_NUMBER -> Errors.OUT_OF_ORDER_SEQUENCE_NUMBER;
      case INVALID_PRODUCER_EPOCH -> Errors.INVALID_PRODUCER_EPOCH;
      case KAFKA_STORAGE_ERROR -> Errors.KAFKA_STORAGE_ERROR;
      case NOT_LEADER_OR_FOLLOWER -> Errors.NOT_LEADER_OR_FOLLOWER;
    };
  }

  static Errors of(TopicError e) {
    return switch (e) {
      case NONE -> Errors.NONE;
      case TOPIC_ALREADY_EXISTS -> Errors.TOPIC_ALREADY_EXISTS;
      case UNKNOWN_TOPIC_OR_PARTITION -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
      case INVALID_TOPIC_EXCEPTION -> Errors.INVALID_TOPIC_EXCEPTION;
      case INVALID_PARTITIONS -> Errors.INVALID_PARTITIONS;
      case INVALID_CONFIG -> Errors.INVALID_CONFIG;
      case INVALID_REQUEST -> Errors.INVALID_REQUEST;
      case REQUEST_TIMED_OUT -> Errors.REQUEST_TIMED_OUT;
      case INVALID_REPLICA_ASSIGNMENT -> Errors.INVALID_REPLICA_ASSIGNMENT;
      case INVALID_REPLICATION_FACTOR -> Errors.INVALID_REPLICATION_FACTOR;
      case REASSIGNMENT_IN_PROGRESS -> Errors.REASSIGNMENT_IN_PROGRESS;
      case NO_REASSIGNMENT_IN_PROGRESS -> Errors.NO_REASSIGNMENT_IN_PROGRESS;
    };
  }

  /**
   * A failed {@link GatewayContext#askPartition}: the partition is on another node, it does not
   * exist, or no answer came (a timeout, a node shutting down: retriable).
   */
  static Errors ofPartitionAsk(Throwable t) {
    return GatewayContext.isNotLeader(t)
        ? Errors.NOT_LEADER_OR_FOLLOWER
        : GatewayContext.isUnknown(t) ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.REQUEST_TIMED_OUT;
  }

  /** A failed ask (timeout, node shutting down) as a retriable Kafka error. */
  static Errors ofFailure(Throwable t) {
    return Errors.REQUEST_TIMED_OUT;
  }
}
