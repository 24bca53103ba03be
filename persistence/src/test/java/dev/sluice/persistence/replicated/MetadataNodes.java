package dev.sluice.persistence.replicated;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Join;

/**
 * Real nodes for the replicated-metadata tests: ActorSystems of one name on 127.0.0.1 with random
 * ports, each on its own data directory, joined into one cluster. A node that is stopped
 * crashes (it does not leave the cluster), as a killed process would.
 */
final class MetadataNodes implements AutoCloseable {
  static final String SYSTEM_NAME = "sluice-meta";
  static final Duration CLUSTER_WAIT = Duration.ofSeconds(20);

  private final int quorum;
  private final List<ActorTestKit> running = new ArrayList<>();

  /** Nodes whose metadata reads and writes need {@code quorum} replicas. */
  MetadataNodes(int quorum) {
    this.quorum = quorum;
  }

  /** Starts a node on {@code dataDir}; it joins {@code seed}, or itself when {@code seed} is null. */
  ActorTestKit start(Path dataDir, ActorTestKit seed) {
    ActorTestKit node =
        ActorTestKit.create(
            SYSTEM_NAME,
            TestSystems.config(
                dataDir,
                "sluice.cluster.metadata-quorum = " + quorum + "\n"
                    + "sluice.persistence.replicated-journal { write-timeout = 3 s, read-timeout = 3 s }\n"
                    + "sluice.persistence.replicated-snapshot-store { write-timeout = 3 s, read-timeout = 3 s }\n"
                    // a stopped node crashes instead of leaving, so the others must down it
                    + "pekko.coordinated-shutdown.run-by-actor-system-terminate = off\n"
                    + "pekko.cluster.downing-provider-class = \"\"\n"));
    running.add(node);
    Address seedAddress = Cluster.get((seed == null ? node : seed).system()).selfMember().address();
    Cluster.get(node.system()).manager().tell(Join.create(seedAddress));
    return node;
  }

  /** Waits until every given node sees exactly {@code nodes.length} members, all up. */
  void awaitUp(ActorTestKit... nodes) {
    for (ActorTestKit node : nodes) {
      TestProbe<Object> probe = node.createTestProbe();
      probe.awaitAssert(
          CLUSTER_WAIT,
          Duration.ofMillis(50),
          () -> {
            var members = StreamSupport.stream(Cluster.get(node.system()).state().getMembers().spliterator(), false).toList();
            assertEquals(nodes.length, members.size(), node.system() + " sees members " + members);
            members.forEach(m -> assertEquals(MemberStatus.up(), m.status(), node.system() + " sees " + m));
            return null;
          });
    }
  }

  /** Terminates {@code victim} without leaving, then has {@code survivor} down it. */
  void crashAndDown(ActorTestKit victim, ActorTestKit survivor) {
    Address address = Cluster.get(victim.system()).selfMember().address();
    crash(victim);
    Cluster.get(survivor.system()).manager().tell(new Down(address));
  }

  /** Terminates a node without leaving the cluster; its LevelDB stores are closed when this returns. */
  void crash(ActorTestKit node) {
    running.remove(node);
    ActorTestKit.shutdown(node.system(), Duration.ofSeconds(30));
  }

  @Override
  public void close() {
    for (ActorTestKit node : List.copyOf(running)) {
      crash(node);
    }
  }
}
