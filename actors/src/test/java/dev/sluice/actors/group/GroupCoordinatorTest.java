package dev.sluice.actors.group;

import static dev.sluice.actors.group.GroupHarness.bytes;
import static dev.sluice.actors.group.GroupNode.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.group.GroupProtocol.Assignment;
import dev.sluice.actors.group.GroupProtocol.CommitResult;
import dev.sluice.actors.group.GroupProtocol.GroupAck;
import dev.sluice.actors.group.GroupProtocol.GroupDescription;
import dev.sluice.actors.group.GroupProtocol.JoinResult;
import dev.sluice.actors.group.GroupProtocol.LeaveResult;
import dev.sluice.actors.group.GroupProtocol.LeavingMember;
import dev.sluice.actors.group.GroupProtocol.OffsetsResult;
import dev.sluice.actors.group.GroupProtocol.PartitionOffset;
import dev.sluice.actors.group.GroupProtocol.SyncResult;
import dev.sluice.actors.group.GroupProtocol.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Group coordinators as sharded entities on a real journal: held replies, sessions, deletion. */
class GroupCoordinatorTest {
  @TempDir static Path dataDir;
  static GroupNode node;

  // Short timeouts so sessions and the initial delay play out in well under a second.
  static final String CONFIG =
      "sluice.group.min-session-timeout = 100 ms\n"
          + "sluice.group.initial-rebalance-delay = 300 ms\n";

  @BeforeAll
  static void start() {
    node = new GroupNode(dataDir, CONFIG);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static GroupProtocol.JoinGroup join(String memberId, String clientId, int sessionMs, ActorRef<JoinResult> replyTo) {
    return new GroupProtocol.JoinGroup(
        memberId, null, clientId, "/127.0.0.1", sessionMs, 2_000, "consumer", GroupHarness.range("t"), false, replyTo);
  }

  /** Two members join together and sync; returns [leader, follower] join results. */
  static JoinResult[] formGroup(String groupId, int sessionMs) {
    TestProbe<JoinResult> a = node.send(groupId, JoinResult.class, r -> join("", "a", sessionMs, r));
    TestProbe<JoinResult> b = node.send(groupId, JoinResult.class, r -> join("", "b", sessionMs, r));
    JoinResult ra = a.expectMessageClass(JoinResult.class, TIMEOUT);
    JoinResult rb = b.expectMessageClass(JoinResult.class, TIMEOUT);
    assertEquals(GroupError.NONE, ra.error());
    assertEquals(GroupError.NONE, rb.error());
    JoinResult leader = ra.memberId().equals(ra.leaderId()) ? ra : rb;
    JoinResult follower = leader == ra ? rb : ra;
    TestProbe<SyncResult> followerSync =
        node.send(groupId, SyncResult.class, r -> new GroupProtocol.SyncGroup(follower.memberId(), null, follower.generationId(), "consumer", "range", List.of(), r));
    followerSync.expectNoMessage(Duration.ofMillis(200));
    SyncResult leaderSync =
        node.ask(groupId, SyncResult.class, r -> new GroupProtocol.SyncGroup(leader.memberId(), null, leader.generationId(), "consumer", "range",
            List.of(new Assignment(leader.memberId(), bytes("L")), new Assignment(follower.memberId(), bytes("F"))), r));
    assertEquals(GroupError.NONE, leaderSync.error());
    assertArrayEquals(bytes("L"), leaderSync.assignment());
    SyncResult fs = followerSync.expectMessageClass(SyncResult.class, TIMEOUT);
    assertEquals(GroupError.NONE, fs.error(), "the held follower sync is answered with the leader's assignment");
    assertArrayEquals(bytes("F"), fs.assignment());
    return new JoinResult[] {leader, follower};
  }

  static GroupAck heartbeat(String groupId, JoinResult member) {
    return node.ask(groupId, GroupAck.class, r -> new GroupProtocol.Heartbeat(member.memberId(), null, member.generationId(), r));
  }

  @Test
  void twoMembersJoinTogetherSyncHeartbeatAndCommit() {
    TestProbe<JoinResult> a = node.send("g1", JoinResult.class, r -> join("", "a", 10_000, r));
    TestProbe<JoinResult> b = node.send("g1", JoinResult.class, r -> join("", "b", 10_000, r));
    a.expectNoMessage(Duration.ofMillis(100)); // held through the initial rebalance delay
    JoinResult ra = a.expectMessageClass(JoinResult.class, TIMEOUT);
    JoinResult rb = b.expectMessageClass(JoinResult.class, TIMEOUT);
    assertEquals(1, ra.generationId());
    assertEquals(1, rb.generationId());
    assertEquals(ra.leaderId(), rb.leaderId(), "one leader");
    assertEquals(2, ra.members().size() + rb.members().size(), "only the leader gets the member list (of 2)");
    assertTrue(ra.memberId().startsWith("a-") && rb.memberId().startsWith("b-"), "member ids are clientId-UUID");
    assertEquals("range", ra.protocolName());
    // sync, with the follower's reply held until the leader's assignment
    JoinResult leader = ra.members().isEmpty() ? rb : ra;
    JoinResult follower = leader == ra ? rb : ra;
    TestProbe<SyncResult> fs =
        node.send("g1", SyncResult.class, r -> new GroupProtocol.SyncGroup(follower.memberId(), null, 1, null, null, List.of(), r));
    fs.expectNoMessage(Duration.ofMillis(200));
    SyncResult ls =
        node.ask("g1", SyncResult.class, r -> new GroupProtocol.SyncGroup(leader.memberId(), null, 1, null, null,
            List.of(new Assignment(follower.memberId(), bytes("p0")), new Assignment(leader.memberId(), bytes("p1"))), r));
    assertArrayEquals(bytes("p1"), ls.assignment());
    assertArrayEquals(bytes("p0"), fs.expectMessageClass(SyncResult.class, TIMEOUT).assignment());

    assertEquals(GroupError.NONE, heartbeat("g1", leader).error());
    assertEquals(GroupError.NONE, heartbeat("g1", follower).error());
    assertEquals(GroupError.ILLEGAL_GENERATION,
        node.ask("g1", GroupAck.class, r -> new GroupProtocol.Heartbeat(follower.memberId(), null, 7, r)).error());
    GroupDescription d = node.ask("g1", GroupDescription.class, GroupProtocol.Describe::new);
    assertEquals("Stable", d.state());
    assertEquals("g1", d.groupId());
    assertEquals(2, d.members().size());

    CommitResult c =
        node.ask("g1", CommitResult.class, r -> new GroupProtocol.CommitOffsets(follower.memberId(), null, 1,
            List.of(new PartitionOffset("t", 0, 42, 1, "meta")), r));
    assertEquals(GroupError.NONE, c.error());
    OffsetsResult o = node.ask("g1", OffsetsResult.class, r -> new GroupProtocol.FetchOffsets(List.of(new TopicPartition("t", 0)), r));
    assertEquals(List.of(new PartitionOffset("t", 0, 42, 1, "meta")), o.offsets());
    assertTrue(node.directory().groupIds().contains("g1"), "the group registered when it first stored something");
  }

  @Test
  void aMemberThatStopsHeartbeatingIsExpelledAfterItsSessionTimeout() {
    int sessionMs = 3000; // so that a pause of the busy test machine does not expire the live member too
    JoinResult[] members = formGroup("g2", sessionMs);
    JoinResult alive = members[0];
    JoinResult silent = members[1];
    long start = System.nanoTime();
    GroupError seen = GroupError.NONE;
    long deadline = start + Duration.ofSeconds(30).toNanos();
    while (seen == GroupError.NONE && System.nanoTime() < deadline) {
      node.kit.createTestProbe().expectNoMessage(Duration.ofMillis(100));
      seen = heartbeat("g2", alive).error();
    }
    long waitedMs = (System.nanoTime() - start) / 1_000_000;
    assertEquals(GroupError.REBALANCE_IN_PROGRESS, seen, "the silent member's expiry starts a rebalance");
    assertTrue(waitedMs >= sessionMs - 50, "not before the session timeout: " + waitedMs + " ms");
    JoinResult rejoined = node.ask("g2", JoinResult.class, r -> join(alive.memberId(), "a", sessionMs, r));
    assertEquals(GroupError.NONE, rejoined.error());
    assertEquals(alive.generationId() + 1, rejoined.generationId());
    assertEquals(alive.memberId(), rejoined.leaderId());
    assertEquals(List.of(alive.memberId()), rejoined.members().stream().map(GroupProtocol.JoinedMember::memberId).toList());
    assertEquals(GroupError.UNKNOWN_MEMBER_ID, heartbeat("g2", silent).error());
  }

  @Test
  void deleteGroup() {
    assertEquals(GroupError.GROUP_ID_NOT_FOUND, node.ask("g5", GroupAck.class, GroupProtocol.DeleteGroup::new).error());
    JoinResult[] members = formGroup("g5", 10_000);
    node.ask("g5", CommitResult.class, r -> new GroupProtocol.CommitOffsets(members[0].memberId(), null, members[0].generationId(),
        List.of(new PartitionOffset("t", 3, 7, -1, "")), r));
    assertEquals(GroupError.NON_EMPTY_GROUP, node.ask("g5", GroupAck.class, GroupProtocol.DeleteGroup::new).error());
    LeaveResult left = node.ask("g5", LeaveResult.class, r -> new GroupProtocol.LeaveGroup(
        List.of(new LeavingMember(members[0].memberId(), null), new LeavingMember(members[1].memberId(), null)), r));
    assertEquals(List.of(GroupError.NONE, GroupError.NONE), left.members().stream().map(GroupProtocol.MemberResult::error).toList());
    assertEquals("Empty", node.ask("g5", GroupDescription.class, GroupProtocol.Describe::new).state());
    assertTrue(node.directory().groupIds().contains("g5"));

    assertEquals(GroupError.NONE, node.ask("g5", GroupAck.class, GroupProtocol.DeleteGroup::new).error());
    assertEquals("Dead", node.ask("g5", GroupDescription.class, GroupProtocol.Describe::new).state());
    OffsetsResult o = node.ask("g5", OffsetsResult.class, r -> new GroupProtocol.FetchOffsets(null, r));
    assertTrue(o.offsets().isEmpty(), "the offsets went with the group");
    TestProbe<Object> wait = node.kit.createTestProbe();
    wait.awaitAssert(TIMEOUT, () -> {
      assertFalse(node.directory().groupIds().contains("g5"), "unregistered from the directory");
      return null;
    });
    assertEquals(GroupError.GROUP_ID_NOT_FOUND, node.ask("g5", GroupAck.class, GroupProtocol.DeleteGroup::new).error());
    // and the id can be used again from scratch
    JoinResult again = node.ask("g5", JoinResult.class, r -> join("", "c", 10_000, r));
    assertNotEquals(members[0].memberId(), again.memberId());
    assertEquals(1, again.generationId());
  }
}
