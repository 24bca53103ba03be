package dev.sluice.actors.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Await;
import scala.concurrent.Future;

/**
 * What Cluster Sharding's coordinator gets from a refused allocation: it logs that exception at
 * ERROR on every retry (every 2 s until a node is back), so it must be the short NodeNotUp, not
 * a CompletionException with a stack trace around it.
 */
class NodeAllocationTest {
  @TempDir Path dir;
  private ActorTestKit kit;

  @BeforeEach
  void start() {
    kit = TestSystems.oneNodeCluster("node-allocation-test", dir, "");
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void aShardWhoseNodeIsNotUpFailsWithNodeNotUpItself() throws Exception {
    Throwable failure = allocationFailure(shard -> CompletableFuture.completedFuture(7));

    NodeAllocation.NodeNotUp notUp = assertInstanceOf(NodeAllocation.NodeNotUp.class, failure);
    assertEquals("the test entity s1 lives on node 7, which is not up: it stays unavailable until that node is back", notUp.getMessage());
    assertEquals(0, notUp.getStackTrace().length);
  }

  @Test
  void aPlacementThatFailsWithNodeNotUpIsPassedOnUnwrapped() throws Exception {
    Throwable failure =
        allocationFailure(shard -> CompletableFuture.failedFuture(new NodeAllocation.NodeNotUp("s1 waits for 2 nodes")));

    assertInstanceOf(NodeAllocation.NodeNotUp.class, failure);
    assertEquals("s1 waits for 2 nodes", failure.getMessage());
  }

  @Test
  void aShardWithoutAHomeGoesToTheRegionThatAsked() throws Exception {
    ActorRef requester = Adapter.toClassic(kit.createTestProbe().getRef());
    Future<ActorRef> allocated =
        new NodeAllocation(kit.system(), "the test entity", shard -> CompletableFuture.completedFuture(-1))
            .allocateShard(requester, "s1", emptyAllocations());

    assertEquals(requester, Await.result(allocated, scala.concurrent.duration.Duration.create(10, "s")));
  }

  private Throwable allocationFailure(Function<String, CompletionStage<Integer>> homeOf) throws Exception {
    ActorRef requester = Adapter.toClassic(kit.createTestProbe().getRef());
    Future<ActorRef> allocated =
        new NodeAllocation(kit.system(), "the test entity", homeOf).allocateShard(requester, "s1", emptyAllocations());
    Await.ready(allocated, scala.concurrent.duration.Duration.create(10, "s"));
    assertTrue(allocated.value().get().isFailure(), "the allocation should fail");
    return allocated.value().get().failed().get();
  }

  private static scala.collection.immutable.Map<ActorRef, IndexedSeq<String>> emptyAllocations() {
    return scala.collection.immutable.Map$.MODULE$.empty();
  }
}
