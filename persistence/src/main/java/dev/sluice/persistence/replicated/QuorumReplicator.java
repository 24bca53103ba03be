package dev.sluice.persistence.replicated;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.cluster.ddata.DistributedData;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.ReplicatedData;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.pattern.Patterns;
import scala.concurrent.duration.FiniteDuration;

/**
 * Reads and updates Distributed Data keys for the replicated journal and snapshot store: reads
 * with {@code ReadMajority}, writes with {@code WriteMajority}, both with {@code minCap}, and
 * answers only what the Replicator confirmed (a write completes after a majority, this node's
 * durable store included, acknowledged it).
 *
 * <p>Pekko caps the majority at the number of replicas it knows ({@code minCap} cannot ask for
 * more nodes than there are), and with no other replica it reads and writes locally. A node that
 * restarted alone (or whose peers were all downed) would then read stale metadata and write over
 * it. So before each operation this class asks the Replicator how many replicas it has and, while
 * that is below {@code minCap}, waits (polling, within the operation's timeout) and then fails
 * with {@link MetadataUnavailableException} without touching the data.
 *
 * <p>Thread-safe: it only sends messages; plugin code calls it from future callbacks.
 */
final class QuorumReplicator {
  /** Extra time for an ask beyond the Replicator's own timeout, so its own answer comes first. */
  private static final Duration ASK_MARGIN = Duration.ofSeconds(1);
  /** The least time an operation is started with after waiting for replicas. */
  private static final Duration MIN_OPERATION_TIME = Duration.ofMillis(250);
  private static final Duration REPLICA_POLL_INTERVAL = Duration.ofMillis(100);

  /** Timeouts and quorum of one plugin, read from its config section. */
  record Settings(Duration writeTimeout, Duration readTimeout, int minCap) {
    Settings {
      if (writeTimeout.compareTo(MIN_OPERATION_TIME) < 0 || readTimeout.compareTo(MIN_OPERATION_TIME) < 0) {
        throw new IllegalArgumentException(
            "write-timeout and read-timeout must be at least " + MIN_OPERATION_TIME.toMillis() + " ms, got "
                + writeTimeout.toMillis() + " ms and " + readTimeout.toMillis() + " ms");
      }
      if (minCap < 1) {
        throw new IllegalArgumentException(
            "min-cap (sluice.cluster.metadata-quorum) must be at least 1, got " + minCap);
      }
    }

    static Settings fromConfig(Config config) {
      return new Settings(
          config.getDuration("write-timeout"), config.getDuration("read-timeout"), config.getInt("min-cap"));
    }
  }

  private final ActorSystem system;
  private final ActorRef replicator;
  private final SelfUniqueAddress selfUniqueAddress;
  private final Settings settings;

  QuorumReplicator(ActorSystem system, Settings settings) {
    this.system = system;
    DistributedData ddata = DistributedData.get(system);
    this.replicator = ddata.replicator();
    this.selfUniqueAddress = ddata.selfUniqueAddress();
    this.settings = settings;
  }

  SelfUniqueAddress selfUniqueAddress() {
    return selfUniqueAddress;
  }

  /** The value of {@code key} merged from a majority of replicas; empty if none has it. */
  <A extends ReplicatedData> CompletionStage<Optional<A>> read(Key<A> key) {
    long deadline = System.nanoTime() + settings.readTimeout().toNanos();
    return awaitReplicas(deadline, "read of " + key.id())
        .thenCompose(
            ignored -> {
              Duration timeout = remaining(deadline);
              var get = new Replicator.Get<>(key, new Replicator.ReadMajority(finite(timeout), settings.minCap()));
              return Patterns.ask(replicator, get, timeout.plus(ASK_MARGIN));
            })
        .thenCompose(reply -> readResult(key, reply));
  }

  @SuppressWarnings("unchecked")
  private <A extends ReplicatedData> CompletionStage<Optional<A>> readResult(Key<A> key, Object reply) {
    if (reply instanceof Replicator.GetSuccess<?> success) {
      return CompletableFuture.completedFuture(Optional.of((A) success.dataValue()));
    } else if (reply instanceof Replicator.NotFound<?> || reply instanceof Replicator.GetDataDeleted<?>) {
      return CompletableFuture.completedFuture(Optional.empty());
    } else if (reply instanceof Replicator.GetFailure<?>) {
      return CompletableFuture.failedFuture(
          new MetadataUnavailableException(
              "could not read " + key.id() + " from a majority of replicas (min-cap " + settings.minCap()
                  + ") within " + settings.readTimeout().toMillis() + " ms"));
    }
    return CompletableFuture.failedFuture(
        new IllegalStateException("unexpected Replicator reply to a read of " + key.id() + ": " + reply));
  }

  /**
   * Applies {@code modify} (run inside the Replicator, so it must be pure) to the value of
   * {@code key} ({@code initial} if there is none) and completes once a majority, at least
   * {@code minCap} replicas, acknowledged it, this node's durable store included.
   */
  <A extends ReplicatedData> CompletionStage<Void> update(Key<A> key, A initial, Function<A, A> modify) {
    long deadline = System.nanoTime() + settings.writeTimeout().toNanos();
    return awaitReplicas(deadline, "write of " + key.id())
        .thenCompose(
            ignored -> {
              Duration timeout = remaining(deadline);
              var update =
                  new Replicator.Update<>(
                      key, initial, new Replicator.WriteMajority(finite(timeout), settings.minCap()), modify);
              return Patterns.ask(replicator, update, timeout.plus(ASK_MARGIN));
            })
        .thenCompose(reply -> updateResult(key, reply));
  }

  private CompletionStage<Void> updateResult(Key<?> key, Object reply) {
    if (reply instanceof Replicator.UpdateSuccess<?>) {
      return CompletableFuture.completedFuture(null);
    } else if (reply instanceof Replicator.UpdateTimeout<?>) {
      return CompletableFuture.failedFuture(
          new MetadataUnavailableException(
              "write of " + key.id() + " was not acknowledged by a majority of replicas (min-cap "
                  + settings.minCap() + ") within " + settings.writeTimeout().toMillis()
                  + " ms; it was applied locally and may still spread"));
    } else if (reply instanceof Replicator.StoreFailure<?>) {
      return CompletableFuture.failedFuture(
          new MetadataUnavailableException("durable store failed to write " + key.id() + "; see the node's log"));
    } else if (reply instanceof Replicator.ModifyFailure<?> failure) {
      return CompletableFuture.failedFuture(
          new MetadataUnavailableException("update of " + key.id() + " failed: " + failure.errorMessage(), failure.cause()));
    }
    return CompletableFuture.failedFuture(
        new IllegalStateException("unexpected Replicator reply to a write of " + key.id() + ": " + reply));
  }

  /**
   * Completes once the Replicator knows at least {@code minCap} replicas (itself included);
   * fails when that has not happened by {@code deadline}. The Replicator answers 0 while it is
   * still loading its durable data, so this also waits for that.
   */
  private CompletionStage<Void> awaitReplicas(long deadline, String what) {
    if (settings.minCap() <= 1) {
      return CompletableFuture.completedFuture(null); // this node alone is enough; the Replicator stashes until loaded
    }
    Duration askTimeout = remaining(deadline);
    return Patterns.ask(replicator, Replicator.getReplicaCount(), askTimeout)
        .thenCompose(
            reply -> {
              int replicas = ((Replicator.ReplicaCount) reply).n();
              if (replicas >= settings.minCap()) {
                return CompletableFuture.completedFuture(null);
              }
              long left = deadline - System.nanoTime();
              if (left <= MIN_OPERATION_TIME.toNanos()) {
                return CompletableFuture.failedFuture(
                    new MetadataUnavailableException(
                        what + " needs at least " + settings.minCap() + " replicas (sluice.cluster.metadata-quorum)"
                            + " but this node's Replicator knows " + replicas
                            + "; refused without reading or writing anything"));
              }
              Duration pause = REPLICA_POLL_INTERVAL.compareTo(Duration.ofNanos(left)) < 0
                  ? REPLICA_POLL_INTERVAL
                  : Duration.ofNanos(left);
              return Patterns.after(
                  pause, system.scheduler(), system.dispatcher(), () -> awaitReplicas(deadline, what));
            });
  }

  private static Duration remaining(long deadline) {
    Duration left = Duration.ofNanos(deadline - System.nanoTime());
    return left.compareTo(MIN_OPERATION_TIME) < 0 ? MIN_OPERATION_TIME : left;
  }

  private static FiniteDuration finite(Duration d) {
    return FiniteDuration.create(d.toMillis(), TimeUnit.MILLISECONDS);
  }
}
