package dev.sluice.engine;

import dev.sluice.actors.cluster.SluiceMembers;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs, on every change, which Sluice nodes this node sees up and reachable: the nodes it places
 * new partitions and metadata on. {@code sluice cluster start} waits for every node to log the
 * whole cluster, and an operator reads in it when a node saw another come or go.
 */
final class MembershipLog {
  private static final Logger LOG = LoggerFactory.getLogger(MembershipLog.class);
  /** Also checked on a timer: the cluster state a member event is read against can lag it. */
  private static final Duration CHECK_EVERY = Duration.ofSeconds(1);

  private MembershipLog() {}

  static void start(ActorSystem<?> system, int nodeId) {
    system.systemActorOf(behavior(nodeId), "sluice-membership-log", Props.empty());
  }

  /** The line logged for {@code nodes}; the launcher's {@code cluster start} looks for it. */
  static String line(int nodeId, List<Integer> nodes) {
    return "Node " + nodeId + " sees Sluice nodes " + nodes + " up";
  }

  private static Behavior<Object> behavior(int nodeId) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  Cluster cluster = Cluster.get(ctx.getSystem());
                  cluster.subscriptions().tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberEvent.class));
                  cluster.subscriptions().tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.ReachabilityEvent.class));
                  timers.startTimerWithFixedDelay("check", "check", CHECK_EVERY);
                  return logged(nodeId, List.of());
                }));
  }

  /** {@code logged}: the nodes last logged as up. */
  private static Behavior<Object> logged(int nodeId, List<Integer> logged) {
    return Behaviors.receive(
        (ctx, any) -> {
          List<Integer> up = List.copyOf(SluiceMembers.upNodes(ctx.getSystem()).keySet());
          if (up.equals(logged) || !up.contains(nodeId)) {
            return Behaviors.same();
          }
          LOG.info(line(nodeId, up));
          return logged(nodeId, up);
        });
  }
}
