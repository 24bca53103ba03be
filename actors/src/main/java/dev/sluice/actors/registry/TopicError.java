package dev.sluice.actors.registry;

/** Outcome of a topic registry command, named after the Kafka error code the gateway answers with. */
public enum TopicError {
  NONE,
  /** A topic with that name exists already. */
  TOPIC_ALREADY_EXISTS,
  /** No topic with that name exists. */
  UNKNOWN_TOPIC_OR_PARTITION,
  /** The topic name breaks Kafka's naming rules, or collides with an existing name. */
  INVALID_TOPIC_EXCEPTION,
  /** The partition count is out of range, or does not grow the topic. */
  INVALID_PARTITIONS,
  /** A topic setting is unknown or has an invalid value. */
  INVALID_CONFIG,
  /** The request itself is malformed (a missing name). */
  INVALID_REQUEST,
  /**
   * The registry recorded the change, but not every partition confirmed it in time. The change
   * stands; the registry keeps retrying the partitions in the background.
   */
  REQUEST_TIMED_OUT,
  /** A move names a node that cannot take the partition (not up). */
  INVALID_REPLICA_ASSIGNMENT,
  /** A move names more or fewer than one node (Sluice keeps one copy of a partition). */
  INVALID_REPLICATION_FACTOR,
  /** The partition is already moving elsewhere, or its move can no longer be cancelled. */
  REASSIGNMENT_IN_PROGRESS,
  /** A cancellation or a report names a move that is not in progress. */
  NO_REASSIGNMENT_IN_PROGRESS
}
