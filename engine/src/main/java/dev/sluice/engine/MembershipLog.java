package dev.sluice.engine;

import dev.sluice.actors.cluster.SluiceMembers;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs, on every change, which Sluice nodes this node sees up and reachable: the nodes it places
 * new partitions and metadata on. {@code sluice cluster start} waits for every node to log the
 * whole cluster, and an operator reads in it when a node saw another come or go.
 */
final class MembershipLog {
  private static final Logger LOG = LoggerFactory.getLogger(MembershipLog.class);

  private final int nodeId;
  /** The nodes last logged as up; confined to the watching actor. */
  private List<Integer> logged = List.of();

  private MembershipLog(int nodeId) {
    this.nodeId = nodeId;
  }

  static void start(ActorSystem<?> system, int nodeId) {
    MembershipWatch.start(system, "sluice-membership-log", Duration.ofSeconds(1), new MembershipLog(nodeId)::check);
  }

  /** The line logged for {@code nodes}; the launcher's {@code cluster start} looks for it. */
  static String line(int nodeId, List<Integer> nodes) {
    return "Node " + nodeId + " sees Sluice nodes " + nodes + " up";
  }

  private boolean check(ActorSystem<?> system) {
    List<Integer> up = List.copyOf(SluiceMembers.upNodes(system).keySet());
    if (!up.equals(logged) && up.contains(nodeId)) {
      LOG.info(line(nodeId, up));
      logged = up;
    }
    return true;
  }
}
