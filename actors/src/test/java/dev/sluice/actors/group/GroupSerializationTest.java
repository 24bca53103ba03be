package dev.sluice.actors.group;

import static dev.sluice.actors.group.GroupHarness.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.actors.group.GroupCoordinatorState.CommittedOffset;
import dev.sluice.actors.group.GroupCoordinatorState.PartitionKey;
import dev.sluice.actors.group.GroupEvent.GroupDeleted;
import dev.sluice.actors.group.GroupEvent.GroupMetadataStored;
import dev.sluice.actors.group.GroupEvent.OffsetsCommitted;
import dev.sluice.actors.group.GroupEvent.OffsetsDeleted;
import dev.sluice.actors.group.GroupEvent.OffsetsExpired;
import dev.sluice.actors.group.GroupProtocol.Assignment;
import dev.sluice.actors.group.GroupProtocol.CommitResult;
import dev.sluice.actors.group.GroupProtocol.GroupAck;
import dev.sluice.actors.group.GroupProtocol.GroupDescription;
import dev.sluice.actors.group.GroupProtocol.JoinResult;
import dev.sluice.actors.group.GroupProtocol.JoinedMember;
import dev.sluice.actors.group.GroupProtocol.LeaveResult;
import dev.sluice.actors.group.GroupProtocol.LeavingMember;
import dev.sluice.actors.group.GroupProtocol.MemberDescription;
import dev.sluice.actors.group.GroupProtocol.MemberResult;
import dev.sluice.actors.group.GroupProtocol.OffsetsResult;
import dev.sluice.actors.group.GroupProtocol.PartitionOffset;
import dev.sluice.actors.group.GroupProtocol.PartitionResult;
import dev.sluice.actors.group.GroupProtocol.SyncResult;
import dev.sluice.actors.group.GroupProtocol.TopicPartition;
import dev.sluice.persistence.serialization.VersionedCborSerializer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every group command, reply, event and the snapshot state survive serialization. */
class GroupSerializationTest {
  @TempDir static Path dataDir;
  static GroupNode node;
  static SerializationTestKit ser;

  @BeforeAll
  static void start() {
    node = new GroupNode(dataDir, "");
    ser = new SerializationTestKit(node.kit.system());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** Round-trips {@code o} and compares the result with {@code o} as text (records with byte[] compare by identity). */
  private static void roundTrip(Object o) {
    Object back = ser.verifySerialization(o, false);
    assertEquals(deep(o), deep(back), o.getClass().getSimpleName());
  }

  private static String deep(Object o) {
    if (o instanceof byte[] b) {
      return Arrays.toString(b);
    }
    if (o instanceof List<?> l) {
      return l.stream().map(GroupSerializationTest::deep).toList().toString();
    }
    if (o instanceof java.util.Map<?, ?> m) {
      java.util.TreeMap<String, String> sorted = new java.util.TreeMap<>();
      m.forEach((k, v) -> sorted.put(String.valueOf(k), deep(v)));
      return sorted.toString();
    }
    if (o instanceof Record r) {
      StringBuilder sb = new StringBuilder(r.getClass().getSimpleName()).append('[');
      for (var c : r.getClass().getRecordComponents()) {
        try {
          c.getAccessor().setAccessible(true);
          sb.append(c.getName()).append('=').append(deep(c.getAccessor().invoke(r))).append(", ");
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      return sb.append(']').toString();
    }
    return String.valueOf(o);
  }

  @Test
  void commandsRoundTrip() {
    TestProbe<JoinResult> join = node.kit.createTestProbe();
    TestProbe<SyncResult> sync = node.kit.createTestProbe();
    TestProbe<GroupAck> ack = node.kit.createTestProbe();
    TestProbe<LeaveResult> leave = node.kit.createTestProbe();
    TestProbe<CommitResult> commit = node.kit.createTestProbe();
    TestProbe<OffsetsResult> offsets = node.kit.createTestProbe();
    TestProbe<GroupDescription> describe = node.kit.createTestProbe();
    roundTrip(new GroupProtocol.JoinGroup("m", "i", "c", "/h", 10_000, 20_000, "consumer", GroupHarness.protocols("range", "sticky"), true, join.getRef()));
    roundTrip(new GroupProtocol.JoinGroup("", null, "c", "/h", 10_000, 20_000, "consumer", List.of(), false, join.getRef()));
    roundTrip(new GroupProtocol.SyncGroup("m", null, 3, "consumer", "range", List.of(new Assignment("m", bytes("a")), new Assignment("n", new byte[0])), sync.getRef()));
    roundTrip(new GroupProtocol.Heartbeat("m", "i", 3, ack.getRef()));
    roundTrip(new GroupProtocol.LeaveGroup(List.of(new LeavingMember("m", null), new LeavingMember("", "i")), leave.getRef()));
    roundTrip(new GroupProtocol.CommitOffsets("m", null, 3, List.of(new PartitionOffset("t", 0, 5, -1, null), new PartitionOffset("t", 1, 6, 2, "x")), commit.getRef()));
    roundTrip(new GroupProtocol.FetchOffsets(List.of(new TopicPartition("t", 0)), offsets.getRef()));
    roundTrip(new GroupProtocol.FetchOffsets(null, offsets.getRef()));
    roundTrip(new GroupProtocol.Describe(describe.getRef()));
    roundTrip(new GroupProtocol.DeleteGroup(ack.getRef()));
    roundTrip(new GroupProtocol.DeleteOffsets(List.of(new TopicPartition("t", 2)), commit.getRef()));
    roundTrip(new GroupCoordinator.SessionExpired("m"));
    roundTrip(new GroupCoordinator.JoinPhaseDeadline());
    roundTrip(new GroupCoordinator.SyncPhaseDeadline());
    roundTrip(new GroupCoordinator.OffsetsRetentionTick());
    roundTrip(new GroupCoordinator.PassivateIfUnknown());
  }

  @Test
  void repliesRoundTrip() {
    roundTrip(new JoinResult(GroupError.NONE, 4, "consumer", "range", "m", "m", List.of(new JoinedMember("m", null, bytes("md")), new JoinedMember("n", "i", new byte[0]))));
    roundTrip(JoinResult.failed(GroupError.MEMBER_ID_REQUIRED, "c-123"));
    roundTrip(new SyncResult(GroupError.NONE, "consumer", "range", bytes("assignment")));
    roundTrip(GroupCoordinatorState.syncError(GroupError.REBALANCE_IN_PROGRESS));
    roundTrip(new GroupAck(GroupError.ILLEGAL_GENERATION));
    roundTrip(new LeaveResult(GroupError.NONE, List.of(new MemberResult("m", null, GroupError.NONE), new MemberResult("", "i", GroupError.UNKNOWN_MEMBER_ID))));
    roundTrip(new CommitResult(GroupError.NONE, List.of(new PartitionResult("t", 0, GroupError.OFFSET_METADATA_TOO_LARGE))));
    roundTrip(new OffsetsResult(GroupError.NONE, List.of(new PartitionOffset("t", 0, -1, -1, ""))));
    roundTrip(new GroupDescription(GroupError.NONE, "g", "Stable", "consumer", "range",
        List.of(new MemberDescription("m", "i", "c", "/h", bytes("md"), bytes("as")))));
  }

  @Test
  void eventsAndSnapshotRoundTripWithTheVersionedSerializer() {
    GroupHarness g = new GroupHarness();
    List<String> ids = g.stableGroup(3);
    g.commit(ids.get(0), g.live.generationId(), GroupHarness.offset("t", 0, 10), GroupHarness.offset("u", 5, 11));
    GroupMetadataStored stored =
        new GroupMetadataStored(g.state.generationId(), g.state.protocolType(), g.state.protocolName(), g.state.leaderId(), g.state.members(), 123L);
    Object[] events = {
      stored,
      new GroupMetadataStored(4, "consumer", null, null, List.of(), 5L),
      new OffsetsCommitted(List.of(new CommittedOffset("t", 0, 1, -1, "", 9L))),
      new OffsetsDeleted(List.of(new PartitionKey("t", 0))),
      new OffsetsExpired(List.of(new PartitionKey("t", 1)), 10L),
      new GroupDeleted("DeleteGroups", 11L),
      g.state,
      GroupCoordinatorState.empty()
    };
    var serialization = SerializationExtension.get(Adapter.toClassic(node.kit.system()));
    for (Object e : events) {
      assertEquals(VersionedCborSerializer.IDENTIFIER, serialization.findSerializerFor(e).identifier(), "versioned CBOR for " + e.getClass().getSimpleName());
      roundTrip(e);
    }
    GroupCoordinatorState back = (GroupCoordinatorState) ser.verifySerialization(g.state, false);
    assertEquals(g.state.sortedOffsets(), back.sortedOffsets());
    assertArrayEquals(g.state.members().get(2).assignment(), back.members().get(2).assignment());
    assertEquals(LiveGroup.restore(g.state, 0).members().keySet(), LiveGroup.restore(back, 0).members().keySet());
  }
}
