package dev.sluice.actors.partition;

import dev.sluice.actors.cluster.NodeAllocation;
import dev.sluice.actors.cluster.PartitionPlacement;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.persistence.journal.LevelDbLog;
import dev.sluice.persistence.partition.PartitionJournal;
import dev.sluice.persistence.serialization.SluiceMessage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * The receiving end of a partition move: runs on the target node (entity id
 * {@code <topic>-<partition>@<node>}, allocated only to that node) and lays down there an exact
 * copy of the partition's log, so that the partition entity started on this node later replays
 * the very same events. Driven by the topic registry, which starts it for every reassignment in
 * progress and decides the switch.
 *
 * <p>Steps: forget any older copy on this node; take the leader's state and the sequence number
 * it reflects; copy the leader's journal entries byte for byte (same sequence numbers) and, once
 * they reach that number, store the state as this node's snapshot; keep copying until caught up;
 * ask the registry whether it may fence (a cancelled move stops here); fence the leader (journaled
 * there: it takes no more writes); copy up to the fence; report the copy complete, upon which the
 * registry switches the placement and sharding moves the partition here. Any failure stops the
 * copy; the registry starts it again from scratch a little later.
 */
public final class PartitionReplica extends AbstractBehavior<PartitionReplica.Command> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "sluice-partition-replica");

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(30);
  private static final int READ_BYTES = 1 << 20;
  /** Entries (appended batches) behind the leader at which the copy asks to fence it. */
  private static final long CAUGHT_UP_LAG = 32;

  public sealed interface Command extends SluiceMessage permits Start, Step {}

  /** Copies {@code topic}/{@code partition} (incarnation {@code topicId}) to this node; ignored while a copy runs. */
  public record Start(String topic, int partition, String topicId) implements Command {}

  /** Internal: an asynchronous step finished ({@code failure} null) or failed. */
  record Step(Runnable next, String failure) implements Command {}

  /** The entity id of {@code topic}/{@code partition}'s copy on node {@code nodeId}. */
  public static String entityId(String topic, int partition, int nodeId) {
    return PartitionEntity.entityId(topic, partition) + "@" + nodeId;
  }

  /** The node a replica entity id names. */
  static int nodeOf(String entityId) {
    return Integer.parseInt(entityId.substring(entityId.lastIndexOf('@') + 1));
  }

  public static void init(ActorSystem<?> system, PartitionSettings settings) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    PartitionJournal journal = new PartitionJournal(Adapter.toClassic(system), settings.journalPluginId(), blocking);
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> Behaviors.<Command>setup(c -> new PartitionReplica(c, ctx.getEntityId(), journal)))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
                .withMessageExtractor(PartitionPlacement.<Command>oneShardPerEntity())
                .withAllocationStrategy(
                    new NodeAllocation(system, "partition copy", shard -> CompletableFuture.completedFuture(nodeOf(shard)))));
  }

  public static EntityRef<Command> entityRef(ActorSystem<?> system, String topic, int partition, int nodeId) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, entityId(topic, partition, nodeId));
  }

  private final PartitionJournal journal;
  private final int nodeId;
  private Start copy; // the copy under way, null when idle
  private String persistenceId;
  private EntityRef<PartitionEntity.Command> leader;
  private PartitionState leaderState;
  private boolean snapshotStored;
  private long nextSequenceNr;
  private long fenceSequenceNr = -1;
  private long copiedBytes;
  private long startedAt;

  private PartitionReplica(ActorContext<Command> ctx, String entityId, PartitionJournal journal) {
    super(ctx);
    this.journal = journal;
    this.nodeId = nodeOf(entityId);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder().onMessage(Start.class, this::onStart).onMessage(Step.class, this::onStep).build();
  }

  private Behavior<Command> onStart(Start start) {
    if (copy != null) {
      return this;
    }
    copy = start;
    persistenceId = PersistenceId.of(PartitionEntity.ENTITY_TYPE_KEY.name(), PartitionEntity.entityId(start.topic(), start.partition())).id();
    leader = ClusterSharding.get(getContext().getSystem())
        .entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(start.topic(), start.partition()));
    leaderState = null;
    snapshotStored = false;
    nextSequenceNr = 1;
    fenceSequenceNr = -1;
    copiedBytes = 0;
    startedAt = System.nanoTime();
    getContext().getLog().info("Copying {} to node {}", persistenceId, nodeId);
    step(forgetLocalCopy(), "forgetting this node's older copy", done -> beginCopy());
    return this;
  }

  private Behavior<Command> onStep(Step step) {
    if (copy == null) {
      return this;
    }
    if (step.failure() != null) {
      fail(step.failure());
    } else {
      step.next().run();
    }
    // a finished or failed copy stops (the registry starts a new one if the move still needs it)
    return copy == null ? Behaviors.stopped() : this;
  }

  /** Runs {@code next} with the result in the actor once {@code stage} completes; a failure ends the copy. */
  private <T> void step(CompletionStage<T> stage, String what, java.util.function.Consumer<T> next) {
    getContext().pipeToSelf(stage, (ok, err) -> err == null ? new Step(() -> next.accept(ok), null) : new Step(null, what + ": " + err));
  }

  /** This node's snapshot store of partitions (the default plugin, as partition entities use). */
  private org.apache.pekko.actor.ActorRef snapshotStore() {
    return Persistence.get(Adapter.toClassic(getContext().getSystem())).snapshotStoreFor("", com.typesafe.config.ConfigFactory.empty());
  }

  /** Removes this node's journal entries and snapshots of the partition (left by an earlier stay here). */
  private CompletionStage<Object> forgetLocalCopy() {
    CompletionStage<Object> deleted =
        Patterns.ask(
            snapshotStore(),
            new SnapshotProtocol.DeleteSnapshots(persistenceId, SnapshotSelectionCriteria.Latest()),
            ASK_TIMEOUT);
    return journal.ensureStarted().thenCompose(v -> journal.purge(persistenceId)).thenCompose(n -> deleted).thenApply(reply -> {
      if (reply instanceof org.apache.pekko.persistence.DeleteSnapshotsFailure f) {
        throw new IllegalStateException("deleting snapshots failed", f.cause());
      }
      return reply;
    });
  }

  private void beginCopy() {
    CompletionStage<PartitionEntity.CopyStart> started = leader.ask(PartitionEntity.BeginCopy::new, ASK_TIMEOUT);
    step(started, "starting the copy at the leader", s -> {
      if (s.error() != PartitionError.NONE) {
        fail("starting the copy at the leader: " + s.error() + " " + s.message());
        return;
      }
      leaderState = s.state();
      readMore();
    });
  }

  private void readMore() {
    long from = nextSequenceNr;
    CompletionStage<PartitionEntity.RawEntries> read =
        leader.ask(to -> new PartitionEntity.ReadRaw(from, READ_BYTES, to), ASK_TIMEOUT);
    CompletionStage<PartitionEntity.RawEntries> written =
        read.thenCompose(r -> {
          if (r.error() != PartitionError.NONE) {
            return CompletableFuture.failedFuture(new IllegalStateException(r.error() + " " + r.message()));
          }
          List<LevelDbLog.StoredEntry> entries = r.entries();
          long limit = r.fencedAt() > 0 ? r.fencedAt() - 1 : Long.MAX_VALUE;
          entries = entries.stream().filter(e -> e.sequenceNr() <= limit).toList();
          if (!entries.isEmpty()) {
            long expected = from == 1 ? entries.get(0).sequenceNr() : from;
            for (LevelDbLog.StoredEntry e : entries) {
              if (e.sequenceNr() != expected++) {
                return CompletableFuture.failedFuture(
                    new IllegalStateException("entries of the leader's log are missing before " + e.sequenceNr() + " (retention ran during the copy)"));
              }
            }
          }
          List<LevelDbLog.StoredEntry> toWrite = entries;
          return journal.writeRaw(persistenceId, toWrite)
              .thenApply(v -> new PartitionEntity.RawEntries(r.error(), r.message(), toWrite, r.lastSequenceNr(), r.fencedAt()));
        });
    step(written, "copying entries from sequence number " + from, r -> decide(r, true));
  }

  private void fail(String why) {
    getContext().getLog().warn("Copy of {} to node {} failed: {}; the registry starts it again", persistenceId, nodeId, why);
    copy = null;
  }

  /** After a read was written here (or the leader was fenced): the next step. */
  private void decide(PartitionEntity.RawEntries r, boolean fromRead) {
    if (fromRead && r.entries().isEmpty()
        && nextSequenceNr <= (r.fencedAt() > 0 ? r.fencedAt() - 1 : r.lastSequenceNr())) {
      fail("the leader has no entries from sequence number " + nextSequenceNr + " although its log goes on");
      return;
    }
    if (!r.entries().isEmpty()) {
      nextSequenceNr = r.entries().get(r.entries().size() - 1).sequenceNr() + 1;
      for (LevelDbLog.StoredEntry e : r.entries()) {
        copiedBytes += e.value().length;
      }
    }
    if (r.fencedAt() > 0) {
      fenceSequenceNr = r.fencedAt();
    }
    if (!snapshotStored && nextSequenceNr > leaderState.sequenceNr()) {
      PartitionEntity.RawEntries noNews = new PartitionEntity.RawEntries(PartitionError.NONE, null, List.of(), r.lastSequenceNr(), r.fencedAt());
      step(storeSnapshot(), "storing the copied state as this node's snapshot", stored -> decide(noNews, false));
      snapshotStored = true;
      return;
    }
    // close enough to fence: what is left is copied while the partition briefly takes no writes
    boolean caughtUp = r.lastSequenceNr() - nextSequenceNr < CAUGHT_UP_LAG || (fenceSequenceNr > 0 && nextSequenceNr >= fenceSequenceNr);
    if (!caughtUp || !snapshotStored) {
      readMore();
      return;
    }
    if (fenceSequenceNr > 0) {
      if (nextSequenceNr >= fenceSequenceNr) {
        complete();
      } else {
        readMore();
      }
      return;
    }
    askToFence();
  }

  private CompletionStage<Object> storeSnapshot() {
    SnapshotMetadata meta = new SnapshotMetadata(persistenceId, leaderState.sequenceNr(), System.currentTimeMillis());
    return Patterns.ask(snapshotStore(), new SnapshotProtocol.SaveSnapshot(meta, leaderState), ASK_TIMEOUT)
        .thenApply(reply -> {
          if (reply instanceof org.apache.pekko.persistence.SaveSnapshotFailure f) {
            throw new IllegalStateException("saving the snapshot failed", f.cause());
          }
          return reply;
        });
  }

  private void askToFence() {
    ActorSystem<?> system = getContext().getSystem();
    CompletionStage<TopicRegistry.ReassignmentAnswer> may =
        TopicRegistry.entityRef(system)
            .ask(to -> new TopicRegistry.ReassignmentMayFence(copy.topic(), copy.partition(), copy.topicId(), nodeId, to), ASK_TIMEOUT);
    step(may.thenCompose(a -> {
      if (!a.proceed()) {
        return CompletableFuture.failedFuture(new IllegalStateException("the move is no longer wanted: " + a.message()));
      }
      return leader.<PartitionEntity.Fenced>ask(to -> new PartitionEntity.Fence(nodeId, to), ASK_TIMEOUT)
          .thenApply(f -> {
            if (f.error() != PartitionError.NONE) {
              throw new IllegalStateException("fencing the leader: " + f.error() + " " + f.message());
            }
            return f;
          });
    }), "fencing the leader",
        f -> decide(new PartitionEntity.RawEntries(PartitionError.NONE, null, List.of(), f.fenceSequenceNr() - 1, f.fenceSequenceNr()), false));
  }

  private void complete() {
    ActorSystem<?> system = getContext().getSystem();
    CompletionStage<TopicRegistry.ReassignmentAnswer> done =
        TopicRegistry.entityRef(system)
            .ask(to -> new TopicRegistry.ReassignmentCopied(copy.topic(), copy.partition(), copy.topicId(), nodeId, to), ASK_TIMEOUT);
    step(done, "switching the placement", a -> {
      if (!a.proceed()) {
        fail("the registry did not switch: " + a.message());
        return;
      }
      getContext().getLog().info(
          "Copied {} to node {}: {} entries, {} bytes in {} ms; the partition now lives here",
          persistenceId, nodeId, nextSequenceNr - 1, copiedBytes, (System.nanoTime() - startedAt) / 1_000_000);
      copy = null;
    });
  }
}
