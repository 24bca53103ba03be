package dev.sluice.actors.group;

import dev.sluice.persistence.serialization.SluiceMessage;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Commands and replies of a consumer group's coordinator ({@link GroupCoordinator}), one record
 * per Kafka classic-group request, with the request's fields. Byte arrays are the opaque
 * protocol metadata and assignments the clients exchange (the coordinator never interprets them,
 * except to read a consumer's subscribed topics for OffsetDelete).
 */
public final class GroupProtocol {
  private GroupProtocol() {}

  public sealed interface Command extends SluiceMessage
      permits JoinGroup, SyncGroup, Heartbeat, LeaveGroup, CommitOffsets, FetchOffsets, Describe, DeleteGroup,
          DeleteOffsets, Internal {}

  /** Timer and housekeeping messages the coordinator sends itself. */
  public non-sealed interface Internal extends Command {}

  /** One (name, metadata) a joining member supports, in its order of preference. */
  public record Protocol(String name, byte[] metadata) {}

  /**
   * JoinGroup. {@code memberId} is "" for a first join; with {@code requireKnownMemberId}
   * (JoinGroup v4+) a first join without a group instance id gets MEMBER_ID_REQUIRED and the
   * member id to use.
   */
  public record JoinGroup(
      String memberId,
      String groupInstanceId,
      String clientId,
      String clientHost,
      int sessionTimeoutMs,
      int rebalanceTimeoutMs,
      String protocolType,
      List<Protocol> protocols,
      boolean requireKnownMemberId,
      ActorRef<JoinResult> replyTo)
      implements Command {}

  /** A member as the leader sees it in its JoinGroup response. */
  public record JoinedMember(String memberId, String groupInstanceId, byte[] metadata) {}

  /** Reply to JoinGroup; {@code members} is non-empty only for the leader. */
  public record JoinResult(
      GroupError error,
      int generationId,
      String protocolType,
      String protocolName,
      String leaderId,
      String memberId,
      List<JoinedMember> members)
      implements SluiceMessage {
    public static JoinResult failed(GroupError error, String memberId) {
      return new JoinResult(error, -1, null, null, "", memberId, List.of());
    }
  }

  public record Assignment(String memberId, byte[] assignment) {}

  /** SyncGroup; only the leader sends assignments. */
  public record SyncGroup(
      String memberId,
      String groupInstanceId,
      int generationId,
      String protocolType,
      String protocolName,
      List<Assignment> assignments,
      ActorRef<SyncResult> replyTo)
      implements Command {}

  public record SyncResult(GroupError error, String protocolType, String protocolName, byte[] assignment)
      implements SluiceMessage {}

  public record Heartbeat(String memberId, String groupInstanceId, int generationId, ActorRef<GroupAck> replyTo)
      implements Command {}

  /** Reply of commands that only succeed or fail. */
  public record GroupAck(GroupError error) implements SluiceMessage {}

  public record LeavingMember(String memberId, String groupInstanceId) {}

  public record LeaveGroup(List<LeavingMember> members, ActorRef<LeaveResult> replyTo) implements Command {}

  public record MemberResult(String memberId, String groupInstanceId, GroupError error) {}

  public record LeaveResult(GroupError error, List<MemberResult> members) implements SluiceMessage {}

  /** A committed position of one partition; {@code offset} -1 when nothing is committed. */
  public record PartitionOffset(String topic, int partition, long offset, int leaderEpoch, String metadata) {}

  public record TopicPartition(String topic, int partition) {}

  /**
   * OffsetCommit. {@code generationId} -1 with an empty {@code memberId} is a commit from outside
   * the group (admin tools, standalone consumers): accepted only while the group has no members.
   */
  public record CommitOffsets(
      String memberId,
      String groupInstanceId,
      int generationId,
      List<PartitionOffset> offsets,
      ActorRef<CommitResult> replyTo)
      implements Command {}

  public record PartitionResult(String topic, int partition, GroupError error) {}

  public record CommitResult(GroupError error, List<PartitionResult> partitions) implements SluiceMessage {}

  /** OffsetFetch; {@code partitions} null means every committed partition. */
  public record FetchOffsets(List<TopicPartition> partitions, ActorRef<OffsetsResult> replyTo) implements Command {}

  public record OffsetsResult(GroupError error, List<PartitionOffset> offsets) implements SluiceMessage {}

  public record Describe(ActorRef<GroupDescription> replyTo) implements Command {}

  public record MemberDescription(
      String memberId, String groupInstanceId, String clientId, String clientHost, byte[] metadata, byte[] assignment) {}

  /**
   * A group as DescribeGroups / ListGroups show it. {@code state} is Kafka's name: Empty,
   * PreparingRebalance, CompletingRebalance, Stable or Dead (a group that never existed).
   */
  public record GroupDescription(
      GroupError error,
      String groupId,
      String state,
      String protocolType,
      String protocolName,
      List<MemberDescription> members)
      implements SluiceMessage {}

  /** DeleteGroups: only an empty group; NON_EMPTY_GROUP otherwise, GROUP_ID_NOT_FOUND if unknown. */
  public record DeleteGroup(ActorRef<GroupAck> replyTo) implements Command {}

  /** OffsetDelete: partitions of topics the group's members are not subscribed to. */
  public record DeleteOffsets(List<TopicPartition> partitions, ActorRef<CommitResult> replyTo) implements Command {}
}
