package dev.sluice.engine;

import dev.sluice.actors.cluster.SluiceMembers;
import java.time.Duration;
import java.util.OptionalInt;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a second live member with this node's id: two nodes claiming one id would both serve
 * the same partitions from different logs. When a member with the same id is up, the younger of
 * the two (the one that joined later) shuts down with an error. Checked on every membership
 * change and every few seconds.
 */
final class DuplicateNodeGuard {
  private static final Logger LOG = LoggerFactory.getLogger(DuplicateNodeGuard.class);
  private static final Duration CHECK_EVERY = Duration.ofSeconds(2);

  private DuplicateNodeGuard() {}

  static void start(ActorSystem<?> system, int nodeId) {
    MembershipWatch.start(system, "sluice-duplicate-node-guard", CHECK_EVERY, sys -> check(sys, nodeId));
  }

  /** False once this node has found an older live member with its id and shut down. */
  private static boolean check(ActorSystem<?> system, int nodeId) {
    Cluster cluster = Cluster.get(system);
    Member self = null;
    for (Member m : cluster.state().getMembers()) {
      if (m.address().equals(cluster.selfMember().address())) {
        self = m;
      }
    }
    if (self == null || self.status() != MemberStatus.up()) {
      return true;
    }
    for (Member m : cluster.state().getMembers()) {
      OptionalInt id = SluiceMembers.nodeId(m);
      // an unreachable member with this id is this node's previous incarnation
      // (killed, restarted on another port) waiting to be downed: not a rival
      if (cluster.state().getUnreachable().contains(m)) {
        continue;
      }
      if (!m.address().equals(self.address()) && id.isPresent() && id.getAsInt() == nodeId
          && m.status() == MemberStatus.up() && m.isOlderThan(self)) {
        LOG.error(
            "Node id {} is already taken by the live member {}: this node ({}) refuses to run with a"
                + " duplicate id and shuts down. Give every node its own --node-id and data directory.",
            nodeId, m.address(), self.address());
        system.terminate();
        return false;
      }
    }
    return true;
  }
}
