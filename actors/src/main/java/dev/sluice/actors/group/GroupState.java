package dev.sluice.actors.group;

/** The states of a classic consumer group, with the names Kafka shows (DescribeGroups, ListGroups). */
public enum GroupState {
  /** No members (offsets may be stored). */
  EMPTY("Empty"),
  /** Waiting for every member to (re)join before the next generation. */
  PREPARING_REBALANCE("PreparingRebalance"),
  /** The new generation is formed; waiting for the leader's assignment. */
  COMPLETING_REBALANCE("CompletingRebalance"),
  /** Every member has its assignment for the current generation. */
  STABLE("Stable"),
  /** The group never existed or was deleted. */
  DEAD("Dead");

  private final String kafkaName;

  GroupState(String kafkaName) {
    this.kafkaName = kafkaName;
  }

  /** The name Kafka uses for this state. */
  public String kafkaName() {
    return kafkaName;
  }
}
