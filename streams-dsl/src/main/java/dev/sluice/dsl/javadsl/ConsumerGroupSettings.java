package dev.sluice.dsl.javadsl;

import java.time.Duration;

/**
 * How a DSL consumer takes part in a consumer group. The group is a Kafka classic group
 * (protocol type {@code consumer}, assignor {@code range}), so DSL members and {@code
 * kafka-clients} consumers can share one group and each sees the other's committed offsets.
 *
 * @param groupId the group
 * @param clientId shown by DescribeGroups / {@code kafka-consumer-groups}
 * @param sessionTimeout a member that has not heartbeated for this long is removed
 * @param rebalanceTimeout how long the coordinator waits for members to rejoin in a rebalance
 * @param heartbeatInterval how often the member heartbeats (and so how soon it notices a rebalance)
 * @param autoOffsetReset where a partition starts when the group has no committed offset for it:
 *     {@link StartOffset#earliest()} or {@link StartOffset#latest()} (Kafka's default)
 */
public record ConsumerGroupSettings(
    String groupId,
    String clientId,
    Duration sessionTimeout,
    Duration rebalanceTimeout,
    Duration heartbeatInterval,
    StartOffset autoOffsetReset) {

  public ConsumerGroupSettings {
    if (groupId == null || groupId.isBlank()) {
      throw new IllegalArgumentException("a consumer group needs a non-empty group id");
    }
    if (!(autoOffsetReset instanceof StartOffset.Earliest) && !(autoOffsetReset instanceof StartOffset.Latest)) {
      throw new IllegalArgumentException("autoOffsetReset must be earliest() or latest(), got " + autoOffsetReset);
    }
    if (heartbeatInterval.compareTo(sessionTimeout) >= 0) {
      throw new IllegalArgumentException(
          "heartbeatInterval (" + heartbeatInterval + ") must be shorter than sessionTimeout (" + sessionTimeout + ")");
    }
    clientId = clientId == null ? "sluice-dsl" : clientId;
  }

  /** Kafka's consumer defaults: 45 s session, 5 min rebalance timeout, 3 s heartbeats, latest. */
  public static ConsumerGroupSettings of(String groupId) {
    return new ConsumerGroupSettings(
        groupId, "sluice-dsl", Duration.ofSeconds(45), Duration.ofMinutes(5), Duration.ofSeconds(3), StartOffset.latest());
  }

  public ConsumerGroupSettings withAutoOffsetReset(StartOffset reset) {
    return new ConsumerGroupSettings(groupId, clientId, sessionTimeout, rebalanceTimeout, heartbeatInterval, reset);
  }

  public ConsumerGroupSettings withClientId(String id) {
    return new ConsumerGroupSettings(groupId, id, sessionTimeout, rebalanceTimeout, heartbeatInterval, autoOffsetReset);
  }

  public ConsumerGroupSettings withTimeouts(Duration session, Duration rebalance, Duration heartbeat) {
    return new ConsumerGroupSettings(groupId, clientId, session, rebalance, heartbeat, autoOffsetReset);
  }
}
