package dev.sluice.engine;

import dev.sluice.actors.cluster.SluiceMembers;
import java.time.Duration;
import java.util.OptionalInt;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
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
    system.systemActorOf(behavior(nodeId), "sluice-duplicate-node-guard", Props.empty());
  }

  private static Behavior<Object> behavior(int nodeId) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  Cluster cluster = Cluster.get(ctx.getSystem());
                  cluster.subscriptions().tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberEvent.class));
                  timers.startTimerWithFixedDelay("check", "check", CHECK_EVERY);
                  return Behaviors.receiveMessage(
                      any -> {
                        Member self = null;
                        for (Member m : cluster.state().getMembers()) {
                          if (m.address().equals(cluster.selfMember().address())) {
                            self = m;
                          }
                        }
                        if (self == null || self.status() != MemberStatus.up()) {
                          return Behaviors.same();
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
                            ctx.getSystem().terminate();
                            return Behaviors.stopped();
                          }
                        }
                        return Behaviors.same();
                      });
                }));
  }
}
