package dev.sluice.actors.group;

import static dev.sluice.actors.group.GroupHarness.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.group.GroupProtocol.Assignment;
import dev.sluice.actors.group.GroupProtocol.CommitResult;
import dev.sluice.actors.group.GroupProtocol.GroupAck;
import dev.sluice.actors.group.GroupProtocol.GroupDescription;
import dev.sluice.actors.group.GroupProtocol.JoinResult;
import dev.sluice.actors.group.GroupProtocol.OffsetsResult;
import dev.sluice.actors.group.GroupProtocol.PartitionOffset;
import dev.sluice.actors.group.GroupProtocol.SyncResult;
import dev.sluice.actors.group.GroupProtocol.TopicPartition;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Committed offsets and the settled generation survive an ActorSystem restart on the same directory. */
class GroupRecoveryTest {
  @TempDir Path dataDir;

  // Frequent snapshots, so recovery goes through a snapshot (and trimmed events) plus replay.
  static final String CONFIG = "sluice.group.snapshot-every = 5\n";

  @Test
  void offsetsAndTheStableGenerationComeBack() {
    JoinResult member;
    try (GroupNode node = new GroupNode(dataDir, CONFIG)) {
      for (int i = 1; i <= 12; i++) { // standalone commits, as admin tools make them
        long offset = i;
        CommitResult c = node.ask("standalone", CommitResult.class, r -> new GroupProtocol.CommitOffsets("", null, -1,
            List.of(new PartitionOffset("t", 0, offset, 4, "m" + offset), new PartitionOffset("t", 1, 100 + offset, -1, "")), r));
        assertEquals(GroupError.NONE, c.error());
      }
      member = node.ask("managed", JoinResult.class, r -> new GroupProtocol.JoinGroup(
          "", "instance-1", "client", "/10.0.0.1", 30_000, 10_000, "consumer", GroupHarness.range("t"), false, r));
      assertEquals(1, member.generationId());
      JoinResult m = member;
      SyncResult s = node.ask("managed", SyncResult.class, r -> new GroupProtocol.SyncGroup(
          m.memberId(), "instance-1", 1, null, null, List.of(new Assignment(m.memberId(), bytes("all of t"))), r));
      assertEquals(GroupError.NONE, s.error());
      node.ask("managed", CommitResult.class, r -> new GroupProtocol.CommitOffsets(m.memberId(), "instance-1", 1,
          List.of(new PartitionOffset("t", 0, 77, -1, "")), r));
    }

    try (GroupNode node = new GroupNode(dataDir, CONFIG)) {
      OffsetsResult standalone = node.ask("standalone", OffsetsResult.class, r -> new GroupProtocol.FetchOffsets(null, r));
      assertEquals(
          List.of(new PartitionOffset("t", 0, 12, 4, "m12"), new PartitionOffset("t", 1, 112, -1, "")),
          standalone.offsets(),
          "the last commit of each partition after restart");
      OffsetsResult managed =
          node.ask("managed", OffsetsResult.class, r -> new GroupProtocol.FetchOffsets(List.of(new TopicPartition("t", 0)), r));
      assertEquals(77, managed.offsets().get(0).offset());

      GroupDescription d = node.ask("managed", GroupDescription.class, GroupProtocol.Describe::new);
      assertEquals("Stable", d.state(), "the settled generation is resumed");
      assertEquals(1, d.members().size());
      assertEquals(member.memberId(), d.members().get(0).memberId());
      assertEquals("instance-1", d.members().get(0).groupInstanceId());
      assertEquals("/10.0.0.1", d.members().get(0).clientHost());
      assertArrayEquals(bytes("all of t"), d.members().get(0).assignment());
      JoinResult m = member;
      assertEquals(GroupError.NONE,
          node.ask("managed", GroupAck.class, r -> new GroupProtocol.Heartbeat(m.memberId(), "instance-1", 1, r)).error(),
          "its member carries on heartbeating without rejoining");
      List<String> listed = node.directory().groupIds();
      assertTrue(listed.containsAll(List.of("managed", "standalone")), "both groups are listed: " + listed);
    }
  }
}
