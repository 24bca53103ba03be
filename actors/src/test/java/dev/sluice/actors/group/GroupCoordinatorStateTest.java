package dev.sluice.actors.group;

import static dev.sluice.actors.group.GroupHarness.REBALANCE_MS;
import static dev.sluice.actors.group.GroupHarness.SESSION_MS;
import static dev.sluice.actors.group.GroupHarness.bytes;
import static dev.sluice.actors.group.GroupHarness.joinCmd;
import static dev.sluice.actors.group.GroupHarness.offset;
import static dev.sluice.actors.group.GroupHarness.protocols;
import static dev.sluice.actors.group.GroupHarness.range;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.group.GroupCoordinatorState.Decision;
import dev.sluice.actors.group.GroupEvent.GroupDeleted;
import dev.sluice.actors.group.GroupEvent.GroupMetadataStored;
import dev.sluice.actors.group.GroupEvent.OffsetsCommitted;
import dev.sluice.actors.group.GroupEvent.OffsetsExpired;
import dev.sluice.actors.group.GroupProtocol.Assignment;
import dev.sluice.actors.group.GroupProtocol.CommitResult;
import dev.sluice.actors.group.GroupProtocol.GroupDescription;
import dev.sluice.actors.group.GroupProtocol.JoinResult;
import dev.sluice.actors.group.GroupProtocol.LeaveResult;
import dev.sluice.actors.group.GroupProtocol.LeavingMember;
import dev.sluice.actors.group.GroupProtocol.MemberResult;
import dev.sluice.actors.group.GroupProtocol.OffsetsResult;
import dev.sluice.actors.group.GroupProtocol.PartitionOffset;
import dev.sluice.actors.group.GroupProtocol.PartitionResult;
import dev.sluice.actors.group.GroupProtocol.Protocol;
import dev.sluice.actors.group.GroupProtocol.SyncResult;
import dev.sluice.actors.group.GroupProtocol.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Kafka's classic group rules, on {@link GroupCoordinatorState} alone (no actors). */
class GroupCoordinatorStateTest {

  private static <T> List<T> listOf(Decision<?> d, Class<T> type) {
    List<T> out = new ArrayList<>();
    for (GroupEvent e : d.events()) {
      if (type.isInstance(e)) {
        out.add(type.cast(e));
      }
    }
    return out;
  }

  @Nested
  class JoinGroup {
    @ParameterizedTest(name = "session timeout {0} ms -> {1}")
    @CsvSource({"5999, INVALID_SESSION_TIMEOUT", "6000, NONE", "1800000, NONE", "1800001, INVALID_SESSION_TIMEOUT"})
    void sessionTimeoutMustBeWithinTheSettings(int sessionMs, GroupError expected) {
      GroupHarness g = new GroupHarness();
      Decision<JoinResult> d = g.join(joinCmd("", null, "c", sessionMs, REBALANCE_MS, false, range("t")));
      if (expected == GroupError.NONE) {
        assertNull(d.reply(), "an accepted join is held");
        assertEquals(GroupError.NONE, d.joinReplies().get(d.heldAs()).error(), "and answered at once (first member, no initial delay)");
      } else {
        assertEquals(expected, d.reply().error());
        assertEquals(GroupState.DEAD, g.groupState(), "a rejected join leaves no group behind");
      }
    }

    @Test
    void memberIdRequiredRoundTrip() {
      GroupHarness g = new GroupHarness();
      Decision<JoinResult> first = g.join(joinCmd("", null, "client", SESSION_MS, REBALANCE_MS, true, range("t")));
      assertEquals(GroupError.MEMBER_ID_REQUIRED, first.reply().error());
      String id = first.reply().memberId();
      assertTrue(id.startsWith("client-"), "the member id is the client id and a unique suffix: " + id);
      assertTrue(g.live.pendingMembers().containsKey(id), "the handed-out id is remembered as pending");
      assertTrue(g.live.members().isEmpty());
      assertTrue(first.events().isEmpty());

      Decision<JoinResult> second = g.join(joinCmd(id, null, "client", SESSION_MS, REBALANCE_MS, true, range("t")));
      assertEquals(id, second.heldAs());
      JoinResult r = second.joinReplies().get(id);
      assertEquals(GroupError.NONE, r.error());
      assertEquals(1, r.generationId());
      assertEquals(id, r.leaderId());
      assertEquals(id, r.memberId());
      assertEquals("consumer", r.protocolType());
      assertEquals("range", r.protocolName());
      assertEquals(1, r.members().size(), "the leader sees every member");
      assertTrue(g.live.pendingMembers().isEmpty());
      assertEquals(GroupState.COMPLETING_REBALANCE, g.groupState());
    }

    @Test
    void unknownMemberIdIsRejected() {
      GroupHarness g = new GroupHarness();
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.join("nobody").reply().error(), "on a group that does not exist");
      g.stableGroup(1);
      LiveGroup before = g.live;
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.join("nobody").reply().error(), "on a group with members");
      assertEquals(before, g.live);
    }

    @Test
    void threeMembersJoiningDuringTheInitialDelayFormOneGenerationWithOneLeader() {
      GroupHarness g = new GroupHarness(GroupHarness.settings(Duration.ofSeconds(3)));
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Decision<JoinResult> d = g.join("");
        assertNull(d.reply());
        assertTrue(d.joinReplies().isEmpty(), "the first rebalance waits for its initial delay");
        ids.add(d.heldAs());
        g.advance(1_000);
      }
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
      g.advance(1_999);
      assertTrue(g.expire().joinReplies().isEmpty(), "each newcomer extended the delay (3 s after the last join)");
      g.advance(1);
      Decision<Void> d = g.expire();
      assertEquals(3, d.joinReplies().size());
      JoinResult leader = d.joinReplies().get(ids.get(0));
      assertEquals(ids.get(0), leader.leaderId(), "the first member leads");
      assertEquals(ids, leader.members().stream().map(GroupProtocol.JoinedMember::memberId).toList());
      for (String id : ids.subList(1, 3)) {
        JoinResult follower = d.joinReplies().get(id);
        assertEquals(GroupError.NONE, follower.error());
        assertEquals(ids.get(0), follower.leaderId());
        assertTrue(follower.members().isEmpty(), "followers get no member list");
        assertEquals(1, follower.generationId());
      }
      assertEquals(GroupState.COMPLETING_REBALANCE, g.groupState());
      assertTrue(d.events().isEmpty(), "nothing is stored before the leader's assignment");
    }

    @Test
    void theInitialDelayIsBoundedByTheRebalanceTimeout() {
      GroupHarness g = new GroupHarness(GroupHarness.settings(Duration.ofSeconds(4)));
      g.join(joinCmd("", null, "c", SESSION_MS, 6_000, false, range("t")));
      for (int i = 0; i < 3; i++) {
        g.advance(2_000);
        g.join(joinCmd("", null, "c", SESSION_MS, 6_000, false, range("t")));
      }
      assertEquals(g.live.initialDelayLimit(), g.live.joinDeadline(), "extensions stop at start + rebalance timeout");
      g.now = g.live.joinDeadline();
      assertEquals(4, g.expire().joinReplies().size());
    }

    @Test
    void existingMembersMustRejoinForANewMember() {
      GroupHarness g = new GroupHarness();
      String a = g.join("").heldAs();
      assertEquals(1, g.live.generationId(), "alone, the first member forms generation 1 at once");
      String b = g.join("").heldAs();
      String c = g.join("").heldAs();
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
      Decision<JoinResult> d = g.join(a);
      assertEquals(3, d.joinReplies().size(), "the last member to rejoin completes the join phase");
      assertEquals(a, d.joinReplies().get(b).leaderId(), "the previous leader leads again");
      assertEquals(3, d.joinReplies().get(a).members().size());
      assertEquals(2, d.joinReplies().get(c).generationId());
    }

    @Test
    void aMemberThatDoesNotRejoinWithinTheRebalanceTimeoutIsRemoved() {
      GroupHarness g = new GroupHarness();
      List<String> ab = g.stableGroup(2);
      int generation = g.live.generationId();
      String c = g.join("").heldAs();
      g.advance(5_000);
      g.join(ab.get(0));
      g.heartbeat(ab.get(1), generation); // still alive, but it does not rejoin
      g.advance(REBALANCE_MS - 5_000 - 1);
      assertTrue(g.expire().joinReplies().isEmpty(), "not before the rebalance timeout");
      g.advance(1);
      Decision<Void> d = g.expire();
      assertEquals(2, d.joinReplies().size());
      assertFalse(g.live.members().containsKey(ab.get(1)), "the member that did not rejoin is gone");
      assertEquals(List.of(ab.get(0), c), List.copyOf(g.live.members().keySet()));
      assertEquals(generation + 1, g.live.generationId());
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.heartbeat(ab.get(1), generation).error());
    }

    @Test
    void aRejoinWithTheSameProtocolsInStableGetsTheCurrentGenerationWithoutRebalance() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(2);
      String follower = ids.get(1);
      Decision<JoinResult> d = g.join(follower);
      assertEquals(GroupError.NONE, d.reply().error());
      assertEquals(g.live.generationId(), d.reply().generationId());
      assertTrue(d.reply().members().isEmpty());
      assertEquals(GroupState.STABLE, g.groupState());

      assertNull(g.join(follower, range("t", "u")).reply(), "changed protocols (subscription) rebalance");
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
    }

    @Test
    void theLeaderRejoiningInStableStartsARebalance() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(2);
      assertNull(g.join(ids.get(0)).reply());
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
    }

    @Test
    void aRejoinInCompletingRebalanceWithTheSameProtocolsGetsTheCurrentGenerationAgain() {
      GroupHarness g = new GroupHarness();
      String a = g.join("").heldAs();
      JoinResult again = g.join(a).reply();
      assertEquals(GroupError.NONE, again.error());
      assertEquals(1, again.generationId());
      assertEquals(1, again.members().size(), "the leader again gets the member list");
      assertEquals(GroupState.COMPLETING_REBALANCE, g.groupState());
    }

    @Test
    void anUnknownProtocolIsRejectedWithTheStateUnchanged() {
      GroupHarness g = new GroupHarness();
      g.stableGroup(2);
      GroupCoordinatorState stored = g.state;
      LiveGroup before = g.live;
      Decision<JoinResult> d = g.join("", protocols("roundrobin"));
      assertEquals(GroupError.INCONSISTENT_GROUP_PROTOCOL, d.reply().error());
      assertTrue(d.events().isEmpty());
      assertEquals(before, g.live);
      assertEquals(stored, g.state);

      Decision<JoinResult> otherType =
          g.join(new GroupProtocol.JoinGroup("", null, "c", "h", SESSION_MS, REBALANCE_MS, "connect", range("t"), false, null));
      assertEquals(GroupError.INCONSISTENT_GROUP_PROTOCOL, otherType.reply().error(), "another protocol type");
      assertEquals(before, g.live);
      assertEquals(GroupError.INCONSISTENT_GROUP_PROTOCOL, g.join("", List.of()).reply().error(), "no protocol at all");
    }

    @Test
    void theProtocolWithMostFirstChoicesAmongCommonOnesIsChosen() {
      GroupHarness g = new GroupHarness(GroupHarness.settings(Duration.ofSeconds(1)));
      g.join("", protocols("roundrobin", "range", "sticky"));
      g.join("", protocols("range", "roundrobin"));
      g.join("", protocols("sticky", "range", "roundrobin"));
      g.advance(1_000);
      Decision<Void> d = g.expire();
      // sticky is not common; the third member's vote falls to range
      assertEquals("range", d.joinReplies().values().iterator().next().protocolName());
    }

    @Test
    void aTieGoesToTheFirstMembersPreference() {
      GroupHarness g = new GroupHarness(GroupHarness.settings(Duration.ofSeconds(1)));
      g.join("", protocols("roundrobin", "range"));
      g.join("", protocols("range", "roundrobin"));
      g.advance(1_000);
      assertEquals("roundrobin", g.expire().joinReplies().values().iterator().next().protocolName());
    }

    @Test
    void aNewMemberMustShareAProtocolWithEveryMember() {
      GroupHarness g = new GroupHarness(GroupHarness.settings(Duration.ofSeconds(1)));
      g.join("", protocols("a", "b"));
      g.join("", protocols("b", "c"));
      assertEquals(GroupError.INCONSISTENT_GROUP_PROTOCOL, g.join("", protocols("a", "c")).reply().error());
      assertNull(g.join("", protocols("c", "b")).reply());
    }
  }

  @Nested
  class StaticMembership {
    @Test
    void aStaticMemberRejoiningInStableKeepsTheGenerationAndItsAssignment() {
      GroupHarness g = new GroupHarness();
      String dynamic = g.join("").heldAs();
      String old = g.joinStatic("", "instance-1", range("t")).heldAs();
      g.join(dynamic);
      int generation = g.live.generationId();
      g.sync(dynamic, generation, List.of(new Assignment(dynamic, bytes("A")), new Assignment(old, bytes("B"))));
      g.sync(old, generation);
      assertEquals(GroupState.STABLE, g.groupState());
      assertEquals(dynamic, g.live.leaderId());

      Decision<JoinResult> d = g.joinStatic("", "instance-1", range("t"));
      JoinResult r = d.reply();
      assertNotNull(r, "answered without a rebalance");
      String replacement = r.memberId();
      assertNotEquals(old, replacement, "the static member gets a new member id");
      assertEquals(generation, r.generationId());
      assertEquals(GroupState.STABLE, g.groupState());
      GroupMetadataStored stored = listOf(d, GroupMetadataStored.class).get(0);
      assertTrue(stored.members().stream().anyMatch(m -> m.memberId().equals(replacement)), "the new id is stored");
      assertTrue(stored.members().stream().noneMatch(m -> m.memberId().equals(old)));

      SyncResult assignment = g.sync(replacement, generation).reply();
      assertArrayEquals(bytes("B"), assignment.assignment(), "it keeps its assignment");
      assertEquals(GroupError.FENCED_INSTANCE_ID, g.heartbeat(old, "instance-1", generation).error(), "the old id is fenced");
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.heartbeat(old, generation).error());
      assertEquals(GroupError.NONE, g.heartbeat(replacement, "instance-1", generation).error());
    }

    @Test
    void aStaticLeaderRejoiningStartsARebalance() {
      GroupHarness g = new GroupHarness();
      String old = g.joinStatic("", "leader", range("t")).heldAs();
      g.sync(old, 1, List.of(new Assignment(old, bytes("A"))));
      Decision<JoinResult> d = g.joinStatic("", "leader", range("t"));
      assertEquals(GroupState.COMPLETING_REBALANCE, g.groupState(), "a one-member rebalance completes at once");
      assertEquals(2, d.joinReplies().get(d.heldAs()).generationId());
      assertEquals(d.heldAs(), g.live.leaderId());
    }

    @Test
    void aStaticMemberThatDoesNotRejoinIsKeptThroughTheRebalance() {
      GroupHarness g = new GroupHarness();
      String s = g.joinStatic("", "s", range("t")).heldAs();
      String d = g.join("").heldAs();
      g.joinStatic(s, "s", range("t"));
      g.sync(s, g.live.generationId(), List.of());
      g.sync(d, g.live.generationId());
      g.join(d, range("t", "u")); // rebalance; the static member stays silent
      g.advance(REBALANCE_MS);
      Decision<Void> done = g.expire();
      assertTrue(g.live.members().containsKey(s), "static members are left to their session timeout");
      assertEquals(d, done.joinReplies().get(d).leaderId(), "a member that rejoined leads");
    }
  }

  @Nested
  class SyncGroup {
    @Test
    void followersWaitForTheLeadersAssignment() {
      GroupHarness g = new GroupHarness(GroupHarness.settings(Duration.ofSeconds(1)));
      String a = g.join("").heldAs();
      String b = g.join("").heldAs();
      String c = g.join("").heldAs();
      g.advance(1_000);
      g.expire();
      Decision<SyncResult> follower = g.sync(b, 1);
      assertNull(follower.reply());
      assertEquals(b, follower.heldAs());
      assertTrue(follower.syncReplies().isEmpty());

      Decision<SyncResult> leader = g.sync(a, 1, List.of(new Assignment(a, bytes("A")), new Assignment(b, bytes("B"))));
      assertEquals(GroupState.STABLE, g.groupState());
      assertArrayEquals(bytes("A"), leader.syncReplies().get(a).assignment());
      assertArrayEquals(bytes("B"), leader.syncReplies().get(b).assignment());
      assertEquals("range", leader.syncReplies().get(b).protocolName());
      assertFalse(leader.syncReplies().containsKey(c), "c has not sent SyncGroup yet");
      GroupMetadataStored stored = listOf(leader, GroupMetadataStored.class).get(0);
      assertEquals(1, stored.generationId());
      assertEquals("consumer", stored.protocolType());
      assertEquals("range", stored.protocolName());
      assertEquals(a, stored.leaderId());
      assertEquals(3, stored.members().size());
      assertEquals(0, stored.members().get(2).assignment().length, "a member without an assignment gets an empty one");

      SyncResult late = g.sync(c, 1).reply();
      assertEquals(GroupError.NONE, late.error());
      assertEquals(0, late.assignment().length);
    }

    @Test
    void aStaleGenerationIsIllegal() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(2);
      int generation = g.live.generationId();
      assertEquals(GroupError.ILLEGAL_GENERATION, g.sync(ids.get(1), generation - 1).reply().error());
      assertEquals(GroupError.ILLEGAL_GENERATION, g.sync(ids.get(1), generation + 1).reply().error());
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.sync("stranger", generation).reply().error());
      g.join(ids.get(0)); // the leader rejoins: rebalance
      assertEquals(GroupError.REBALANCE_IN_PROGRESS, g.sync(ids.get(1), generation).reply().error());
    }

    @Test
    void heldSyncsAreToldToRejoinWhenARebalanceStarts() {
      GroupHarness g = new GroupHarness(GroupHarness.settings(Duration.ofSeconds(1)));
      String a = g.join("").heldAs();
      String b = g.join("").heldAs();
      g.advance(1_000);
      g.expire();
      g.sync(b, 1);
      Decision<JoinResult> newcomer = g.join("");
      assertEquals(GroupError.REBALANCE_IN_PROGRESS, newcomer.syncReplies().get(b).error());
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
      assertNotNull(a);
    }

    @Test
    void membersThatDoNotSyncWithinTheRebalanceTimeoutAreRemoved() {
      GroupHarness g = new GroupHarness(GroupHarness.settings(Duration.ofSeconds(1)));
      String a = g.join("").heldAs();
      String b = g.join("").heldAs();
      g.advance(1_000);
      g.expire();
      g.sync(a, 1, List.of());
      g.heartbeat(b, 1);
      g.advance(REBALANCE_MS);
      g.expire();
      assertFalse(g.live.members().containsKey(b));
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
    }
  }

  @Nested
  class Heartbeat {
    @Test
    void heartbeatRules() {
      GroupHarness g = new GroupHarness();
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.heartbeat("x", 0).error(), "no group");
      String a = g.join("").heldAs();
      assertEquals(GroupError.NONE, g.heartbeat(a, 1).error(), "CompletingRebalance");
      assertEquals(GroupError.ILLEGAL_GENERATION, g.heartbeat(a, 0).error());
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.heartbeat("x", 1).error());
      g.sync(a, 1, List.of());
      assertEquals(GroupError.NONE, g.heartbeat(a, 1).error(), "Stable");
      g.join("");
      assertEquals(GroupError.REBALANCE_IN_PROGRESS, g.heartbeat(a, 1).error(), "PreparingRebalance");
    }
  }

  @Nested
  class Sessions {
    @Test
    void aMemberWhoseSessionTimesOutIsRemovedAndTheOthersRebalance() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(2);
      int generation = g.live.generationId();
      g.advance(SESSION_MS - 1);
      g.heartbeat(ids.get(0), generation);
      assertTrue(g.expire().notes().isEmpty(), "not a millisecond early");
      assertEquals(2, g.live.members().size());
      g.advance(1);
      Decision<Void> d = g.expire();
      assertEquals(List.of(ids.get(0)), List.copyOf(g.live.members().keySet()));
      assertTrue(d.notes().stream().anyMatch(n -> n.contains(ids.get(1)) && n.contains("session timeout")), "logged: " + d.notes());
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
      Decision<JoinResult> rejoin = g.join(ids.get(0));
      assertEquals(generation + 1, rejoin.joinReplies().get(ids.get(0)).generationId());
    }

    @Test
    void theLastMemberTimingOutEmptiesTheGroupAndThatIsStored() {
      GroupHarness g = new GroupHarness();
      g.stableGroup(1);
      int generation = g.live.generationId();
      g.advance(SESSION_MS);
      Decision<Void> d = g.expire();
      assertEquals(GroupState.EMPTY, g.groupState());
      GroupMetadataStored stored = listOf(d, GroupMetadataStored.class).get(0);
      assertTrue(stored.members().isEmpty());
      assertEquals(generation + 1, stored.generationId());
      assertEquals(g.now, g.state.stateTimestamp(), "the time the group became empty");
    }

    @Test
    void membersAwaitingAJoinResponseDoNotTimeOut() {
      GroupHarness g = new GroupHarness();
      String a = g.join(joinCmd("", null, "c", 6_000, 60_000, false, range("t"))).heldAs();
      g.sync(a, 1, List.of());
      String b = g.join(joinCmd("", null, "c", 6_000, 60_000, false, range("t"))).heldAs();
      for (int i = 0; i < 11; i++) { // a keeps heartbeating but does not rejoin; b waits for its JoinGroup response
        g.advance(5_000);
        assertEquals(GroupError.REBALANCE_IN_PROGRESS, g.heartbeat(a, 1).error());
        g.expire();
        assertTrue(g.live.members().containsKey(b), "a held JoinGroup keeps its member alive, at " + (i + 1) * 5 + " s");
      }
      g.advance(5_000);
      Decision<Void> d = g.expire();
      assertEquals(GroupError.NONE, d.joinReplies().get(b).error(), "the rebalance timeout (60 s) ends the join phase");
      assertEquals(List.of(b), List.copyOf(g.live.members().keySet()));
    }

    @Test
    void aPendingMemberIdIsForgottenAfterItsSessionTimeoutAndNoLongerHoldsTheJoinPhase() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(1);
      String pending = g.join(joinCmd("", null, "slow", 6_000, REBALANCE_MS, true, range("t"))).reply().memberId();
      g.join(ids.get(0)); // the leader rejoins: a rebalance that waits for the pending member too
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
      g.advance(6_000);
      Decision<Void> d = g.expire();
      assertFalse(g.live.pendingMembers().containsKey(pending));
      assertEquals(1, d.joinReplies().size(), "the join phase completed without it");
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.join(joinCmd(pending, null, "slow", 6_000, REBALANCE_MS, true, range("t"))).reply().error());
    }
  }

  @Nested
  class LeaveGroup {
    @Test
    void aBatchGetsAResultPerMemberAndTheRestRebalance() {
      GroupHarness g = new GroupHarness();
      String s = g.joinStatic("", "static-1", range("t")).heldAs();
      String a = g.join("").heldAs();
      String b = g.join("").heldAs();
      g.joinStatic(s, "static-1", range("t"));
      g.sync(s, g.live.generationId(), List.of());
      Decision<LeaveResult> d =
          g.leave(new LeavingMember(a, null), new LeavingMember("ghost", null), new LeavingMember("", "static-1"), new LeavingMember("wrong", "nope"));
      List<MemberResult> results = d.reply().members();
      assertEquals(GroupError.NONE, results.get(0).error());
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, results.get(1).error());
      assertEquals(GroupError.NONE, results.get(2).error(), "a static member leaves by instance id");
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, results.get(3).error());
      assertEquals(List.of(b), List.copyOf(g.live.members().keySet()));
      assertEquals(GroupState.PREPARING_REBALANCE, g.groupState());
    }

    @Test
    void aStaticMemberLeavingWithAnotherMemberIdIsFenced() {
      GroupHarness g = new GroupHarness();
      String s = g.joinStatic("", "i", range("t")).heldAs();
      assertEquals(GroupError.FENCED_INSTANCE_ID, g.leave(new LeavingMember("old-id", "i")).reply().members().get(0).error());
      assertTrue(g.live.members().containsKey(s));
    }

    @Test
    void leavingCompletesAJoinPhaseWaitingOnlyForTheLeaver() {
      GroupHarness g = new GroupHarness();
      List<String> ab = g.stableGroup(2);
      String c = g.join("").heldAs();
      g.join(ab.get(0));
      Decision<LeaveResult> d = g.leave(new LeavingMember(ab.get(1), null));
      assertEquals(2, d.joinReplies().size());
      assertEquals(GroupError.NONE, d.joinReplies().get(c).error());
      assertEquals(GroupState.COMPLETING_REBALANCE, g.groupState());
    }

    @Test
    void whenEveryoneLeavesTheGroupIsEmpty() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(2);
      g.leave(new LeavingMember(ids.get(0), null), new LeavingMember(ids.get(1), null));
      assertEquals(GroupState.EMPTY, g.groupState());
      assertTrue(g.state.members().isEmpty(), "the empty group is stored");
    }

    @Test
    void aMemberLeavingWhileItsJoinIsHeldIsAnsweredUnknown() {
      GroupHarness g = new GroupHarness();
      List<String> ab = g.stableGroup(2);
      g.join(ab.get(0));
      Decision<LeaveResult> d = g.leave(new LeavingMember(ab.get(0), null));
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, d.joinReplies().get(ab.get(0)).error());
    }
  }

  @Nested
  class CommitOffsets {
    @Test
    void aCommitFromANonMemberIsRejectedWithTheStateUnchanged() {
      GroupHarness g = new GroupHarness();
      g.stableGroup(2);
      GroupCoordinatorState stored = g.state;
      LiveGroup before = g.live;
      Decision<CommitResult> d = g.commit("stranger", g.live.generationId(), offset("t", 0, 5));
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, d.reply().error());
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, d.reply().partitions().get(0).error());
      assertTrue(d.events().isEmpty());
      assertEquals(stored, g.state);
      assertEquals(before, g.live);
    }

    @Test
    void commitValidationFollowsKafka() {
      GroupHarness g = new GroupHarness();
      assertEquals(GroupError.ILLEGAL_GENERATION, g.commit("m", 1, offset("t", 0, 1)).reply().error(), "a generation of a group that does not exist");
      List<String> ids = g.stableGroup(2);
      int generation = g.live.generationId();
      String member = ids.get(1);
      assertEquals(GroupError.UNKNOWN_MEMBER_ID, g.commit("", -1, offset("t", 0, 1)).reply().error(), "outside the group while it has members");
      assertEquals(GroupError.ILLEGAL_GENERATION, g.commit(member, -1, offset("t", 0, 1)).reply().error(), "a member without its generation");
      assertEquals(GroupError.ILLEGAL_GENERATION, g.commit(member, generation - 1, offset("t", 0, 1)).reply().error());
      assertEquals(GroupError.NONE, g.commit(member, generation, offset("t", 0, 1)).reply().error(), "Stable");
      g.join(ids.get(0));
      assertEquals(GroupError.NONE, g.commit(member, generation, offset("t", 0, 2)).reply().error(), "PreparingRebalance: commit before rejoining");
      g.join(member);
      assertEquals(GroupState.COMPLETING_REBALANCE, g.groupState());
      assertEquals(GroupError.REBALANCE_IN_PROGRESS, g.commit(member, g.live.generationId(), offset("t", 0, 3)).reply().error());
      assertEquals(2, g.state.committed("t", 0).offset());
    }

    @Test
    void offsetsAreCommittedAsOneEventWithPerPartitionResults() {
      GroupHarness g = new GroupHarness();
      String tooLong = "x".repeat(4097);
      Decision<CommitResult> d =
          g.commit("", -1, offset("t", 0, 10), new PartitionOffset("t", 1, 11, -1, tooLong), new PartitionOffset("u", 0, 12, 7, "x".repeat(4096)));
      List<PartitionResult> results = d.reply().partitions();
      assertEquals(GroupError.NONE, d.reply().error());
      assertEquals(GroupError.NONE, results.get(0).error());
      assertEquals(GroupError.OFFSET_METADATA_TOO_LARGE, results.get(1).error());
      assertEquals(GroupError.NONE, results.get(2).error(), "exactly the limit is fine");
      assertEquals(1, d.events().size());
      assertEquals(2, ((OffsetsCommitted) d.events().get(0)).offsets().size());
      assertTrue(g.state.exists(), "a standalone commit creates the group");
      assertEquals(GroupState.EMPTY, g.groupState());
      assertNull(g.state.committed("t", 1));
      assertEquals(7, g.state.committed("u", 0).leaderEpoch());

      Decision<CommitResult> none = g.commit("", -1, new PartitionOffset("t", 1, 11, -1, tooLong));
      assertTrue(none.events().isEmpty(), "nothing accepted, nothing stored");
    }

    @Test
    void fetchReturnsCommittedOffsetsOrMinusOne() {
      GroupHarness g = new GroupHarness();
      assertEquals(List.of(new PartitionOffset("t", 0, -1, -1, "")), g.state.fetchOffsets(List.of(new TopicPartition("t", 0))).offsets(), "unknown group");
      g.commit("", -1, offset("b", 1, 7), offset("a", 2, 5), offset("a", 0, 3));
      OffsetsResult some = g.state.fetchOffsets(List.of(new TopicPartition("a", 2), new TopicPartition("z", 0)));
      assertEquals(GroupError.NONE, some.error());
      assertEquals(List.of(new PartitionOffset("a", 2, 5, 3, "m"), new PartitionOffset("z", 0, -1, -1, "")), some.offsets());
      List<PartitionOffset> all = g.state.fetchOffsets(null).offsets();
      assertEquals(List.of("a-0", "a-2", "b-1"), all.stream().map(o -> o.topic() + "-" + o.partition()).toList());
      g.commit("", -1, offset("a", 0, 4));
      assertEquals(4, g.state.committed("a", 0).offset(), "a later commit replaces the offset");
    }
  }

  @Nested
  class DescribeAndDelete {
    @Test
    void describeShowsKafkasView() {
      GroupHarness g = new GroupHarness();
      GroupDescription dead = g.state.describe(g.live, "g");
      assertEquals("Dead", dead.state());
      assertEquals(GroupError.NONE, dead.error());
      assertTrue(dead.members().isEmpty());
      List<String> ids = g.stableGroup(2);
      GroupDescription stable = g.state.describe(g.live, "g");
      assertEquals("Stable", stable.state());
      assertEquals("consumer", stable.protocolType());
      assertEquals("range", stable.protocolName());
      assertEquals(ids, stable.members().stream().map(GroupProtocol.MemberDescription::memberId).toList());
      assertArrayEquals(bytes("assignment-of-" + ids.get(1)), stable.members().get(1).assignment());
      assertArrayEquals(GroupHarness.subscription("t"), stable.members().get(1).metadata());
      assertEquals("c", stable.members().get(0).clientId());
      g.join(ids.get(0));
      GroupDescription rebalancing = g.state.describe(g.live, "g");
      assertEquals("PreparingRebalance", rebalancing.state());
      assertEquals("", rebalancing.protocolName());
      assertEquals(0, rebalancing.members().get(1).metadata().length);
    }

    @Test
    void deleteGroupRules() {
      GroupHarness g = new GroupHarness();
      assertEquals(GroupError.GROUP_ID_NOT_FOUND, g.deleteGroup().reply().error());
      List<String> ids = g.stableGroup(1);
      g.commit(ids.get(0), g.live.generationId(), offset("t", 0, 9));
      assertEquals(GroupError.NON_EMPTY_GROUP, g.deleteGroup().reply().error());
      g.leave(new LeavingMember(ids.get(0), null));
      Decision<GroupProtocol.GroupAck> d = g.deleteGroup();
      assertEquals(GroupError.NONE, d.reply().error());
      assertInstanceOf(GroupDeleted.class, d.events().get(0));
      assertEquals(GroupState.DEAD, g.groupState());
      assertEquals(-1, g.state.fetchOffsets(List.of(new TopicPartition("t", 0))).offsets().get(0).offset(), "its offsets are gone");
      assertEquals(GroupCoordinatorState.empty(), g.state);
      assertEquals(GroupError.GROUP_ID_NOT_FOUND, g.deleteGroup().reply().error());
    }

    @Test
    void deleteOffsetsSparesSubscribedTopics() {
      GroupHarness g = new GroupHarness();
      assertEquals(GroupError.GROUP_ID_NOT_FOUND, g.deleteOffsets(new TopicPartition("t", 0)).reply().error());
      List<String> ids = g.stableGroup(1); // subscribed to "t"
      g.commit(ids.get(0), g.live.generationId(), offset("t", 0, 1), offset("old", 0, 2));
      Decision<CommitResult> d = g.deleteOffsets(new TopicPartition("t", 0), new TopicPartition("old", 0), new TopicPartition("never", 3));
      assertEquals(GroupError.NONE, d.reply().error());
      assertEquals(
          List.of(GroupError.GROUP_SUBSCRIBED_TO_TOPIC, GroupError.NONE, GroupError.NONE),
          d.reply().partitions().stream().map(PartitionResult::error).toList());
      assertNull(g.state.committed("old", 0));
      assertNotNull(g.state.committed("t", 0));
      g.leave(new LeavingMember(ids.get(0), null));
      g.deleteOffsets(new TopicPartition("t", 0));
      assertNull(g.state.committed("t", 0), "an empty group subscribes to nothing");
    }

    @Test
    void undecodableSubscriptionsCountAsSubscribedToNothing() {
      GroupHarness g = new GroupHarness();
      String m = g.join("", List.of(new Protocol("range", new byte[] {1, 2, 3}))).heldAs();
      g.sync(m, 1, List.of());
      g.commit(m, 1, offset("t", 0, 1));
      assertEquals(GroupError.NONE, g.deleteOffsets(new TopicPartition("t", 0)).reply().partitions().get(0).error());
      assertNull(g.state.committed("t", 0));
    }

    @Test
    void aNonConsumerGroupWithMembersCannotDeleteOffsets() {
      GroupHarness g = new GroupHarness();
      g.join(new GroupProtocol.JoinGroup("", null, "c", "h", SESSION_MS, REBALANCE_MS, "connect", protocols("v1"), false, null));
      assertEquals(GroupError.NON_EMPTY_GROUP, g.deleteOffsets(new TopicPartition("t", 0)).reply().error());
    }
  }

  @Nested
  class OffsetRetention {
    static final long RETENTION = Duration.ofDays(7).toMillis();

    @Test
    void offsetsExpireOnlyWhileTheGroupIsEmptyAndAfterTheRetention() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(1);
      g.commit(ids.get(0), g.live.generationId(), offset("t", 0, 1));
      g.advance(RETENTION * 2);
      g.heartbeat(ids.get(0), g.live.generationId());
      assertTrue(g.expireOffsets().events().isEmpty(), "nothing expires while the group has members");
      g.leave(new LeavingMember(ids.get(0), null));
      long emptySince = g.now;
      assertEquals(emptySince, g.state.stateTimestamp());
      g.advance(RETENTION - 1);
      assertTrue(g.expireOffsets().events().isEmpty(), "retention counts from when the group became empty");
      g.advance(1);
      Decision<Void> d = g.expireOffsets();
      assertEquals(List.of(new GroupCoordinatorState.PartitionKey("t", 0)), listOf(d, OffsetsExpired.class).get(0).partitions());
      assertInstanceOf(GroupDeleted.class, d.events().get(1), "an empty group without offsets is deleted");
      assertEquals(GroupState.DEAD, g.groupState());
    }

    @Test
    void aGroupThatNeverHadMembersExpiresEachOffsetFromItsCommit() {
      GroupHarness g = new GroupHarness();
      g.commit("", -1, offset("t", 0, 1));
      g.advance(1_000);
      g.commit("", -1, offset("t", 1, 1));
      g.advance(RETENTION - 1_000);
      Decision<Void> d = g.expireOffsets();
      assertEquals(1, d.events().size());
      assertNull(g.state.committed("t", 0));
      assertNotNull(g.state.committed("t", 1));
      assertEquals(GroupState.EMPTY, g.groupState());
      g.advance(1_000);
      g.expireOffsets();
      assertEquals(GroupState.DEAD, g.groupState());
    }

    @Test
    void aRejoiningMemberStopsTheExpiry() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(1);
      g.commit(ids.get(0), g.live.generationId(), offset("t", 0, 1));
      g.leave(new LeavingMember(ids.get(0), null));
      g.advance(RETENTION);
      g.join("");
      assertTrue(g.expireOffsets().events().isEmpty());
      assertNotNull(g.state.committed("t", 0));
    }
  }

  @Nested
  class Recovery {
    @Test
    void theLiveGroupIsRestoredStableFromTheStoredGeneration() {
      GroupHarness g = new GroupHarness();
      List<String> ids = g.stableGroup(3);
      g.join(ids.get(1), range("t", "u")); // a rebalance in progress is not stored
      LiveGroup restored = LiveGroup.restore(g.state, g.now + 5);
      assertEquals(GroupState.STABLE, restored.state());
      assertEquals(3, restored.generationId());
      assertEquals(ids, List.copyOf(restored.members().keySet()));
      assertEquals(ids.get(0), restored.leaderId());
      assertEquals("range", restored.protocolName());
      assertEquals(g.now + 5 + SESSION_MS, restored.members().get(ids.get(2)).sessionDeadline(), "sessions start afresh");
      assertArrayEquals(bytes("assignment-of-" + ids.get(2)), restored.members().get(ids.get(2)).assignment());
      assertEquals(LiveGroup.initial(), LiveGroup.restore(GroupCoordinatorState.empty(), 0));
    }
  }
}
