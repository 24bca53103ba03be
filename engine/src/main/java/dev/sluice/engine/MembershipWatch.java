package dev.sluice.engine;

import java.time.Duration;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * A system actor that runs a check of the cluster state on every membership or reachability
 * change, and every {@code every} as well: the state a cluster event is read against can lag the
 * event. The check returns false to stop watching.
 */
final class MembershipWatch {
  private MembershipWatch() {}

  static void start(ActorSystem<?> system, String name, Duration every, Predicate<ActorSystem<?>> check) {
    Behavior<Object> watch =
        Behaviors.setup(
            ctx ->
                Behaviors.withTimers(
                    timers -> {
                      Cluster cluster = Cluster.get(ctx.getSystem());
                      cluster.subscriptions().tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberEvent.class));
                      cluster.subscriptions().tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.ReachabilityEvent.class));
                      timers.startTimerWithFixedDelay("check", "check", every);
                      return Behaviors.receiveMessage(any -> check.test(ctx.getSystem()) ? Behaviors.same() : Behaviors.stopped());
                    }));
    system.systemActorOf(watch, name, Props.empty());
  }
}
