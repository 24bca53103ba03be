package dev.sluice.actors.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A coordinator started for a group id nobody uses stops after its idle time; real groups stay. */
class UnknownGroupPassivationTest {
  @TempDir Path dataDir;

  static Set<String> running(GroupNode node) {
    TestProbe<ShardRegion.CurrentShardRegionState> probe = node.kit.createTestProbe();
    ClusterSharding.get(node.kit.system()).shardState().tell(new GetShardRegionState(GroupCoordinator.ENTITY_TYPE_KEY, probe.getRef()));
    Set<String> ids = new HashSet<>();
    for (ShardRegion.ShardState shard : probe.receiveMessage(Duration.ofSeconds(15)).getShards()) {
      ids.addAll(shard.getEntityIds());
    }
    return ids;
  }

  @Test
  void anUnknownGroupStopsAndAGroupWithOffsetsStays() throws Exception {
    try (GroupNode node = new GroupNode(dataDir, "sluice.group.unknown-group-idle = 300 ms\n")) {
      TestProbe<GroupProtocol.OffsetsResult> offsets = node.kit.createTestProbe();
      GroupCoordinator.entityRef(node.kit.system(), "ghost").tell(new GroupProtocol.FetchOffsets(null, offsets.getRef()));
      assertEquals(GroupError.NONE, offsets.receiveMessage(Duration.ofSeconds(15)).error());
      TestProbe<GroupProtocol.CommitResult> commit = node.kit.createTestProbe();
      GroupCoordinator.entityRef(node.kit.system(), "real")
          .tell(new GroupProtocol.CommitOffsets("", null, -1, List.of(new GroupProtocol.PartitionOffset("t", 0, 5, -1, "")), commit.getRef()));
      assertEquals(GroupError.NONE, commit.receiveMessage(Duration.ofSeconds(15)).error());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      Set<String> ids = running(node);
      while (ids.contains("ghost") && System.nanoTime() < deadline) {
        Thread.sleep(100);
        ids = running(node);
      }
      assertTrue(!ids.contains("ghost"), "the unknown group's coordinator should have stopped: " + ids);
      assertTrue(ids.contains("real"), "a group with committed offsets keeps its coordinator: " + ids);
    }
  }
}
