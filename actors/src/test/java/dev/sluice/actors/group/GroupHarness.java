package dev.sluice.actors.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.sluice.actors.group.GroupCoordinatorState.Decision;
import dev.sluice.actors.group.GroupProtocol.Assignment;
import dev.sluice.actors.group.GroupProtocol.CommitOffsets;
import dev.sluice.actors.group.GroupProtocol.CommitResult;
import dev.sluice.actors.group.GroupProtocol.GroupAck;
import dev.sluice.actors.group.GroupProtocol.Heartbeat;
import dev.sluice.actors.group.GroupProtocol.JoinGroup;
import dev.sluice.actors.group.GroupProtocol.JoinResult;
import dev.sluice.actors.group.GroupProtocol.LeaveGroup;
import dev.sluice.actors.group.GroupProtocol.LeaveResult;
import dev.sluice.actors.group.GroupProtocol.LeavingMember;
import dev.sluice.actors.group.GroupProtocol.PartitionOffset;
import dev.sluice.actors.group.GroupProtocol.Protocol;
import dev.sluice.actors.group.GroupProtocol.SyncGroup;
import dev.sluice.actors.group.GroupProtocol.SyncResult;
import dev.sluice.actors.group.GroupProtocol.TopicPartition;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;

/**
 * One group's durable state and live group, driven through {@link GroupCoordinatorState}'s
 * handlers the way the entity drives them: each decision's events are applied and its live group
 * taken on. The clock is {@link #now}, moved by hand. Member ids handed out are
 * {@code <clientId>-<n>}.
 */
final class GroupHarness {
  static final int SESSION_MS = 30_000;
  static final int REBALANCE_MS = 10_000;

  GroupCoordinatorState state = GroupCoordinatorState.empty();
  LiveGroup live = LiveGroup.initial();
  final GroupSettings settings;
  long now = 1_000_000L;
  private int ids;

  GroupHarness(GroupSettings settings) {
    this.settings = settings;
  }

  GroupHarness() {
    this(settings(Duration.ZERO));
  }

  static GroupSettings settings(Duration initialDelay) {
    return new GroupSettings(
        Duration.ofMillis(6_000), Duration.ofMillis(1_800_000), initialDelay, 4096, Duration.ofDays(7), Duration.ofMinutes(10), 500, Duration.ofMinutes(1));
  }

  <R> Decision<R> take(Decision<R> d) {
    for (GroupEvent e : d.events()) {
      state = state.apply(e);
    }
    live = d.live();
    return d;
  }

  void advance(long millis) {
    now += millis;
  }

  // ---- commands ------------------------------------------------------------------------------

  static JoinGroup joinCmd(String memberId, String instanceId, String clientId, int sessionMs, int rebalanceMs, boolean requireKnown, List<Protocol> protocols) {
    return new JoinGroup(memberId, instanceId, clientId, "/127.0.0.1", sessionMs, rebalanceMs, "consumer", protocols, requireKnown, null);
  }

  Decision<JoinResult> join(JoinGroup cmd) {
    return take(state.join(live, settings, now, cmd, cmd.clientId() + "-" + (++ids)));
  }

  /** A dynamic join without MEMBER_ID_REQUIRED. */
  Decision<JoinResult> join(String memberId, List<Protocol> protocols) {
    return join(joinCmd(memberId, null, "c", SESSION_MS, REBALANCE_MS, false, protocols));
  }

  Decision<JoinResult> join(String memberId) {
    return join(memberId, range("t"));
  }

  Decision<JoinResult> joinStatic(String memberId, String instanceId, List<Protocol> protocols) {
    return join(joinCmd(memberId, instanceId, "s", SESSION_MS, REBALANCE_MS, false, protocols));
  }

  Decision<SyncResult> sync(String memberId, int generation, List<Assignment> assignments) {
    return take(state.sync(live, settings, now, new SyncGroup(memberId, null, generation, null, null, assignments, null)));
  }

  Decision<SyncResult> sync(String memberId, int generation) {
    return sync(memberId, generation, List.of());
  }

  GroupAck heartbeat(String memberId, int generation) {
    return take(state.heartbeat(live, settings, now, new Heartbeat(memberId, null, generation, null))).reply();
  }

  GroupAck heartbeat(String memberId, String instanceId, int generation) {
    return take(state.heartbeat(live, settings, now, new Heartbeat(memberId, instanceId, generation, null))).reply();
  }

  Decision<LeaveResult> leave(LeavingMember... members) {
    return take(state.leave(live, settings, now, new LeaveGroup(List.of(members), null)));
  }

  Decision<CommitResult> commit(String memberId, int generation, PartitionOffset... offsets) {
    return take(state.commit(live, settings, now, new CommitOffsets(memberId, null, generation, List.of(offsets), null)));
  }

  Decision<CommitResult> deleteOffsets(TopicPartition... partitions) {
    return take(state.deleteOffsets(live, settings, now, List.of(partitions)));
  }

  Decision<GroupAck> deleteGroup() {
    return take(state.deleteGroup(live, settings, now));
  }

  Decision<Void> expire() {
    return take(state.expire(live, settings, now));
  }

  Decision<Void> expireOffsets() {
    return take(state.expireOffsets(live, settings, now));
  }

  GroupState groupState() {
    return state.stateOf(live);
  }

  // ---- scenarios -----------------------------------------------------------------------------

  /** Members join one by one and the group settles: returns their ids; the group is Stable. */
  List<String> stableGroup(int size) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      Decision<JoinResult> d = join("");
      ids.add(d.heldAs());
      if (i > 0) { // the others must rejoin for the new member's generation
        for (String other : ids.subList(0, i)) {
          join(other);
        }
      }
    }
    for (String id : ids) {
      // every member syncs; the leader with assignments
      if (live.leaderId().equals(id)) {
        List<Assignment> assignments = new ArrayList<>();
        for (String m : ids) {
          assignments.add(new Assignment(m, bytes("assignment-of-" + m)));
        }
        sync(id, live.generationId(), assignments);
      }
    }
    for (String id : ids) {
      if (!live.leaderId().equals(id)) {
        SyncResult r = sync(id, live.generationId()).reply();
        assertNotNull(r, "follower sync in Stable is answered at once");
        assertEquals(GroupError.NONE, r.error());
      }
    }
    assertEquals(GroupState.STABLE, live.state());
    return ids;
  }

  // ---- protocol metadata ---------------------------------------------------------------------

  static List<Protocol> range(String... topics) {
    return List.of(new Protocol("range", subscription(topics)));
  }

  static List<Protocol> protocols(String... names) {
    List<Protocol> out = new ArrayList<>();
    for (String n : names) {
      out.add(new Protocol(n, subscription("t")));
    }
    return out;
  }

  static byte[] subscription(String... topics) {
    ByteBuffer b = ConsumerProtocol.serializeSubscription(new ConsumerPartitionAssignor.Subscription(Arrays.asList(topics)));
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static PartitionOffset offset(String topic, int partition, long offset) {
    return new PartitionOffset(topic, partition, offset, 3, "m");
  }
}
