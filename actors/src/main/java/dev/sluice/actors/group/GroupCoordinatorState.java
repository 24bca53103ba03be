package dev.sluice.actors.group;

import dev.sluice.actors.group.GroupEvent.GroupDeleted;
import dev.sluice.actors.group.GroupEvent.GroupMetadataStored;
import dev.sluice.actors.group.GroupEvent.OffsetsCommitted;
import dev.sluice.actors.group.GroupEvent.OffsetsDeleted;
import dev.sluice.actors.group.GroupEvent.OffsetsExpired;
import dev.sluice.actors.group.GroupProtocol.Assignment;
import dev.sluice.actors.group.GroupProtocol.CommitOffsets;
import dev.sluice.actors.group.GroupProtocol.CommitResult;
import dev.sluice.actors.group.GroupProtocol.GroupAck;
import dev.sluice.actors.group.GroupProtocol.GroupDescription;
import dev.sluice.actors.group.GroupProtocol.Heartbeat;
import dev.sluice.actors.group.GroupProtocol.JoinGroup;
import dev.sluice.actors.group.GroupProtocol.JoinResult;
import dev.sluice.actors.group.GroupProtocol.JoinedMember;
import dev.sluice.actors.group.GroupProtocol.LeaveGroup;
import dev.sluice.actors.group.GroupProtocol.LeaveResult;
import dev.sluice.actors.group.GroupProtocol.LeavingMember;
import dev.sluice.actors.group.GroupProtocol.MemberDescription;
import dev.sluice.actors.group.GroupProtocol.MemberResult;
import dev.sluice.actors.group.GroupProtocol.OffsetsResult;
import dev.sluice.actors.group.GroupProtocol.PartitionOffset;
import dev.sluice.actors.group.GroupProtocol.PartitionResult;
import dev.sluice.actors.group.GroupProtocol.Protocol;
import dev.sluice.actors.group.GroupProtocol.SyncGroup;
import dev.sluice.actors.group.GroupProtocol.SyncResult;
import dev.sluice.actors.group.GroupProtocol.TopicPartition;
import dev.sluice.actors.group.LiveGroup.Member;
import dev.sluice.persistence.serialization.CborPersisted;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;

/**
 * A consumer group's durable state — what its journal says, and its snapshot: the metadata of
 * the last settled generation (or of the group having become empty) and the committed offsets.
 * Immutable; {@link #apply} folds an event into the next state.
 *
 * <p>This class is also the group's whole logic, Kafka's classic group coordinator as a plain
 * state machine: each handler takes this state, the group's transient {@link LiveGroup}, the
 * settings, the current time and a command, and returns a {@link Decision} — the events to
 * journal, the next live group, and every reply to send (to the command, and to JoinGroup and
 * SyncGroup requests held earlier, by member id). Handlers are pure: the time and new member ids
 * are passed in, nothing is mutated, and a rule violation is a typed error reply with nothing
 * changed; nothing throws for bad input.
 *
 * @param exists whether the group has stored anything since it was created (or last deleted)
 * @param members the members of the stored generation, with their assignments
 * @param stateTimestamp when the stored metadata was written; for an empty group, when it became empty
 * @param offsets committed offsets by topic, then partition
 */
public record GroupCoordinatorState(
    boolean exists,
    int generationId,
    String protocolType,
    String protocolName,
    String leaderId,
    List<StoredMember> members,
    long stateTimestamp,
    Map<String, Map<Integer, CommittedOffset>> offsets)
    implements CborPersisted {

  /** Kafka's protocol type of consumers, whose subscriptions OffsetDelete reads. */
  public static final String CONSUMER_PROTOCOL_TYPE = ConsumerProtocol.PROTOCOL_TYPE;

  private static final byte[] EMPTY_BYTES = new byte[0];

  public GroupCoordinatorState {
    members = members == null ? List.of() : List.copyOf(members);
    offsets = immutableOffsets(offsets);
  }

  public static GroupCoordinatorState empty() {
    return new GroupCoordinatorState(false, 0, null, null, null, List.of(), 0L, Map.of());
  }

  // ---- persisted values ----------------------------------------------------------------------

  /** A protocol a stored member supports. */
  public record StoredProtocol(String name, byte[] metadata) {}

  /** A member of the stored generation (Kafka's MemberMetadata). */
  public record StoredMember(
      String memberId,
      String groupInstanceId,
      String clientId,
      String clientHost,
      int sessionTimeoutMs,
      int rebalanceTimeoutMs,
      List<StoredProtocol> protocols,
      byte[] assignment) {
    public StoredMember {
      protocols = protocols == null ? List.of() : List.copyOf(protocols);
      assignment = assignment == null ? EMPTY_BYTES : assignment;
    }
  }

  /** A committed offset, with the time it was committed. */
  public record CommittedOffset(
      String topic, int partition, long offset, int leaderEpoch, String metadata, long commitTimestamp) {}

  /** A topic-partition, as the journal names it. */
  public record PartitionKey(String topic, int partition) {}

  // ---- decisions -----------------------------------------------------------------------------

  /**
   * What a handler decided.
   *
   * @param reply the answer to the command now; null when it is held (see {@code heldAs}) or
   *     when there is no command (timers)
   * @param heldAs the member id under which the command's JoinGroup/SyncGroup reply is held, to
   *     be answered through {@code joinReplies}/{@code syncReplies} (possibly of this very decision)
   * @param events what to journal, in order, before any reply is sent
   * @param live the next transient group
   * @param joinReplies answers to held JoinGroup requests, by member id
   * @param syncReplies answers to held SyncGroup requests, by member id
   * @param notes what happened worth a log line
   */
  public record Decision<R>(
      R reply,
      String heldAs,
      List<GroupEvent> events,
      LiveGroup live,
      Map<String, JoinResult> joinReplies,
      Map<String, SyncResult> syncReplies,
      List<String> notes) {
    public Decision {
      events = List.copyOf(events);
      joinReplies = Collections.unmodifiableMap(new LinkedHashMap<>(joinReplies));
      syncReplies = Collections.unmodifiableMap(new LinkedHashMap<>(syncReplies));
      notes = List.copyOf(notes);
    }
  }

  /** JoinGroup. {@code newMemberId} is the id a member joining without one gets (clientId-UUID). */
  public Decision<JoinResult> join(LiveGroup live, GroupSettings settings, long now, JoinGroup cmd, String newMemberId) {
    Step s = new Step(this, live, settings, now);
    String memberId = orEmpty(cmd.memberId());
    String instanceId = cmd.groupInstanceId();
    long session = cmd.sessionTimeoutMs();
    if (session < settings.minSessionTimeout().toMillis() || session > settings.maxSessionTimeout().toMillis()) {
      return s.reply(JoinResult.failed(GroupError.INVALID_SESSION_TIMEOUT, memberId));
    }
    if (memberId.isEmpty()) {
      String replaced = s.staticMemberId(instanceId);
      if (!s.supportsProtocols(cmd.protocolType(), cmd.protocols(), replaced)) {
        return s.reply(JoinResult.failed(GroupError.INCONSISTENT_GROUP_PROTOCOL, ""));
      }
      if (instanceId != null) {
        if (replaced != null) {
          return s.replaceStaticMember(replaced, newMemberId, cmd);
        }
        s.note("Static member with instance id " + instanceId + " joins as new member " + newMemberId);
        s.addMember(newMemberId, cmd);
        return s.held();
      }
      if (cmd.requireKnownMemberId()) {
        s.pending.put(newMemberId, now + session);
        return s.reply(JoinResult.failed(GroupError.MEMBER_ID_REQUIRED, newMemberId));
      }
      s.addMember(newMemberId, cmd);
      return s.held();
    }
    if (s.members.isEmpty() && !s.pending.containsKey(memberId)) {
      return s.reply(JoinResult.failed(GroupError.UNKNOWN_MEMBER_ID, memberId));
    }
    if (!s.supportsProtocols(cmd.protocolType(), cmd.protocols(), memberId)) {
      return s.reply(JoinResult.failed(GroupError.INCONSISTENT_GROUP_PROTOCOL, memberId));
    }
    if (s.pending.containsKey(memberId)) {
      if (instanceId != null) { // ids handed out with MEMBER_ID_REQUIRED are for dynamic members only
        return s.reply(JoinResult.failed(GroupError.UNKNOWN_MEMBER_ID, memberId));
      }
      s.pending.remove(memberId);
      s.addMember(memberId, cmd);
      return s.held();
    }
    GroupError invalid = s.validateMember(memberId, instanceId);
    if (invalid != GroupError.NONE) {
      return s.reply(JoinResult.failed(invalid, memberId));
    }
    Member member = s.members.get(memberId);
    switch (s.state) {
      case PREPARING_REBALANCE -> {
        s.rejoin(member, cmd, "member " + memberId + " rejoins during PreparingRebalance");
        return s.held();
      }
      case COMPLETING_REBALANCE -> {
        if (member.sameProtocols(cmd.protocols())) {
          // It probably lost the JoinGroup response: answer with the current generation again.
          s.touch(memberId);
          return s.reply(s.currentGeneration(memberId, memberId.equals(s.leaderId)));
        }
        s.rejoin(member, cmd, "member " + memberId + " changed its protocols during CompletingRebalance");
        return s.held();
      }
      case STABLE -> {
        if (memberId.equals(s.leaderId) || !member.sameProtocols(cmd.protocols())) {
          // A leader's JoinGroup asks for a new assignment (e.g. topic metadata changed).
          s.rejoin(member, cmd, memberId.equals(s.leaderId) ? "leader " + memberId + " rejoins" : "member " + memberId + " changed its protocols");
          return s.held();
        }
        s.touch(memberId);
        return s.reply(s.currentGeneration(memberId, false));
      }
      default -> {
        return s.reply(JoinResult.failed(GroupError.UNKNOWN_MEMBER_ID, memberId));
      }
    }
  }

  /** SyncGroup. */
  public Decision<SyncResult> sync(LiveGroup live, GroupSettings settings, long now, SyncGroup cmd) {
    Step s = new Step(this, live, settings, now);
    String memberId = orEmpty(cmd.memberId());
    if (s.members.isEmpty()) {
      return s.reply(syncError(GroupError.UNKNOWN_MEMBER_ID));
    }
    GroupError invalid = s.validateMember(memberId, cmd.groupInstanceId());
    if (invalid != GroupError.NONE) {
      return s.reply(syncError(invalid));
    }
    if (cmd.generationId() != s.generationId) {
      return s.reply(syncError(GroupError.ILLEGAL_GENERATION));
    }
    if ((cmd.protocolType() != null && !cmd.protocolType().equals(s.protocolType))
        || (cmd.protocolName() != null && !cmd.protocolName().equals(s.protocolName))) {
      return s.reply(syncError(GroupError.INCONSISTENT_GROUP_PROTOCOL));
    }
    Member member = s.members.get(memberId);
    switch (s.state) {
      case PREPARING_REBALANCE -> {
        s.touch(memberId);
        return s.reply(syncError(GroupError.REBALANCE_IN_PROGRESS));
      }
      case COMPLETING_REBALANCE -> {
        s.members.put(memberId, member.withFlags(false, true, false).withSession(now));
        s.heldAs = memberId;
        if (memberId.equals(s.leaderId)) {
          s.settleAssignment(cmd.assignments());
        }
        return s.held();
      }
      case STABLE -> {
        s.members.put(memberId, member.withFlags(false, false, false).withSession(now));
        s.clearSyncDeadlineIfAllSynced();
        return s.reply(new SyncResult(GroupError.NONE, s.protocolType, s.protocolName, member.assignment()));
      }
      default -> {
        return s.reply(syncError(GroupError.UNKNOWN_MEMBER_ID));
      }
    }
  }

  /** Heartbeat. */
  public Decision<GroupAck> heartbeat(LiveGroup live, GroupSettings settings, long now, Heartbeat cmd) {
    Step s = new Step(this, live, settings, now);
    String memberId = orEmpty(cmd.memberId());
    if (s.members.isEmpty()) {
      return s.reply(new GroupAck(GroupError.UNKNOWN_MEMBER_ID));
    }
    GroupError invalid = s.validateMember(memberId, cmd.groupInstanceId());
    if (invalid != GroupError.NONE) {
      return s.reply(new GroupAck(invalid));
    }
    if (cmd.generationId() != s.generationId) {
      return s.reply(new GroupAck(GroupError.ILLEGAL_GENERATION));
    }
    s.touch(memberId);
    return s.reply(new GroupAck(s.state == GroupState.PREPARING_REBALANCE ? GroupError.REBALANCE_IN_PROGRESS : GroupError.NONE));
  }

  /** LeaveGroup: a result per leaving member; removing any starts a rebalance (or empties the group). */
  public Decision<LeaveResult> leave(LiveGroup live, GroupSettings settings, long now, LeaveGroup cmd) {
    Step s = new Step(this, live, settings, now);
    List<MemberResult> results = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    for (LeavingMember leaving : cmd.members() == null ? List.<LeavingMember>of() : cmd.members()) {
      String memberId = orEmpty(leaving.memberId());
      String instanceId = leaving.groupInstanceId();
      GroupError error;
      if (instanceId != null) {
        String existing = s.staticMemberId(instanceId);
        if (existing == null) {
          error = GroupError.UNKNOWN_MEMBER_ID;
        } else if (!memberId.isEmpty() && !memberId.equals(existing)) {
          error = GroupError.FENCED_INSTANCE_ID;
        } else {
          s.removeMember(existing);
          removed.add(existing);
          error = GroupError.NONE;
        }
      } else if (s.pending.remove(memberId) != null) {
        error = GroupError.NONE;
      } else if (!s.members.containsKey(memberId)) {
        error = GroupError.UNKNOWN_MEMBER_ID;
      } else {
        s.removeMember(memberId);
        removed.add(memberId);
        error = GroupError.NONE;
      }
      results.add(new MemberResult(leaving.memberId(), instanceId, error));
    }
    if (!removed.isEmpty()) {
      s.note("Members " + removed + " left the group");
      s.afterRemoval("members " + removed + " left the group");
    } else if (s.state == GroupState.PREPARING_REBALANCE && s.initialDelayLimit < 0 && s.allMembersJoined()) {
      s.completeJoin(); // a pending member id that left may have been all the join phase waited for
    }
    return s.reply(new LeaveResult(GroupError.NONE, results));
  }

  /**
   * OffsetCommit, validated as Kafka's classic groups do: a commit with generation -1 (admin
   * tools, consumers without group management) is accepted while the group has no members; a
   * commit naming a member must come from a current member of the current generation, and not
   * while the group waits for its assignment.
   */
  public Decision<CommitResult> commit(LiveGroup live, GroupSettings settings, long now, CommitOffsets cmd) {
    Step s = new Step(this, live, settings, now);
    List<PartitionOffset> offsets = cmd.offsets() == null ? List.of() : cmd.offsets();
    String memberId = orEmpty(cmd.memberId());
    String instanceId = cmd.groupInstanceId();
    int generation = cmd.generationId();
    boolean hasMembers = !s.members.isEmpty();
    GroupError error = GroupError.NONE;
    boolean fromMember = false;
    if (generation < 0 && !hasMembers) {
      // outside group management: allowed while nobody is in the group
    } else if (!hasMembers && !exists) {
      error = GroupError.ILLEGAL_GENERATION; // a generation of a group that does not exist
    } else if (generation >= 0 || !memberId.isEmpty() || instanceId != null) {
      error = s.validateMember(memberId, instanceId);
      if (error == GroupError.NONE && generation != s.generationId) {
        error = GroupError.ILLEGAL_GENERATION;
      }
      if (error == GroupError.NONE && s.state == GroupState.COMPLETING_REBALANCE) {
        error = GroupError.REBALANCE_IN_PROGRESS;
      }
      fromMember = error == GroupError.NONE;
    } else {
      error = GroupError.UNKNOWN_MEMBER_ID; // generation -1 without a member id while the group has members
    }
    List<PartitionResult> results = new ArrayList<>(offsets.size());
    if (error != GroupError.NONE) {
      for (PartitionOffset o : offsets) {
        results.add(new PartitionResult(o.topic(), o.partition(), error));
      }
      return s.reply(new CommitResult(error, results));
    }
    if (fromMember) {
      s.touch(memberId);
    }
    List<CommittedOffset> accepted = new ArrayList<>(offsets.size());
    for (PartitionOffset o : offsets) {
      String metadata = orEmpty(o.metadata());
      if (metadata.length() > settings.maxOffsetMetadataLength()) {
        results.add(new PartitionResult(o.topic(), o.partition(), GroupError.OFFSET_METADATA_TOO_LARGE));
      } else {
        accepted.add(new CommittedOffset(o.topic(), o.partition(), o.offset(), o.leaderEpoch(), metadata, now));
        results.add(new PartitionResult(o.topic(), o.partition(), GroupError.NONE));
      }
    }
    if (!accepted.isEmpty()) {
      s.events.add(new OffsetsCommitted(accepted));
    }
    return s.reply(new CommitResult(GroupError.NONE, results));
  }

  /**
   * OffsetFetch: the committed offsets of {@code partitions} (offset -1, leader epoch -1 and
   * metadata "" for those without), or every committed offset when {@code partitions} is null.
   * A group that does not exist simply has nothing committed.
   */
  public OffsetsResult fetchOffsets(List<TopicPartition> partitions) {
    List<PartitionOffset> out = new ArrayList<>();
    if (partitions == null) {
      for (CommittedOffset o : sortedOffsets()) {
        out.add(new PartitionOffset(o.topic(), o.partition(), o.offset(), o.leaderEpoch(), o.metadata()));
      }
    } else {
      for (TopicPartition tp : partitions) {
        CommittedOffset o = committed(tp.topic(), tp.partition());
        out.add(
            o == null
                ? new PartitionOffset(tp.topic(), tp.partition(), -1L, -1, "")
                : new PartitionOffset(tp.topic(), tp.partition(), o.offset(), o.leaderEpoch(), o.metadata()));
      }
    }
    return new OffsetsResult(GroupError.NONE, out);
  }

  /**
   * DescribeGroups, as Kafka answers it: in Stable, the protocol and each member's metadata and
   * assignment; in other states no protocol name and empty metadata and assignments.
   */
  public GroupDescription describe(LiveGroup live, String groupId) {
    GroupState state = stateOf(live);
    if (state == GroupState.DEAD) {
      return new GroupDescription(GroupError.NONE, groupId, state.kafkaName(), "", "", List.of());
    }
    boolean stable = state == GroupState.STABLE;
    List<MemberDescription> members = new ArrayList<>(live.members().size());
    for (Member m : live.members().values()) {
      byte[] metadata = stable ? m.metadataFor(live.protocolName()) : null;
      members.add(
          new MemberDescription(
              m.memberId(), m.groupInstanceId(), m.clientId(), m.clientHost(),
              metadata == null ? EMPTY_BYTES : metadata, stable ? m.assignment() : EMPTY_BYTES));
    }
    return new GroupDescription(
        GroupError.NONE, groupId, state.kafkaName(), orEmpty(live.protocolType()), stable ? orEmpty(live.protocolName()) : "", members);
  }

  /** The group's state as Kafka names it: {@link GroupState#DEAD} if it does not exist. */
  public GroupState stateOf(LiveGroup live) {
    if (!exists && live.members().isEmpty() && live.state() == GroupState.EMPTY) {
      return GroupState.DEAD;
    }
    return live.state();
  }

  /** DeleteGroups: only a group that exists and has no members; its offsets go with it. */
  public Decision<GroupAck> deleteGroup(LiveGroup live, GroupSettings settings, long now) {
    Step s = new Step(this, live, settings, now);
    GroupState state = stateOf(live);
    if (state == GroupState.DEAD) {
      return s.reply(new GroupAck(GroupError.GROUP_ID_NOT_FOUND));
    }
    if (state != GroupState.EMPTY || !live.members().isEmpty()) {
      return s.reply(new GroupAck(GroupError.NON_EMPTY_GROUP));
    }
    s.events.add(new GroupDeleted("DeleteGroups", now));
    s.resetLive();
    s.note("Group deleted with its " + offsetCount() + " committed offsets");
    return s.reply(new GroupAck(GroupError.NONE));
  }

  /**
   * OffsetDelete: deletes the offsets of partitions whose topic no current member subscribes to
   * (GROUP_SUBSCRIBED_TO_TOPIC for the others). A group with members that is not a consumer
   * group (its subscriptions cannot be known) gets NON_EMPTY_GROUP.
   */
  public Decision<CommitResult> deleteOffsets(LiveGroup live, GroupSettings settings, long now, List<TopicPartition> partitions) {
    Step s = new Step(this, live, settings, now);
    if (stateOf(live) == GroupState.DEAD) {
      return s.reply(new CommitResult(GroupError.GROUP_ID_NOT_FOUND, List.of()));
    }
    if (!live.members().isEmpty() && !CONSUMER_PROTOCOL_TYPE.equals(live.protocolType())) {
      return s.reply(new CommitResult(GroupError.NON_EMPTY_GROUP, List.of()));
    }
    Set<String> subscribed = subscribedTopics(live);
    List<PartitionResult> results = new ArrayList<>();
    List<PartitionKey> deleted = new ArrayList<>();
    for (TopicPartition tp : partitions == null ? List.<TopicPartition>of() : partitions) {
      if (subscribed.contains(tp.topic())) {
        results.add(new PartitionResult(tp.topic(), tp.partition(), GroupError.GROUP_SUBSCRIBED_TO_TOPIC));
      } else {
        results.add(new PartitionResult(tp.topic(), tp.partition(), GroupError.NONE));
        if (committed(tp.topic(), tp.partition()) != null) {
          deleted.add(new PartitionKey(tp.topic(), tp.partition()));
        }
      }
    }
    if (!deleted.isEmpty()) {
      s.events.add(new OffsetsDeleted(deleted));
    }
    return s.reply(new CommitResult(GroupError.NONE, results));
  }

  /**
   * Applies whatever is due at {@code now}: forgets pending member ids and removes members whose
   * session timed out, completes a join phase whose deadline passed (removing dynamic members
   * that did not rejoin), and removes members that did not send SyncGroup in time.
   */
  public Decision<Void> expire(LiveGroup live, GroupSettings settings, long now) {
    Step s = new Step(this, live, settings, now);
    boolean pendingForgotten = false;
    for (Map.Entry<String, Long> p : List.copyOf(s.pending.entrySet())) {
      if (p.getValue() <= now) {
        s.pending.remove(p.getKey());
        s.note("Pending member " + p.getKey() + " did not join within its session timeout; forgetting it");
        pendingForgotten = true;
      }
    }
    List<String> expired = new ArrayList<>();
    for (Member m : List.copyOf(s.members.values())) {
      if (m.sessionRunning() && m.sessionDeadline() <= now) {
        s.note("Member " + m.memberId() + " failed to heartbeat within its session timeout of " + m.sessionTimeoutMs() + " ms; removing it");
        s.removeMember(m.memberId());
        expired.add(m.memberId());
      }
    }
    if (!expired.isEmpty()) {
      s.afterRemoval("session timeout of members " + expired);
    } else if (pendingForgotten && s.state == GroupState.PREPARING_REBALANCE && s.allMembersJoined()) {
      s.completeJoin();
    }
    if (s.state == GroupState.PREPARING_REBALANCE && s.joinDeadline >= 0 && now >= s.joinDeadline) {
      s.completeJoin();
    }
    if ((s.state == GroupState.COMPLETING_REBALANCE || s.state == GroupState.STABLE) && s.syncDeadline >= 0 && now >= s.syncDeadline) {
      s.syncDeadline = -1;
      List<String> late = new ArrayList<>();
      for (Member m : s.members.values()) {
        if (m.pendingSync()) {
          late.add(m.memberId());
        }
      }
      if (!late.isEmpty()) {
        for (String id : late) {
          s.removeMember(id);
        }
        s.note("Members " + late + " did not send SyncGroup within the rebalance timeout; removing them");
        s.prepareRebalance("members " + late + " did not sync in time");
      }
    }
    return s.held();
  }

  /**
   * Offset retention (Kafka's offsets.retention.minutes): while the group has no members, an
   * offset expires once the retention has passed since the group became empty — or since it was
   * committed, for a group that never had members. An empty group left without offsets is
   * deleted. Nothing expires while the group has members.
   */
  public Decision<Void> expireOffsets(LiveGroup live, GroupSettings settings, long now) {
    Step s = new Step(this, live, settings, now);
    if (!exists || !live.members().isEmpty() || live.state() != GroupState.EMPTY) {
      return s.held();
    }
    long retention = settings.offsetsRetention().toMillis();
    boolean everHadMembers = protocolType != null;
    List<PartitionKey> expired = new ArrayList<>();
    int total = 0;
    for (CommittedOffset o : sortedOffsets()) {
      total++;
      long base = everHadMembers ? stateTimestamp : o.commitTimestamp();
      if (now - base >= retention) {
        expired.add(new PartitionKey(o.topic(), o.partition()));
      }
    }
    if (!expired.isEmpty()) {
      s.events.add(new OffsetsExpired(expired, now));
      s.note("Expired " + expired.size() + " committed offsets (retention " + settings.offsetsRetention() + ")");
    }
    if (expired.size() == total) {
      s.events.add(new GroupDeleted("empty group without offsets", now));
      s.resetLive();
      s.note("Deleted the empty group: it has no committed offsets left");
    }
    return s.held();
  }

  // ---- events --------------------------------------------------------------------------------

  /** The state after {@code event}. */
  public GroupCoordinatorState apply(GroupEvent event) {
    if (event instanceof GroupMetadataStored m) {
      return new GroupCoordinatorState(
          true, m.generationId(), m.protocolType(), m.protocolName(), m.leaderId(), m.members(), m.timestampMillis(), offsets);
    } else if (event instanceof OffsetsCommitted c) {
      return withOffsets(true, committedAll(c.offsets()));
    } else if (event instanceof OffsetsDeleted d) {
      return withOffsets(exists, removedAll(d.partitions()));
    } else if (event instanceof OffsetsExpired x) {
      return withOffsets(exists, removedAll(x.partitions()));
    } else if (event instanceof GroupDeleted) {
      return empty();
    }
    throw new IllegalStateException("unhandled group event " + event.getClass().getName());
  }

  private GroupCoordinatorState withOffsets(boolean nowExists, Map<String, Map<Integer, CommittedOffset>> next) {
    return new GroupCoordinatorState(nowExists, generationId, protocolType, protocolName, leaderId, members, stateTimestamp, next);
  }

  private Map<String, Map<Integer, CommittedOffset>> committedAll(List<CommittedOffset> committed) {
    Map<String, Map<Integer, CommittedOffset>> next = new HashMap<>(offsets);
    Map<String, Map<Integer, CommittedOffset>> changed = new HashMap<>();
    for (CommittedOffset o : committed) {
      changed.computeIfAbsent(o.topic(), t -> new HashMap<>(offsets.getOrDefault(t, Map.of()))).put(o.partition(), o);
    }
    changed.forEach((topic, byPartition) -> next.put(topic, Map.copyOf(byPartition)));
    return next;
  }

  private Map<String, Map<Integer, CommittedOffset>> removedAll(List<PartitionKey> removed) {
    Map<String, Map<Integer, CommittedOffset>> changed = new HashMap<>();
    for (PartitionKey k : removed) {
      if (offsets.containsKey(k.topic())) {
        changed.computeIfAbsent(k.topic(), t -> new HashMap<>(offsets.get(t))).remove(k.partition());
      }
    }
    Map<String, Map<Integer, CommittedOffset>> next = new HashMap<>(offsets);
    changed.forEach(
        (topic, byPartition) -> {
          if (byPartition.isEmpty()) {
            next.remove(topic);
          } else {
            next.put(topic, Map.copyOf(byPartition));
          }
        });
    return next;
  }

  // ---- queries -------------------------------------------------------------------------------

  /** The committed offset of a partition, or null. */
  public CommittedOffset committed(String topic, int partition) {
    Map<Integer, CommittedOffset> byPartition = offsets.get(topic);
    return byPartition == null ? null : byPartition.get(partition);
  }

  /** Every committed offset, ordered by topic and partition. */
  public List<CommittedOffset> sortedOffsets() {
    List<CommittedOffset> out = new ArrayList<>();
    for (Map<Integer, CommittedOffset> byPartition : offsets.values()) {
      out.addAll(byPartition.values());
    }
    out.sort(Comparator.comparing(CommittedOffset::topic).thenComparingInt(CommittedOffset::partition));
    return out;
  }

  public int offsetCount() {
    int n = 0;
    for (Map<Integer, CommittedOffset> byPartition : offsets.values()) {
      n += byPartition.size();
    }
    return n;
  }

  /**
   * The topics the group's members subscribe to, read from their consumer-protocol metadata (for
   * the group's protocol, else their first). Empty if the group has no members, is not a
   * consumer group, or any subscription cannot be decoded (as Kafka: then it is subscribed to
   * nothing).
   */
  static Set<String> subscribedTopics(LiveGroup live) {
    if (live.members().isEmpty() || !CONSUMER_PROTOCOL_TYPE.equals(live.protocolType())) {
      return Set.of();
    }
    Set<String> topics = new HashSet<>();
    for (Member m : live.members().values()) {
      byte[] metadata = live.protocolName() == null ? null : m.metadataFor(live.protocolName());
      if (metadata == null && !m.protocols().isEmpty()) {
        metadata = m.protocols().get(0).metadata();
      }
      if (metadata == null) {
        return Set.of();
      }
      try {
        topics.addAll(ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(metadata)).topics());
      } catch (RuntimeException e) { // SchemaException, BufferUnderflowException, ...
        return Set.of();
      }
    }
    return topics;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static Map<String, Map<Integer, CommittedOffset>> immutableOffsets(Map<String, Map<Integer, CommittedOffset>> offsets) {
    if (offsets == null || offsets.isEmpty()) {
      return Map.of();
    }
    Map<String, Map<Integer, CommittedOffset>> out = new HashMap<>(offsets.size() * 2);
    offsets.forEach(
        (topic, byPartition) -> {
          if (byPartition != null && !byPartition.isEmpty()) {
            out.put(topic, Map.copyOf(byPartition)); // no copy if already immutable
          }
        });
    return Map.copyOf(out);
  }

  static SyncResult syncError(GroupError error) {
    return new SyncResult(error, null, null, EMPTY_BYTES);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /**
   * One handler's work on a mutable copy of the live group, collecting events, replies and
   * notes; {@link #reply}/{@link #held} freeze it into a {@link Decision}. Confined to one call.
   */
  private static final class Step {
    final GroupCoordinatorState stored;
    final GroupSettings settings;
    final long now;
    GroupState state;
    int generationId;
    String protocolType;
    String protocolName;
    String leaderId;
    final LinkedHashMap<String, Member> members;
    final LinkedHashMap<String, Long> pending;
    long joinDeadline;
    long initialDelayLimit;
    long syncDeadline;
    final List<GroupEvent> events = new ArrayList<>();
    final Map<String, JoinResult> joinReplies = new LinkedHashMap<>();
    final Map<String, SyncResult> syncReplies = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    String heldAs;

    Step(GroupCoordinatorState stored, LiveGroup live, GroupSettings settings, long now) {
      this.stored = stored;
      this.settings = settings;
      this.now = now;
      this.state = live.state();
      this.generationId = live.generationId();
      this.protocolType = live.protocolType();
      this.protocolName = live.protocolName();
      this.leaderId = live.leaderId();
      this.members = new LinkedHashMap<>(live.members());
      this.pending = new LinkedHashMap<>(live.pendingMembers());
      this.joinDeadline = live.joinDeadline();
      this.initialDelayLimit = live.initialDelayLimit();
      this.syncDeadline = live.syncDeadline();
    }

    <R> Decision<R> reply(R reply) {
      return new Decision<>(reply, heldAs, events, live(), joinReplies, syncReplies, notes);
    }

    <R> Decision<R> held() {
      return reply(null);
    }

    LiveGroup live() {
      return new LiveGroup(state, generationId, protocolType, protocolName, leaderId, members, pending, joinDeadline, initialDelayLimit, syncDeadline);
    }

    void note(String line) {
      notes.add(line);
    }

    void resetLive() {
      LiveGroup fresh = LiveGroup.initial();
      state = fresh.state();
      generationId = fresh.generationId();
      protocolType = null;
      protocolName = null;
      leaderId = null;
      members.clear();
      pending.clear();
      joinDeadline = -1;
      initialDelayLimit = -1;
      syncDeadline = -1;
    }

    String staticMemberId(String instanceId) {
      if (instanceId == null) {
        return null;
      }
      for (Member m : members.values()) {
        if (instanceId.equals(m.groupInstanceId())) {
          return m.memberId();
        }
      }
      return null;
    }

    /** Kafka's validateMember: a static member must be the current holder of its instance id. */
    GroupError validateMember(String memberId, String instanceId) {
      if (instanceId != null) {
        String existing = staticMemberId(instanceId);
        if (existing == null) {
          return GroupError.UNKNOWN_MEMBER_ID;
        }
        if (!existing.equals(memberId)) {
          return GroupError.FENCED_INSTANCE_ID;
        }
      }
      return members.containsKey(memberId) ? GroupError.NONE : GroupError.UNKNOWN_MEMBER_ID;
    }

    /**
     * Whether a member (replacing {@code self}, if not null) may join with these protocols: the
     * group's protocol type, and at least one protocol every other member supports too. Any
     * non-empty type and protocol list start a group without other members.
     */
    boolean supportsProtocols(String type, List<Protocol> protocols, String self) {
      if (type == null || type.isEmpty() || protocols == null || protocols.isEmpty()) {
        return false;
      }
      boolean othersPresent = false;
      Set<String> common = new LinkedHashSet<>();
      for (Protocol p : protocols) {
        common.add(p.name());
      }
      for (Member m : members.values()) {
        if (m.memberId().equals(self)) {
          continue;
        }
        othersPresent = true;
        Set<String> theirs = new HashSet<>();
        for (Protocol p : m.protocols()) {
          theirs.add(p.name());
        }
        common.retainAll(theirs);
      }
      return !othersPresent || (type.equals(protocolType) && !common.isEmpty());
    }

    int maxRebalanceTimeout() {
      int max = 0;
      for (Member m : members.values()) {
        max = Math.max(max, m.rebalanceTimeoutMs());
      }
      return max;
    }

    boolean allMembersJoined() {
      if (!pending.isEmpty()) {
        return false;
      }
      for (Member m : members.values()) {
        if (!m.awaitingJoin()) {
          return false;
        }
      }
      return true;
    }

    void touch(String memberId) {
      Member m = members.get(memberId);
      if (m != null) {
        members.put(memberId, m.withSession(now));
      }
    }

    JoinResult currentGeneration(String memberId, boolean withMembers) {
      return new JoinResult(
          GroupError.NONE, generationId, protocolType, protocolName, leaderId, memberId, withMembers ? joinedMembers() : List.of());
    }

    List<JoinedMember> joinedMembers() {
      List<JoinedMember> out = new ArrayList<>(members.size());
      for (Member m : members.values()) {
        byte[] metadata = m.metadataFor(protocolName);
        out.add(new JoinedMember(m.memberId(), m.groupInstanceId(), metadata == null ? EMPTY_BYTES : metadata));
      }
      return out;
    }

    void addMember(String memberId, JoinGroup cmd) {
      if (members.isEmpty()) {
        protocolType = cmd.protocolType();
      }
      members.put(
          memberId,
          new Member(memberId, cmd.groupInstanceId(), cmd.clientId(), cmd.clientHost(), cmd.sessionTimeoutMs(),
              cmd.rebalanceTimeoutMs(), cmd.protocols(), EMPTY_BYTES, true, false, false, now + cmd.sessionTimeoutMs()));
      if (leaderId == null) {
        leaderId = memberId;
      }
      heldAs = memberId;
      if (state == GroupState.PREPARING_REBALANCE && initialDelayLimit >= 0) {
        // a newcomer during the first rebalance extends the wait for more (Kafka's InitialDelayedJoin)
        joinDeadline = Math.max(joinDeadline, Math.min(now + settings.initialRebalanceDelay().toMillis(), initialDelayLimit));
      }
      maybePrepareRebalanceOrCompleteJoin("adding member " + memberId);
    }

    void rejoin(Member member, JoinGroup cmd, String reason) {
      members.put(member.memberId(), member.joining(cmd, now));
      heldAs = member.memberId();
      maybePrepareRebalanceOrCompleteJoin(reason);
    }

    /** A static member rejoined without its member id: it gets a new one, the old one is fenced. */
    Decision<JoinResult> replaceStaticMember(String oldId, String newId, JoinGroup cmd) {
      Member old = members.get(oldId);
      if (old.awaitingJoin()) {
        joinReplies.put(oldId, JoinResult.failed(GroupError.FENCED_INSTANCE_ID, oldId));
      }
      if (old.awaitingSync()) {
        syncReplies.put(oldId, syncError(GroupError.FENCED_INSTANCE_ID));
      }
      boolean wasLeader = oldId.equals(leaderId);
      boolean sameProtocols = old.sameProtocols(cmd.protocols());
      Member updated = old.withId(newId).joining(cmd, now);
      List<Map.Entry<String, Member>> entries = new ArrayList<>(members.entrySet());
      members.clear();
      for (Map.Entry<String, Member> e : entries) { // keep its place in the join order
        if (e.getKey().equals(oldId)) {
          members.put(newId, updated);
        } else {
          members.put(e.getKey(), e.getValue());
        }
      }
      if (wasLeader) {
        leaderId = newId;
      }
      note("Static member with instance id " + cmd.groupInstanceId() + " rejoined as " + newId + ", replacing " + oldId + " in " + state.kafkaName());
      heldAs = newId;
      switch (state) {
        case STABLE -> {
          if (!wasLeader && sameProtocols) {
            // Same subscription, not the leader: keep the generation and its assignment. The new
            // member id is stored so that it survives a restart.
            members.put(newId, updated.withFlags(false, false, old.pendingSync()));
            heldAs = null;
            storeMetadata();
            return reply(currentGeneration(newId, false));
          }
          prepareRebalance("static member " + cmd.groupInstanceId() + (wasLeader ? " (the leader)" : "") + " rejoined with changed protocols or as leader");
        }
        case COMPLETING_REBALANCE ->
            // the leader may already be assigning to the old member id
            prepareRebalance("static member " + cmd.groupInstanceId() + " rejoined during CompletingRebalance");
        default -> maybeCompleteJoinPhase();
      }
      return held();
    }

    void maybePrepareRebalanceOrCompleteJoin(String reason) {
      if (state == GroupState.STABLE || state == GroupState.COMPLETING_REBALANCE || state == GroupState.EMPTY) {
        prepareRebalance(reason);
      } else {
        maybeCompleteJoinPhase();
      }
    }

    void maybeCompleteJoinPhase() {
      // the first rebalance of an empty group ends on its (initial delay) deadline only
      if (state == GroupState.PREPARING_REBALANCE && initialDelayLimit < 0 && allMembersJoined()) {
        completeJoin();
      }
    }

    void prepareRebalance(String reason) {
      if (state == GroupState.COMPLETING_REBALANCE) {
        // held SyncGroups are told to rejoin; the assignment being made is void
        for (Member m : List.copyOf(members.values())) {
          Member next = m.withAssignment(EMPTY_BYTES);
          if (m.awaitingSync()) {
            syncReplies.put(m.memberId(), syncError(GroupError.REBALANCE_IN_PROGRESS));
            next = next.withFlags(m.awaitingJoin(), false, false).withSession(now);
          }
          members.put(m.memberId(), next);
        }
      }
      for (Member m : List.copyOf(members.values())) {
        if (m.pendingSync()) {
          members.put(m.memberId(), m.withFlags(m.awaitingJoin(), m.awaitingSync(), false));
        }
      }
      syncDeadline = -1;
      boolean initial = state == GroupState.EMPTY;
      note("Preparing to rebalance in state " + state.kafkaName() + " with old generation " + generationId + " (reason: " + reason + ")");
      state = GroupState.PREPARING_REBALANCE;
      int rebalanceTimeout = maxRebalanceTimeout();
      if (initial) {
        long delay = settings.initialRebalanceDelay().toMillis();
        initialDelayLimit = now + Math.max(delay, rebalanceTimeout);
        joinDeadline = now + delay;
        if (joinDeadline <= now) {
          completeJoin();
        }
      } else {
        initialDelayLimit = -1;
        joinDeadline = now + rebalanceTimeout;
        if (allMembersJoined()) {
          completeJoin();
        }
      }
    }

    /** Members removed in any state other than PreparingRebalance start a rebalance. */
    void afterRemoval(String reason) {
      if (state == GroupState.STABLE || state == GroupState.COMPLETING_REBALANCE) {
        prepareRebalance(reason);
      } else if (state == GroupState.PREPARING_REBALANCE && allMembersJoined()) {
        completeJoin();
      }
    }

    /** Removes a member, answering its held requests with UNKNOWN_MEMBER_ID. */
    void removeMember(String memberId) {
      Member m = members.remove(memberId);
      if (m == null) {
        return;
      }
      if (m.awaitingJoin()) {
        joinReplies.put(memberId, JoinResult.failed(GroupError.UNKNOWN_MEMBER_ID, ""));
      }
      if (m.awaitingSync()) {
        syncReplies.put(memberId, syncError(GroupError.UNKNOWN_MEMBER_ID));
      }
      if (memberId.equals(leaderId)) {
        leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
      }
    }

    /**
     * Ends the join phase: dynamic members that did not rejoin are removed; the generation moves
     * on with a protocol and a leader that has rejoined, and every held JoinGroup is answered
     * (the leader's with all members). No members left: the group is empty, which is stored.
     */
    void completeJoin() {
      List<String> dropped = new ArrayList<>();
      for (Member m : List.copyOf(members.values())) {
        if (!m.awaitingJoin() && !m.isStatic()) {
          removeMember(m.memberId());
          dropped.add(m.memberId());
        }
      }
      if (!dropped.isEmpty()) {
        note("Removed members that did not rejoin within the rebalance timeout: " + dropped);
      }
      if (!members.isEmpty()) {
        Member leader = leaderId == null ? null : members.get(leaderId);
        if (leader == null || !leader.awaitingJoin()) {
          String joined = null;
          for (Member m : members.values()) {
            if (m.awaitingJoin()) {
              joined = m.memberId();
              break;
            }
          }
          if (joined == null) {
            // only static members that have not rejoined: wait for them (or their session timeouts)
            joinDeadline = now + Math.max(maxRebalanceTimeout(), 1_000); // never a zero-delay retry loop
            note("No member rejoined; waiting another rebalance timeout");
            return;
          }
          leaderId = joined;
        }
      }
      generationId++;
      joinDeadline = -1;
      initialDelayLimit = -1;
      if (members.isEmpty()) {
        state = GroupState.EMPTY;
        protocolName = null;
        leaderId = null;
        syncDeadline = -1;
        storeMetadata();
        note("Group is empty at generation " + generationId);
        return;
      }
      protocolName = selectProtocol();
      state = GroupState.COMPLETING_REBALANCE;
      List<JoinedMember> all = joinedMembers();
      for (Member m : List.copyOf(members.values())) {
        if (m.awaitingJoin()) {
          joinReplies.put(
              m.memberId(),
              new JoinResult(GroupError.NONE, generationId, protocolType, protocolName, leaderId, m.memberId(),
                  m.memberId().equals(leaderId) ? all : List.of()));
        }
        members.put(m.memberId(), m.withFlags(false, false, true).withSession(now));
      }
      syncDeadline = now + maxRebalanceTimeout();
      note("Generation " + generationId + " formed with " + members.size() + " members, protocol " + protocolName + ", leader " + leaderId);
    }

    /**
     * The protocol of the new generation: among those every member supports, the one most members
     * list first (of their supported ones); a tie goes to the first member's preference.
     */
    String selectProtocol() {
      List<Member> ms = new ArrayList<>(members.values());
      Set<String> candidates = new LinkedHashSet<>();
      for (Protocol p : ms.get(0).protocols()) {
        candidates.add(p.name());
      }
      for (Member m : ms.subList(1, ms.size())) {
        Set<String> theirs = new HashSet<>();
        for (Protocol p : m.protocols()) {
          theirs.add(p.name());
        }
        candidates.retainAll(theirs);
      }
      if (candidates.isEmpty()) { // cannot happen while joins are checked; never fail over it
        return ms.get(0).protocols().isEmpty() ? null : ms.get(0).protocols().get(0).name();
      }
      Map<String, Integer> votes = new LinkedHashMap<>();
      for (String c : candidates) {
        votes.put(c, 0);
      }
      for (Member m : ms) {
        for (Protocol p : m.protocols()) {
          if (candidates.contains(p.name())) {
            votes.merge(p.name(), 1, Integer::sum);
            break;
          }
        }
      }
      String best = null;
      int bestVotes = -1;
      for (Map.Entry<String, Integer> v : votes.entrySet()) { // in the first member's order
        if (v.getValue() > bestVotes) {
          best = v.getKey();
          bestVotes = v.getValue();
        }
      }
      return best;
    }

    /** The leader's SyncGroup: every member's assignment is stored and the group is Stable. */
    void settleAssignment(List<Assignment> assignments) {
      Map<String, byte[]> given = new HashMap<>();
      for (Assignment a : assignments == null ? List.<Assignment>of() : assignments) {
        if (a.memberId() != null) {
          given.put(a.memberId(), a.assignment() == null ? EMPTY_BYTES : a.assignment());
        }
      }
      List<String> missing = new ArrayList<>();
      for (Member m : List.copyOf(members.values())) {
        byte[] assignment = given.get(m.memberId());
        if (assignment == null) {
          missing.add(m.memberId());
          assignment = EMPTY_BYTES;
        }
        members.put(m.memberId(), m.withAssignment(assignment));
      }
      if (!missing.isEmpty()) {
        note("The leader's assignment has nothing for members " + missing + " of generation " + generationId + "; they get an empty one");
      }
      state = GroupState.STABLE;
      storeMetadata();
      for (Member m : List.copyOf(members.values())) {
        if (m.awaitingSync()) {
          syncReplies.put(m.memberId(), new SyncResult(GroupError.NONE, protocolType, protocolName, m.assignment()));
          members.put(m.memberId(), m.withFlags(false, false, m.pendingSync()).withSession(now));
        }
      }
      clearSyncDeadlineIfAllSynced();
      note("Assignment received from leader " + leaderId + " for generation " + generationId + "; the group is Stable with " + members.size() + " members");
    }

    void clearSyncDeadlineIfAllSynced() {
      for (Member m : members.values()) {
        if (m.pendingSync()) {
          return;
        }
      }
      syncDeadline = -1;
    }

    void storeMetadata() {
      List<StoredMember> stored = new ArrayList<>(members.size());
      for (Member m : members.values()) {
        stored.add(m.stored());
      }
      events.add(new GroupMetadataStored(generationId, protocolType, protocolName, leaderId, stored, now));
    }
  }
}
