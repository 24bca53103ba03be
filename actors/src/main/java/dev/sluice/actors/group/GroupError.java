package dev.sluice.actors.group;

/** Outcome of a group command, named after the Kafka error code the gateway answers with. */
public enum GroupError {
  NONE,
  UNKNOWN_MEMBER_ID,
  MEMBER_ID_REQUIRED,
  ILLEGAL_GENERATION,
  REBALANCE_IN_PROGRESS,
  INCONSISTENT_GROUP_PROTOCOL,
  INVALID_SESSION_TIMEOUT,
  INVALID_GROUP_ID,
  GROUP_ID_NOT_FOUND,
  NON_EMPTY_GROUP,
  FENCED_INSTANCE_ID,
  OFFSET_METADATA_TOO_LARGE,
  GROUP_SUBSCRIBED_TO_TOPIC,
  GROUP_MAX_SIZE_REACHED,
  COORDINATOR_NOT_AVAILABLE,
  /** The coordinator moved to another node while the request was held; ask FindCoordinator again. */
  NOT_COORDINATOR
}
