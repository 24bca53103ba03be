package dev.sluice.actors.group;

import dev.sluice.actors.group.GroupCoordinatorState.StoredMember;
import dev.sluice.actors.group.GroupCoordinatorState.StoredProtocol;
import dev.sluice.actors.group.GroupProtocol.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The transient part of a group's state: its current membership and where it is in the rebalance
 * protocol. Not journaled (like Kafka's in-memory group): after a restart it is rebuilt from the
 * last stored metadata by {@link #restore}, as a Stable group whose members' sessions start
 * afresh, or an empty one. Immutable; {@link GroupCoordinatorState}'s handlers return the next one.
 *
 * <p>Deadlines are epoch milliseconds of the coordinator's clock, -1 when not set: the
 * coordinator arms timers for them and calls {@link GroupCoordinatorState#expire} when one passes.
 *
 * @param state where the group is in the protocol (never {@link GroupState#DEAD}: that is derived)
 * @param members members in the order they joined
 * @param pendingMembers member ids handed out with MEMBER_ID_REQUIRED that have not joined yet,
 *     with the time they are forgotten
 * @param joinDeadline PreparingRebalance: when the join phase completes at the latest
 * @param initialDelayLimit during the first rebalance of an empty group: the latest time the
 *     initial delay may be extended to; -1 for any other rebalance
 * @param syncDeadline after a join phase: when members that have not sent SyncGroup are removed
 */
public record LiveGroup(
    GroupState state,
    int generationId,
    String protocolType,
    String protocolName,
    String leaderId,
    Map<String, Member> members,
    Map<String, Long> pendingMembers,
    long joinDeadline,
    long initialDelayLimit,
    long syncDeadline) {

  public LiveGroup {
    members = Collections.unmodifiableMap(new LinkedHashMap<>(members == null ? Map.of() : members));
    pendingMembers = Collections.unmodifiableMap(new LinkedHashMap<>(pendingMembers == null ? Map.of() : pendingMembers));
  }

  /**
   * A member as the coordinator tracks it.
   *
   * @param protocols the protocols it supports, in its order of preference
   * @param assignment its assignment in the current generation (empty until the leader's sync)
   * @param awaitingJoin its JoinGroup is held until the join phase completes
   * @param awaitingSync its SyncGroup is held until the leader's assignment arrives
   * @param pendingSync it got the current generation but has not sent SyncGroup yet
   * @param sessionDeadline when it is removed unless it is heard from (not while awaiting)
   */
  public record Member(
      String memberId,
      String groupInstanceId,
      String clientId,
      String clientHost,
      int sessionTimeoutMs,
      int rebalanceTimeoutMs,
      List<Protocol> protocols,
      byte[] assignment,
      boolean awaitingJoin,
      boolean awaitingSync,
      boolean pendingSync,
      long sessionDeadline) {

    public Member {
      protocols = protocols == null ? List.of() : List.copyOf(protocols);
      assignment = assignment == null ? new byte[0] : assignment;
    }

    /** Its protocol metadata for {@code protocolName}, or null if it does not support it. */
    public byte[] metadataFor(String protocolName) {
      for (Protocol p : protocols) {
        if (p.name().equals(protocolName)) {
          return p.metadata();
        }
      }
      return null;
    }

    /** Whether {@code other} lists the same protocols, in the same order, with the same metadata. */
    public boolean sameProtocols(List<Protocol> other) {
      if (other == null || other.size() != protocols.size()) {
        return false;
      }
      for (int i = 0; i < protocols.size(); i++) {
        Protocol a = protocols.get(i);
        Protocol b = other.get(i);
        if (!a.name().equals(b.name()) || !Arrays.equals(a.metadata(), b.metadata())) {
          return false;
        }
      }
      return true;
    }

    public boolean isStatic() {
      return groupInstanceId != null;
    }

    /** Whether its session timer runs: a held JoinGroup or SyncGroup counts as being alive. */
    public boolean sessionRunning() {
      return !awaitingJoin && !awaitingSync;
    }

    Member withSession(long now) {
      return new Member(memberId, groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, protocols,
          assignment, awaitingJoin, awaitingSync, pendingSync, now + sessionTimeoutMs);
    }

    Member joining(GroupProtocol.JoinGroup join, long now) {
      return new Member(memberId, groupInstanceId, join.clientId(), join.clientHost(), join.sessionTimeoutMs(),
          join.rebalanceTimeoutMs(), join.protocols(), assignment, true, awaitingSync, pendingSync,
          now + join.sessionTimeoutMs());
    }

    Member withId(String newMemberId) {
      return new Member(newMemberId, groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, protocols,
          assignment, false, false, pendingSync, sessionDeadline);
    }

    Member withAssignment(byte[] newAssignment) {
      return new Member(memberId, groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, protocols,
          newAssignment, awaitingJoin, awaitingSync, pendingSync, sessionDeadline);
    }

    Member withFlags(boolean newAwaitingJoin, boolean newAwaitingSync, boolean newPendingSync) {
      return new Member(memberId, groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, protocols,
          assignment, newAwaitingJoin, newAwaitingSync, newPendingSync, sessionDeadline);
    }

    StoredMember stored() {
      List<StoredProtocol> ps = new ArrayList<>(protocols.size());
      for (Protocol p : protocols) {
        ps.add(new StoredProtocol(p.name(), p.metadata()));
      }
      return new StoredMember(memberId, groupInstanceId, clientId, clientHost, sessionTimeoutMs, rebalanceTimeoutMs, ps, assignment);
    }
  }

  /** A group with no members that never stored anything (or was deleted). */
  public static LiveGroup initial() {
    return new LiveGroup(GroupState.EMPTY, 0, null, null, null, Map.of(), Map.of(), -1, -1, -1);
  }

  /**
   * The live group after a (re)start from {@code stored}: Stable at the stored generation with the
   * stored members, whose sessions start at {@code now}; Empty if there are none.
   */
  public static LiveGroup restore(GroupCoordinatorState stored, long now) {
    if (!stored.exists()) {
      return initial();
    }
    Map<String, Member> members = new LinkedHashMap<>();
    for (StoredMember m : stored.members()) {
      List<Protocol> ps = new ArrayList<>();
      for (StoredProtocol p : m.protocols()) {
        ps.add(new Protocol(p.name(), p.metadata()));
      }
      members.put(
          m.memberId(),
          new Member(m.memberId(), m.groupInstanceId(), m.clientId(), m.clientHost(), m.sessionTimeoutMs(),
              m.rebalanceTimeoutMs(), ps, m.assignment(), false, false, false, now + m.sessionTimeoutMs()));
    }
    GroupState state = members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE;
    String leader = members.isEmpty() ? null : stored.leaderId();
    String protocolName = members.isEmpty() ? null : stored.protocolName();
    return new LiveGroup(state, stored.generationId(), stored.protocolType(), protocolName, leader, members, Map.of(), -1, -1, -1);
  }
}
