package dev.sluice.actors.group;

import static dev.sluice.actors.group.GroupNode.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import dev.sluice.actors.group.GroupProtocol.JoinResult;
import dev.sluice.actors.group.GroupProtocol.SyncResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator that Cluster Sharding stops ({@link GroupCoordinator.HandOff}: it moves to a
 * node that joined, or its node shuts down) answers the requests it holds NOT_COORDINATOR, so
 * the members look for it again instead of waiting out their request timeout.
 */
class GroupCoordinatorHandOffTest {
  @TempDir static Path dataDir;
  static GroupNode node;

  @BeforeAll
  static void start() {
    node = new GroupNode(dataDir, "sluice.group.min-session-timeout = 100 ms\n");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** A coordinator spawned directly (so the test can stop it) that holds a first join for {@code initialDelay}. */
  static ActorRef<GroupProtocol.Command> coordinator(String groupId, String initialDelay) {
    GroupSettings settings =
        GroupSettings.fromConfig(
            ConfigFactory.parseString("sluice.group.initial-rebalance-delay = " + initialDelay)
                .withFallback(node.kit.system().settings().config()));
    return node.kit.spawn(GroupCoordinator.create(groupId, settings, Clock.systemUTC()));
  }

  static GroupProtocol.JoinGroup join(String clientId, ActorRef<JoinResult> replyTo) {
    return new GroupProtocol.JoinGroup("", null, clientId, "/127.0.0.1", 10_000, 60_000, "consumer", GroupHarness.range("t"), false, replyTo);
  }

  @Test
  void aHeldJoinIsAnsweredNotCoordinator() {
    ActorRef<GroupProtocol.Command> coordinator = coordinator("moving-join", "1 minute");
    TestProbe<JoinResult> member = node.kit.createTestProbe(JoinResult.class);
    coordinator.tell(join("a", member.getRef()));
    member.expectNoMessage(Duration.ofMillis(300)); // held: the group waits a minute for more members
    coordinator.tell(new GroupCoordinator.HandOff());
    JoinResult r = member.expectMessageClass(JoinResult.class, TIMEOUT);
    assertEquals(GroupError.NOT_COORDINATOR, r.error(), "the held join is answered at once");
    member.expectTerminated(coordinator, TIMEOUT);
  }

  @Test
  void aHeldSyncIsAnsweredNotCoordinator() {
    ActorRef<GroupProtocol.Command> coordinator = coordinator("moving-sync", "200 ms");
    TestProbe<JoinResult> a = node.kit.createTestProbe(JoinResult.class);
    TestProbe<JoinResult> b = node.kit.createTestProbe(JoinResult.class);
    coordinator.tell(join("a", a.getRef()));
    coordinator.tell(join("b", b.getRef()));
    JoinResult ra = a.expectMessageClass(JoinResult.class, TIMEOUT);
    JoinResult rb = b.expectMessageClass(JoinResult.class, TIMEOUT);
    assertEquals(GroupError.NONE, ra.error());
    assertEquals(GroupError.NONE, rb.error());
    JoinResult follower = ra.memberId().equals(ra.leaderId()) ? rb : ra;

    // the follower's sync waits for the leader's assignment, which never comes
    TestProbe<SyncResult> sync = node.kit.createTestProbe(SyncResult.class);
    coordinator.tell(
        new GroupProtocol.SyncGroup(follower.memberId(), null, follower.generationId(), "consumer", "range", List.of(), sync.getRef()));
    sync.expectNoMessage(Duration.ofMillis(300));
    coordinator.tell(new GroupCoordinator.HandOff());
    assertEquals(GroupError.NOT_COORDINATOR, sync.expectMessageClass(SyncResult.class, TIMEOUT).error());
    sync.expectTerminated(coordinator, TIMEOUT);
  }
}
