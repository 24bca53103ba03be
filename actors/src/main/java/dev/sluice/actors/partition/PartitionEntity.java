package dev.sluice.actors.partition;

import dev.sluice.actors.cluster.PartitionPlacement;
import dev.sluice.actors.cluster.SluiceMembers;
import dev.sluice.persistence.batch.RecordBatches;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.BatchAppended;
import dev.sluice.persistence.partition.BatchIndex;
import dev.sluice.persistence.partition.BatchRef;
import dev.sluice.persistence.partition.ConfigChanged;
import dev.sluice.persistence.partition.LogTruncated;
import dev.sluice.persistence.partition.PartitionCreated;
import dev.sluice.persistence.partition.PartitionDeleted;
import dev.sluice.persistence.journal.LevelDbLog;
import dev.sluice.persistence.partition.PartitionEvent;
import dev.sluice.persistence.partition.PartitionFenced;
import dev.sluice.persistence.partition.PartitionJournal;
import dev.sluice.persistence.partition.ProducerState;
import dev.sluice.persistence.partition.RecentBatches;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.serialization.SluiceMessage;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One topic-partition: an event-sourced, sharded entity (id {@code <topic>-<partition>}) whose
 * journal is the partition's log. Each append persists exactly one {@link BatchAppended} event
 * holding the Kafka v2 batch with its offsets assigned; offsets are dense and the high
 * watermark is the next offset (on a single replica every acknowledged batch is committed).
 *
 * <p>Reads are served from a bounded cache of the newest batches, else read back from the
 * journal on a blocking dispatcher; a fetch at the high watermark may wait (long poll) until
 * data arrives or its wait ends. Retention runs on a timer: it persists {@link LogTruncated},
 * snapshots, and then deletes the released journal prefix. A compacted topic's partition
 * compacts on another timer ({@link Compact}): its batches are rewritten in the journal under
 * their sequence numbers ({@link PartitionJournal#compact}), offsets unchanged, so its state
 * needs no event for it.
 */
public final class PartitionEntity
    extends EventSourcedBehaviorWithEnforcedReplies<PartitionEntity.Command, PartitionEvent, PartitionState> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "sluice-partition");

  /** Kafka's ListOffsets sentinels. */
  public static final long EARLIEST = -2L;
  public static final long LATEST = -1L;

  /** Bounds of one journal write of queued appends. */
  private static final int MAX_APPENDS_PER_WRITE = 256;
  private static final long MAX_BYTES_PER_WRITE = 16L << 20;

  // ---- protocol ------------------------------------------------------------------------------

  /** Commands of a partition. */
  public sealed interface Command extends SluiceMessage
      permits Create, UpdateConfig, Delete, Append, Fetch, ListOffsets, Describe, EnforceRetention, DeleteRecords,
          RetentionTick, WaitExpired, FlushAppends, ReadAheadFrom, PassivateIfUnknown, BeginCopy, ReadRaw, Fence,
          Compact, CompactionTick, CompactionDone, TimestampLookup {}

  /**
   * Creates the partition (idempotent for the same topic id). {@code nodeId}: the node the registry placed it on (-1: any); a
   * partition entity started on another node refuses, so a log is only ever created where its
   * placement says (sharding then moves the shard to that node and the registry retries).
   */
  public record Create(String topic, int partition, String topicId, TopicConfig config, int nodeId, ActorRef<Ack> replyTo)
      implements Command {
    public Create(String topic, int partition, String topicId, TopicConfig config, ActorRef<Ack> replyTo) {
      this(topic, partition, topicId, config, -1, replyTo);
    }
  }

  /** Replaces the topic configuration this partition enforces. */
  public record UpdateConfig(TopicConfig config, ActorRef<Ack> replyTo) implements Command {}

  /**
   * Deletes the partition and its whole log. With a {@code topicId}, only if the partition
   * belongs to that incarnation of the topic: a Delete that was held up (its node down, a retry)
   * can then never delete a topic created again under the same name. Otherwise it answers
   * UNKNOWN_TOPIC_OR_PARTITION, as for a partition that does not exist: that incarnation's log is
   * not here. {@code null} deletes whatever the partition holds.
   */
  public record Delete(String reason, String topicId, ActorRef<Ack> replyTo) implements Command {
    public Delete(String reason, ActorRef<Ack> replyTo) {
      this(reason, null, replyTo);
    }
  }

  /**
   * Appends one Kafka v2 record batch. The partition takes ownership of {@code batch}: it stamps
   * the assigned base offset into it.
   */
  public record Append(byte[] batch, ActorRef<AppendResult> replyTo) implements Command {
    /** An append of {@code records} as one uncompressed batch. */
    public static Append of(List<LogRecord> records, ActorRef<AppendResult> replyTo) {
      return new Append(RecordBatches.build(records), replyTo);
    }
  }

  /**
   * Reads whole batches from the one containing {@code offset}, up to {@code maxBytes} (the first
   * batch is returned even if larger). If fewer than {@code minBytes} (at least 1) are available,
   * waits up to {@code maxWaitMs} for more.
   */
  public record Fetch(long offset, int maxBytes, int minBytes, long maxWaitMs, ActorRef<FetchResult> replyTo)
      implements Command {}

  /** Offset for {@link #EARLIEST}, {@link #LATEST}, or the first offset with a timestamp >= {@code timestamp}. */
  public record ListOffsets(long timestamp, ActorRef<OffsetResult> replyTo) implements Command {}

  public record Describe(ActorRef<PartitionInfo> replyTo) implements Command {}

  /** Applies retention now (it also runs periodically). */
  public record EnforceRetention(ActorRef<Ack> replyTo) implements Command {}

  /**
   * Kafka's DeleteRecords: moves the log start offset up to {@code beforeOffset} ({@link #LATEST}:
   * the high watermark), so the records below it can no longer be read and their journal entries
   * go as retention's do. The offset may fall inside a batch, as in Kafka: that batch stays and
   * consumers skip its records below the start. Replies with the log start offset after it (the
   * "low watermark"); an offset below the log start changes nothing, one above the high
   * watermark is OFFSET_OUT_OF_RANGE.
   */
  public record DeleteRecords(long beforeOffset, ActorRef<OffsetResult> replyTo) implements Command {}

  /**
   * Compacts the log now if its topic is compacted ({@code cleanup.policy=compact}); it also
   * runs by itself when {@code min.cleanable.dirty.ratio} of the log was written since the last
   * compaction. Replies once the compaction (this one, or one already running) has finished.
   */
  public record Compact(ActorRef<CompactionResult> replyTo) implements Command {}

  /**
   * Reply to {@link Compact}: the offsets compacted ({@code fromOffset} to before
   * {@code endOffset}; -1 when nothing was), batches rewritten, and the bytes and records of those
   * offsets before and after.
   */
  public record CompactionResult(
      PartitionError error, String message, long fromOffset, long endOffset, int batchesRewritten,
      long bytesBefore, long bytesAfter, long recordsBefore, long recordsAfter) implements SluiceMessage {
    static CompactionResult failed(PartitionError error, String message) {
      return new CompactionResult(error, message, -1, -1, 0, 0, 0, 0, 0);
    }
  }

  record RetentionTick() implements Command {}

  /** A ListOffsets by timestamp that found no record late enough in one batch goes on from {@code fromOffset}. */
  record TimestampLookup(long fromOffset, long timestamp, ActorRef<OffsetResult> replyTo) implements Command {}

  record CompactionTick() implements Command {}

  /** A compaction finished ({@code failure} null) or failed. */
  record CompactionDone(PartitionJournal.Compaction result, Throwable failure) implements Command {}

  record WaitExpired(long fetchId) implements Command {}

  /** Sent to itself after recovery: a partition that still does not exist stops. */
  record PassivateIfUnknown() implements Command {}

  /** Writes the queued appends (sent by the partition to itself). */
  enum FlushAppends implements Command {
    INSTANCE
  }

  /**
   * Sent to itself once a fetch served from the journal is answered: read up to {@code maxBytes}
   * from {@code offset} (where that fetch ended) for the consumer's next fetch.
   */
  record ReadAheadFrom(long offset, int maxBytes) implements Command {}

  // ---- moving a partition to another node (see PartitionReplica) ------------------------------

  /**
   * Starts a copy of this partition's log: replies with the current state and the sequence
   * number it reflects, which the copy stores as its snapshot once it holds every journal entry
   * up to that number.
   */
  public record BeginCopy(ActorRef<CopyStart> replyTo) implements Command {}

  public record CopyStart(PartitionError error, String message, PartitionState state) implements SluiceMessage {}

  /** Reads stored journal entries from {@code fromSequenceNr} on, as they are on disk. */
  public record ReadRaw(long fromSequenceNr, int maxBytes, ActorRef<RawEntries> replyTo) implements Command {}

  /**
   * Reply to {@link ReadRaw}; {@code lastSequenceNr} is the partition's newest event when the read
   * was asked, {@code fencedAt} the sequence number of its fence event (-1 if not fenced).
   */
  public record RawEntries(
      PartitionError error, String message, List<LevelDbLog.StoredEntry> entries, long lastSequenceNr, long fencedAt)
      implements SluiceMessage {
    public RawEntries {
      entries = entries == null ? List.of() : entries;
    }
  }

  /**
   * Fences this copy of the log for a move to {@code toNode}: it journals the fence and from then
   * on takes no writes and serves no reads (NOT_LEADER_OR_FOLLOWER), across restarts. Replies with
   * the fence's sequence number: the copy must hold every entry before it. Idempotent.
   */
  public record Fence(int toNode, ActorRef<Fenced> replyTo) implements Command {}

  public record Fenced(PartitionError error, String message, long fenceSequenceNr) implements SluiceMessage {}

  /**
   * Reply to Create, Delete, UpdateConfig and the like. {@code topicId}: for a Create refused
   * because the partition belongs to another incarnation of the topic, the id of that
   * incarnation (so it, and only it, can be deleted); else null.
   */
  public record Ack(PartitionError error, String message, String topicId) implements SluiceMessage {
    static final Ack OK = new Ack(PartitionError.NONE, null);

    public Ack(PartitionError error, String message) {
      this(error, message, null);
    }
  }

  /** Reply to {@link Append}; {@code logAppendTime} is -1 unless the topic uses LogAppendTime. */
  public record AppendResult(PartitionError error, String message, long baseOffset, long logAppendTime, long logStartOffset)
      implements SluiceMessage {
    static AppendResult failed(PartitionError error, String message) {
      return new AppendResult(error, message, -1, -1, -1);
    }
  }

  /**
   * Reply to {@link Fetch}: whole stored batches, in offset order. Each buffer holds one or more
   * batches back to back (as a Fetch response carries them) between its position and limit; they
   * are views of the cache or of what the journal read returned, so readers must not change them.
   */
  public record FetchResult(
      PartitionError error, String message, long highWatermark, long logStartOffset, List<ByteBuffer> batches)
      implements SluiceMessage {
    public FetchResult {
      batches = batches == null ? List.of() : batches;
    }

    /** Every record of the returned batches at or after {@code fromOffset}. */
    public List<LogRecord> records(long fromOffset) {
      List<LogRecord> out = new ArrayList<>();
      for (ByteBuffer b : batches) {
        for (LogRecord r : RecordBatches.decode(b)) {
          if (r.offset() >= fromOffset) {
            out.add(r);
          }
        }
      }
      return out;
    }

    public int sizeInBytes() {
      int n = 0;
      for (ByteBuffer b : batches) {
        n += b.remaining();
      }
      return n;
    }
  }

  /**
   * Reply to {@link ListOffsets} (offset -1 when no record has such a timestamp) and to
   * {@link DeleteRecords} (the log start offset after it).
   */
  public record OffsetResult(PartitionError error, String message, long offset, long timestamp) implements SluiceMessage {}

  /** Reply to {@link Describe}. */
  public record PartitionInfo(
      PartitionError error,
      String topic,
      int partition,
      long logStartOffset,
      long highWatermark,
      long sizeInBytes,
      int batchCount,
      TopicConfig config)
      implements SluiceMessage {}

  // ---- wiring --------------------------------------------------------------------------------

  /** The entity id of a topic-partition: {@code <topic>-<partition>}. */
  public static String entityId(String topic, int partition) {
    return topic + "-" + partition;
  }

  /** Registers partitions (and their copies for moves, {@link PartitionReplica}) with Cluster Sharding on this node. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system, PartitionSettings settings, Clock clock) {
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    PartitionJournal journal = new PartitionJournal(Adapter.toClassic(system), settings.journalPluginId(), blocking);
    PartitionReplica.init(system, settings); // the receiving end of partition moves
    return ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, clock, journal, ctx.getShard()))
                // A partition holds a log, its cache and its waiting readers: keep it running.
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
                // a partition's log is on one node: its entity starts only there
                .withMessageExtractor(PartitionPlacement.<Command>oneShardPerEntity())
                .withAllocationStrategy(PartitionPlacement.allocation(system)));
  }

  public static Behavior<Command> create(String entityId, PartitionSettings settings, Clock clock, PartitionJournal journal) {
    return create(entityId, settings, clock, journal, null);
  }

  /**
   * As above; with its {@code shard}, a partition that does not exist (a client asked about an
   * unknown topic-partition) passivates itself after {@code sluice.partition.unknown-partition-idle}, so probing
   * arbitrary partitions cannot pile up idle entities.
   */
  public static Behavior<Command> create(
      String entityId, PartitionSettings settings, Clock clock, PartitionJournal journal,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new PartitionEntity(entityId, ctx, timers, settings, clock, journal, shard)));
  }

  // ---- behaviour -----------------------------------------------------------------------------

  /** {@code readAhead}: a consumer's fetch, after which the next one is likely to follow on. */
  private record PendingFetch(long offset, int maxBytes, int minBytes, boolean readAhead, ActorRef<FetchResult> replyTo) {}

  /**
   * Read-aheads held at once per partition (consumers of several groups catching up on the same
   * partition each have theirs); the oldest is dropped beyond that.
   */
  private static final int MAX_READ_AHEADS = 4;

  private final String persistenceId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final PartitionSettings settings;
  private final Clock clock;
  private final PartitionJournal journal;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  // Transient (not event-sourced): rebuilt empty after a restart.
  private final RecentBatches recent;
  private final Map<Long, PendingFetch> waiting = new LinkedHashMap<>();
  private final java.util.ArrayDeque<Append> queuedAppends = new java.util.ArrayDeque<>();
  private boolean flushScheduled;
  private long nextFetchId;
  private long deleteRequestedUpTo;
  // log compaction: whether one runs, who waits for it, and the log position compacted up to
  // (transient: after a restart the first check compacts the whole log once)
  private boolean compacting;
  private final List<ActorRef<CompactionResult>> compactionWaiters = new ArrayList<>();
  private long compactedUpToPosition;
  private long compactedUpToSequenceNr; // the next compaction takes its keys from after it
  private long compactedBytes; // what the compacted part held after that compaction
  private long tombstoneHorizon = Long.MAX_VALUE; // when a tombstone it kept may go
  // journal reads started before they were asked for: offset -> the batches from that offset on
  private final LinkedHashMap<Long, CompletionStage<List<ByteBuffer>>> readAheads = new LinkedHashMap<>();

  private PartitionEntity(
      String entityId,
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      PartitionSettings settings,
      Clock clock,
      PartitionJournal journal,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
    this.shard = shard;
    this.persistenceId = persistenceId().id();
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.clock = clock;
    this.journal = journal;
    this.recent = new RecentBatches(settings.cacheBytes());
  }

  @Override
  public PartitionState emptyState() {
    return PartitionState.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public boolean shouldSnapshot(PartitionState state, PartitionEvent event, long sequenceNr) {
    // A snapshot after these events lets the released journal prefix be deleted.
    return event instanceof LogTruncated || event instanceof PartitionDeleted;
  }

  @Override
  public SignalHandler<PartitionState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              timers.startTimerWithFixedDelay("retention", new RetentionTick(), settings.retentionCheckInterval());
              timers.startTimerWithFixedDelay("compaction", new CompactionTick(), settings.compactionCheckInterval());
              if (!state.exists()) {
                timers.startSingleTimer("unknown-idle", new PassivateIfUnknown(), settings.unknownPartitionIdle());
              }
            })
        .onSignal(SnapshotCompleted.class, (state, done) -> deleteReleased(state, done.metadata().sequenceNr()))
        .build();
  }

  private void deleteReleased(PartitionState state, long snapshotSequenceNr) {
    long upTo = Math.min(state.releasedSequenceNr(), snapshotSequenceNr);
    if (upTo > deleteRequestedUpTo) {
      deleteRequestedUpTo = upTo;
      journal
          .deleteUpTo(persistenceId, upTo)
          .whenComplete(
              (n, err) -> {
                if (err != null) {
                  ctx.getLog().warn("Deleting journal entries of {} up to {} failed", persistenceId, upTo, err);
                } else if (n > 0) {
                  ctx.getLog().debug("Deleted {} journal entries of {} up to {}", n, persistenceId, upTo);
                }
              });
    }
  }

  @Override
  public EventHandler<PartitionState, PartitionEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(PartitionState::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, PartitionEvent, PartitionState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(UpdateConfig.class, this::onUpdateConfig)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Append.class, this::onAppend)
        .onCommand(Fetch.class, this::onFetch)
        .onCommand(ListOffsets.class, this::onListOffsets)
        .onCommand(Describe.class, this::onDescribe)
        .onCommand(EnforceRetention.class, (state, cmd) -> enforceRetention(state, cmd.replyTo()))
        .onCommand(RetentionTick.class, (state, cmd) -> enforceRetention(state, null))
        .onCommand(DeleteRecords.class, this::onDeleteRecords)
        .onCommand(Compact.class, this::onCompact)
        .onCommand(CompactionTick.class, this::onCompactionTick)
        .onCommand(CompactionDone.class, this::onCompactionDone)
        .onCommand(TimestampLookup.class, this::onTimestampLookup)
        .onCommand(WaitExpired.class, this::onWaitExpired)
        .onCommand(FlushAppends.class, this::onFlushAppends)
        .onCommand(ReadAheadFrom.class, this::onReadAheadFrom)
        .onCommand(BeginCopy.class, this::onBeginCopy)
        .onCommand(ReadRaw.class, this::onReadRaw)
        .onCommand(Fence.class, this::onFence)
        .onCommand(
            PassivateIfUnknown.class,
            (state, cmd) -> {
              if (!state.exists() && shard != null && waiting.isEmpty() && queuedAppends.isEmpty()) {
                shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
              }
              return Effect().noReply();
            })
        .build();
  }

  private ReplyEffect<PartitionEvent, PartitionState> onCreate(PartitionState state, Create cmd) {
    int self = SluiceMembers.selfNodeId(ctx.getSystem());
    if (!state.exists() && cmd.nodeId() >= 0 && self >= 0 && cmd.nodeId() != self) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Ack(PartitionError.NOT_LEADER_OR_FOLLOWER, "placed on node " + cmd.nodeId() + ", started on node " + self));
    }
    if (state.exists()) {
      if (state.topicId().equals(cmd.topicId())) {
        return Effect().reply(cmd.replyTo(), Ack.OK);
      }
      return Effect()
          .reply(
              cmd.replyTo(),
              new Ack(
                  PartitionError.INVALID_REQUEST,
                  "partition exists for another incarnation of the topic (id " + state.topicId() + ")",
                  state.topicId()));
    }
    return Effect()
        .persist(new PartitionCreated(cmd.topic(), cmd.partition(), cmd.topicId(), cmd.config()))
        .thenReply(cmd.replyTo(), s -> Ack.OK);
  }

  private ReplyEffect<PartitionEvent, PartitionState> onUpdateConfig(PartitionState state, UpdateConfig cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), unknownAck());
    }
    return Effect().persist(new ConfigChanged(cmd.config())).thenReply(cmd.replyTo(), s -> Ack.OK);
  }

  private ReplyEffect<PartitionEvent, PartitionState> onDelete(PartitionState state, Delete cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), unknownAck());
    }
    if (cmd.topicId() != null && !cmd.topicId().equals(state.topicId())) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Ack(
                  PartitionError.UNKNOWN_TOPIC_OR_PARTITION,
                  "no partition of topic id " + cmd.topicId() + " here: it belongs to topic id " + state.topicId()));
    }
    return Effect()
        .persist(new PartitionDeleted(cmd.reason()))
        .thenRun(
            s -> failWaiters(s, PartitionError.UNKNOWN_TOPIC_OR_PARTITION, "partition was deleted"))
        .thenReply(cmd.replyTo(), s -> Ack.OK);
  }

  /**
   * Appends are queued and written by {@link FlushAppends}, which this schedules by telling
   * itself: every append already in the mailbox (or stashed behind a write in flight) is
   * queued first, so one journal write carries all of them — a partition keeps many producer
   * batches in flight instead of one.
   */
  private ReplyEffect<PartitionEvent, PartitionState> onAppend(PartitionState state, Append cmd) {
    queuedAppends.add(cmd);
    if (!flushScheduled) {
      flushScheduled = true;
      ctx.getSelf().tell(FlushAppends.INSTANCE);
    }
    return Effect().noReply();
  }

  /** The outcome of one queued append: an event to persist (or none) and the reply to send. */
  private record AppendOutcome(BatchAppended event, AppendResult reply, ActorRef<AppendResult> replyTo) {}

  private ReplyEffect<PartitionEvent, PartitionState> onFlushAppends(PartitionState state, FlushAppends cmd) {
    flushScheduled = false;
    PartitionState next = state;
    List<BatchAppended> events = new ArrayList<>();
    List<AppendOutcome> afterWrite = new ArrayList<>();
    long bytes = 0;
    long now = clock.millis();
    while (!queuedAppends.isEmpty() && events.size() < MAX_APPENDS_PER_WRITE && bytes < MAX_BYTES_PER_WRITE) {
      Append append = queuedAppends.poll();
      AppendOutcome outcome = decideAppend(next, append, now);
      if (outcome.event() != null) {
        events.add(outcome.event());
        next = next.apply(outcome.event()); // later appends of this write see it (offsets, producer sequences)
        bytes += outcome.event().sizeInBytes();
        afterWrite.add(outcome);
      } else if (outcome.reply().error() == PartitionError.NONE) {
        afterWrite.add(outcome); // a duplicate: answer once what it duplicates is durable
      } else {
        outcome.replyTo().tell(outcome.reply());
      }
    }
    if (!queuedAppends.isEmpty()) {
      flushScheduled = true;
      ctx.getSelf().tell(FlushAppends.INSTANCE);
    }
    if (events.isEmpty()) {
      afterWrite.forEach(o -> o.replyTo().tell(o.reply()));
      return Effect().noReply();
    }
    return Effect()
        .persist(List.<PartitionEvent>copyOf(events))
        .thenRun(
            s -> {
              for (BatchAppended e : events) {
                recent.add(e);
              }
              for (AppendOutcome o : afterWrite) {
                o.replyTo().tell(o.reply());
              }
              wakeWaiters(s);
            })
        .thenNoReply();
  }

  /** Validates one append against {@code state}: an event to write, or the reply it gets. */
  private AppendOutcome decideAppend(PartitionState state, Append cmd, long now) {
    if (!state.exists()) {
      return rejected(cmd, PartitionError.UNKNOWN_TOPIC_OR_PARTITION, unknownMessage());
    }
    if (state.fenced()) {
      return rejected(cmd, PartitionError.NOT_LEADER_OR_FOLLOWER, movedMessage(state));
    }
    RecordBatches.BatchInfo info;
    try {
      info = RecordBatches.validate(cmd.batch(), state.config().maxMessageBytes());
    } catch (RecordBatches.InvalidBatchException e) {
      PartitionError error =
          switch (e.problem()) {
            case CORRUPT -> PartitionError.CORRUPT_MESSAGE;
            case EMPTY, NOT_ONE_BATCH -> PartitionError.INVALID_RECORD;
            case TOO_LARGE -> PartitionError.MESSAGE_TOO_LARGE;
          };
      return rejected(cmd, error, e.getMessage());
    }
    if (info.producerId() >= 0) {
      ProducerState producer = state.producers().get(info.producerId());
      int lastSeq = ProducerState.lastSequence(info.baseSequence(), info.recordCount());
      if (producer != null && info.producerEpoch() < producer.epoch()) {
        return rejected(cmd, PartitionError.INVALID_PRODUCER_EPOCH,
            "producer " + info.producerId() + " epoch " + info.producerEpoch() + " is older than " + producer.epoch());
      }
      if (producer != null && info.producerEpoch() == producer.epoch()) {
        ProducerState.WrittenBatch dup = producer.duplicateOf(info.baseSequence(), lastSeq);
        if (dup != null) {
          // a retry of a batch already stored: answer with where it went, store nothing
          return new AppendOutcome(null, new AppendResult(PartitionError.NONE, null, dup.baseOffset(), -1, state.logStartOffset()), cmd.replyTo());
        }
        if (info.baseSequence() != ProducerState.nextSequence(producer.lastSequence())) {
          return rejected(cmd, PartitionError.OUT_OF_ORDER_SEQUENCE_NUMBER,
              "producer " + info.producerId() + " sent sequence " + info.baseSequence() + ", expected " + ProducerState.nextSequence(producer.lastSequence()));
        }
      } else if (info.baseSequence() != 0) {
        return rejected(cmd, PartitionError.OUT_OF_ORDER_SEQUENCE_NUMBER,
            "producer " + info.producerId() + " epoch " + info.producerEpoch() + " is new here and must start at sequence 0, not " + info.baseSequence());
      }
    }
    if (state.config().compact()) {
      long keyless = RecordBatches.firstRecordWithoutKey(cmd.batch());
      if (keyless >= 0) {
        return rejected(cmd, PartitionError.INVALID_RECORD,
            "a compacted topic (cleanup.policy=" + state.config().cleanupPolicy() + ") does not accept records without a key; record "
                + keyless + " of the batch has none");
      }
    }
    byte[] batch = cmd.batch();
    RecordBatches.assignBaseOffset(batch, state.nextOffset());
    if (state.config().logAppendTime()) {
      RecordBatches.stampLogAppendTime(batch, now);
    }
    BatchAppended event = new BatchAppended(now, batch);
    long appendTime = state.config().logAppendTime() ? now : -1L;
    return new AppendOutcome(
        event, new AppendResult(PartitionError.NONE, null, event.baseOffset(), appendTime, state.logStartOffset()), cmd.replyTo());
  }

  private static AppendOutcome rejected(Append cmd, PartitionError error, String message) {
    return new AppendOutcome(null, AppendResult.failed(error, message), cmd.replyTo());
  }

  private ReplyEffect<PartitionEvent, PartitionState> onFetch(PartitionState state, Fetch cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), fetchError(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, state, unknownMessage()));
    }
    if (state.fenced()) {
      return Effect().reply(cmd.replyTo(), fetchError(PartitionError.NOT_LEADER_OR_FOLLOWER, state, movedMessage(state)));
    }
    if (cmd.maxBytes() < 0 || cmd.maxWaitMs() < 0) {
      return Effect().reply(cmd.replyTo(), fetchError(PartitionError.INVALID_REQUEST, state, "maxBytes and maxWaitMs must be >= 0"));
    }
    if (cmd.offset() < state.logStartOffset() || cmd.offset() > state.nextOffset()) {
      return Effect()
          .reply(
              cmd.replyTo(),
              fetchError(
                  PartitionError.OFFSET_OUT_OF_RANGE,
                  state,
                  "offset " + cmd.offset() + " is outside [" + state.logStartOffset() + ", " + state.nextOffset() + "]"));
    }
    PendingFetch fetch = new PendingFetch(cmd.offset(), cmd.maxBytes(), Math.max(1, cmd.minBytes()), true, cmd.replyTo());
    if (cmd.maxWaitMs() > 0 && bytesFrom(state, cmd.offset()) < fetch.minBytes()) {
      long id = nextFetchId++;
      waiting.put(id, fetch);
      Duration wait = Duration.ofMillis(cmd.maxWaitMs());
      timers.startSingleTimer(id, new WaitExpired(id), wait.compareTo(settings.maxFetchWait()) > 0 ? settings.maxFetchWait() : wait);
      return Effect().noReply();
    }
    serve(state, fetch);
    return Effect().noReply();
  }

  private ReplyEffect<PartitionEvent, PartitionState> onWaitExpired(PartitionState state, WaitExpired cmd) {
    PendingFetch fetch = waiting.remove(cmd.fetchId());
    if (fetch != null) {
      serve(state, fetch);
    }
    return Effect().noReply();
  }

  private void wakeWaiters(PartitionState state) {
    if (waiting.isEmpty()) {
      return;
    }
    for (Iterator<Map.Entry<Long, PendingFetch>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, PendingFetch> w = it.next();
      // ready: enough has arrived, or the log start moved past it (OFFSET_OUT_OF_RANGE now, not
      // when its wait ends)
      if (w.getValue().offset() < state.logStartOffset() || bytesFrom(state, w.getValue().offset()) >= w.getValue().minBytes()) {
        timers.cancel(w.getKey());
        it.remove();
        serve(state, w.getValue());
      }
    }
  }

  private static long bytesFrom(PartitionState state, long offset) {
    if (offset >= state.nextOffset()) {
      return 0;
    }
    int i = state.index().indexOf(offset);
    return i < 0 ? 0 : state.endPosition() - state.index().get(i).position();
  }

  /** Replies to the fetch now from the cache, or later from a journal read. */
  private void serve(PartitionState state, PendingFetch fetch) {
    long hw = state.highWatermark();
    long start = state.logStartOffset();
    if (fetch.offset() < start || fetch.offset() > hw) {
      fetch.replyTo().tell(fetchError(PartitionError.OFFSET_OUT_OF_RANGE, state, "offset " + fetch.offset() + " is no longer in the log"));
      return;
    }
    if (fetch.offset() == hw) {
      fetch.replyTo().tell(new FetchResult(PartitionError.NONE, null, hw, start, List.of()));
      return;
    }
    // taken before the cache is asked: one the cache has caught up with is not kept for nothing
    CompletionStage<List<ByteBuffer>> ahead = readAheads.remove(fetch.offset());
    List<BatchAppended> cached = recent.from(fetch.offset(), fetch.maxBytes());
    if (cached != null) {
      fetch.replyTo().tell(new FetchResult(PartitionError.NONE, null, hw, start, bytesOf(cached)));
      return;
    }
    CompletionStage<List<ByteBuffer>> read =
        ahead != null
            ? ahead.thenApply(batches -> upTo(batches, fetch.maxBytes()))
            : readJournal(state, fetch.offset(), fetch.maxBytes());
    ActorRef<Command> self = ctx.getSelf();
    int readAheadBytes = (int) Math.min(settings.readAheadBytes(), fetch.maxBytes());
    read.whenComplete(
            (batches, err) -> {
              if (err != null) {
                ctx.getSystem().log().warn("Reading {} from offset {} failed", persistenceId, fetch.offset(), err);
                fetch.replyTo().tell(new FetchResult(PartitionError.KAFKA_STORAGE_ERROR, err.toString(), hw, start, List.of()));
              } else if (batches.isEmpty() || RecordBatches.baseOffset(batches.get(0)) > fetch.offset()) {
                // retention removed it between the check and the read
                fetch.replyTo().tell(new FetchResult(PartitionError.OFFSET_OUT_OF_RANGE, "offset " + fetch.offset() + " was deleted by retention", hw, start, List.of()));
              } else {
                // before the reply, so it is queued before the consumer's next fetch can be
                if (fetch.readAhead() && readAheadBytes > 0) {
                  self.tell(new ReadAheadFrom(RecordBatches.nextOffsetAfter(batches.get(batches.size() - 1)), readAheadBytes));
                }
                // views of the journal entries: served as they are, uncopied
                fetch.replyTo().tell(new FetchResult(PartitionError.NONE, null, hw, start, batches));
              }
            });
  }

  /**
   * The batches stored from the one containing {@code offset}, up to {@code maxBytes} of them: the
   * index says which, so the journal reads no entry that the fetch would not return.
   */
  private CompletionStage<List<ByteBuffer>> readJournal(PartitionState state, long offset, int maxBytes) {
    int from = state.index().indexOf(offset);
    int to = state.index().lastWithin(from, maxBytes);
    return journal.readBatchBuffers(persistenceId, state.index().get(from).sequenceNr(), state.index().get(to).sequenceNr(), maxBytes);
  }

  /** The leading batches within {@code maxBytes} (the first one always), as a fetch returns them. */
  private static List<ByteBuffer> upTo(List<ByteBuffer> batches, int maxBytes) {
    long total = 0;
    for (int n = 0; n < batches.size(); n++) {
      total += batches.get(n).remaining();
      if (n > 0 && total > maxBytes) {
        return batches.subList(0, n);
      }
    }
    return batches;
  }

  /**
   * Starts the read of what follows a fetch served from the journal, unless nothing follows it
   * yet, the cache holds it, or the log stopped serving here.
   */
  private ReplyEffect<PartitionEvent, PartitionState> onReadAheadFrom(PartitionState state, ReadAheadFrom cmd) {
    if (state.exists()
        && !state.fenced()
        && cmd.offset() >= state.logStartOffset()
        && cmd.offset() < state.highWatermark()
        && !readAheads.containsKey(cmd.offset())
        && recent.from(cmd.offset(), 1) == null) {
      if (readAheads.size() >= MAX_READ_AHEADS) {
        readAheads.remove(readAheads.keySet().iterator().next());
      }
      readAheads.put(cmd.offset(), readJournal(state, cmd.offset(), cmd.maxBytes()));
    }
    return Effect().noReply();
  }

  private static List<ByteBuffer> bytesOf(List<BatchAppended> batches) {
    List<ByteBuffer> out = new ArrayList<>(batches.size());
    for (BatchAppended b : batches) {
      out.add(ByteBuffer.wrap(b.batch()));
    }
    return out;
  }

  private ReplyEffect<PartitionEvent, PartitionState> onListOffsets(PartitionState state, ListOffsets cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, unknownMessage(), -1, -1));
    }
    if (state.fenced()) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.NOT_LEADER_OR_FOLLOWER, movedMessage(state), -1, -1));
    }
    if (cmd.timestamp() == EARLIEST) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.NONE, null, state.logStartOffset(), -1));
    }
    if (cmd.timestamp() == LATEST) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.NONE, null, state.nextOffset(), -1));
    }
    if (cmd.timestamp() < 0) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.INVALID_REQUEST, "unsupported timestamp " + cmd.timestamp(), -1, -1));
    }
    int i = state.index().indexOfTimestamp(cmd.timestamp());
    if (i < 0) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.NONE, null, -1, -1));
    }
    lookUpTimestamp(state, i, state.logStartOffset(), cmd.timestamp(), cmd.replyTo());
    return Effect().noReply();
  }

  private ReplyEffect<PartitionEvent, PartitionState> onTimestampLookup(PartitionState state, TimestampLookup cmd) {
    int i = state.exists() && !state.fenced() ? state.index().indexOf(Math.max(cmd.fromOffset(), state.logStartOffset())) : -1;
    if (i < 0) {
      cmd.replyTo().tell(new OffsetResult(PartitionError.NONE, null, -1, -1));
    } else {
      lookUpTimestamp(state, i, cmd.fromOffset(), cmd.timestamp(), cmd.replyTo());
    }
    return Effect().noReply();
  }

  /**
   * Finds the first record at or after {@code fromOffset} with a timestamp >= {@code timestamp},
   * from batch {@code i} on: reads the first batch whose own newest timestamp reaches it and, if
   * none of its records there does (DeleteRecords left the log start inside it, or compaction
   * took them), goes on after it ({@link TimestampLookup}); -1 when no record that late is left.
   */
  private void lookUpTimestamp(PartitionState state, int i, long fromOffset, long timestamp, ActorRef<OffsetResult> replyTo) {
    BatchIndex index = state.index();
    while (i < index.size() && index.get(i).maxTimestamp() < timestamp) {
      i++;
    }
    if (i >= index.size()) {
      replyTo.tell(new OffsetResult(PartitionError.NONE, null, -1, -1));
      return;
    }
    BatchRef ref = index.get(i);
    long from = Math.max(Math.max(ref.baseOffset(), fromOffset), state.logStartOffset());
    ActorRef<Command> self = ctx.getSelf();
    ActorRef<FetchResult> adapter =
        ctx.spawnAnonymous(
            Behaviors.receive(FetchResult.class)
                .onAnyMessage(
                    r -> {
                      OffsetResult found = firstAtOrAfter(r, from, timestamp);
                      if (found != null) {
                        replyTo.tell(found);
                      } else {
                        self.tell(new TimestampLookup(ref.nextOffset(), timestamp, replyTo));
                      }
                      return Behaviors.stopped();
                    })
                .build());
    serve(state, new PendingFetch(from, ref.sizeInBytes(), 1, false, adapter));
  }

  /** The first record of {@code r} at or after {@code from} with a timestamp >= {@code timestamp}; null if none. */
  private static OffsetResult firstAtOrAfter(FetchResult r, long from, long timestamp) {
    if (r.error() != PartitionError.NONE) {
      return new OffsetResult(r.error(), r.message(), -1, -1);
    }
    for (LogRecord rec : r.records(from)) {
      if (rec.timestamp() >= timestamp) {
        return new OffsetResult(PartitionError.NONE, null, rec.offset(), rec.timestamp());
      }
    }
    return null;
  }

  private ReplyEffect<PartitionEvent, PartitionState> onDescribe(PartitionState state, Describe cmd) {
    if (!state.exists()) {
      return Effect()
          .reply(cmd.replyTo(), new PartitionInfo(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, null, -1, -1, -1, 0, 0, null));
    }
    return Effect()
        .reply(
            cmd.replyTo(),
            new PartitionInfo(
                PartitionError.NONE,
                state.topic(),
                state.partition(),
                state.logStartOffset(),
                state.highWatermark(),
                state.sizeInBytes(),
                state.index().size(),
                state.config()));
  }

  private ReplyEffect<PartitionEvent, PartitionState> enforceRetention(PartitionState state, ActorRef<Ack> replyTo) {
    if (!state.exists()) {
      return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, unknownAck());
    }
    if (state.fenced()) {
      // the log's new node applies retention; nothing may be journaled after the fence
      return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, Ack.OK);
    }
    long newStart = state.retentionStartOffset(clock.millis());
    if (newStart <= state.logStartOffset()) {
      return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, Ack.OK);
    }
    String reason =
        "retention (retention.ms=" + state.config().retentionMs() + ", retention.bytes=" + state.config().retentionBytes() + ")";
    var effect = truncate(state, newStart, reason);
    return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, s -> Ack.OK);
  }

  // ---- log compaction ------------------------------------------------------------------------

  private ReplyEffect<PartitionEvent, PartitionState> onCompact(PartitionState state, Compact cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), CompactionResult.failed(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, unknownMessage()));
    }
    if (state.fenced()) {
      return Effect().reply(cmd.replyTo(), CompactionResult.failed(PartitionError.NOT_LEADER_OR_FOLLOWER, movedMessage(state)));
    }
    if (!state.config().compact()) {
      return Effect().reply(cmd.replyTo(), CompactionResult.failed(PartitionError.INVALID_REQUEST,
          "the topic is not compacted (cleanup.policy=" + state.config().cleanupPolicy() + ")"));
    }
    compactionWaiters.add(cmd.replyTo());
    if (!compacting) {
      startCompaction(state);
    }
    return Effect().noReply();
  }

  private ReplyEffect<PartitionEvent, PartitionState> onCompactionTick(PartitionState state, CompactionTick cmd) {
    if (state.exists() && !state.fenced() && state.config().compact() && !compacting && !state.index().isEmpty()) {
      // Kafka's dirty ratio: bytes written since the last compaction over those plus what the
      // compacted part holds now (the index counts batches as appended, so not from the index)
      long start = state.index().first().position();
      long dirty = state.endPosition() - Math.max(start, compactedUpToPosition);
      long clean = compactedUpToPosition > start ? compactedBytes : 0;
      boolean tombstonesDue = clock.millis() >= tombstoneHorizon;
      if (tombstonesDue || (dirty > 0 && dirty >= state.config().minCleanableDirtyRatio() * (clean + dirty))) {
        startCompaction(state);
      }
    }
    return Effect().noReply();
  }

  /**
   * Compacts the batches from the log start up to the newest one whose records are all older
   * than {@code min.compaction.lag.ms} (by default: to the high watermark), off the actor.
   */
  private void startCompaction(PartitionState state) {
    BatchIndex index = state.index();
    long now = clock.millis();
    long lag = state.config().minCompactionLagMs();
    int last = index.size() - 1;
    while (lag > 0 && last >= 0 && index.get(last).maxTimestamp() > now - lag) {
      last--;
    }
    if (last < 0) {
      finishCompaction(new CompactionResult(PartitionError.NONE, null, -1, -1, 0, 0, 0, 0, 0));
      return;
    }
    compacting = true;
    ctx.pipeToSelf(
        journal.compact(
            persistenceId, index.first().sequenceNr(), compactedUpToSequenceNr + 1, index.get(last).sequenceNr(), now,
            state.config().deleteRetentionMs(), settings.compactionMaxKeys(), 8 << 20),
        CompactionDone::new);
  }

  private ReplyEffect<PartitionEvent, PartitionState> onCompactionDone(PartitionState state, CompactionDone done) {
    compacting = false;
    if (done.failure() != null) {
      ctx.getLog().warn("{}: compaction failed; the next check tries again", persistenceId, done.failure());
      finishCompaction(CompactionResult.failed(PartitionError.KAFKA_STORAGE_ERROR, "compaction failed: " + done.failure().getMessage()));
      return Effect().noReply();
    }
    PartitionJournal.Compaction c = done.result();
    // what the caches hold of the compacted range is stale (still correct: the records it has
    // lost were superseded); readers get the compacted batches from now on
    recent.clear();
    readAheads.clear();
    int last = c.endOffset() > 0 ? state.index().indexOf(c.endOffset() - 1) : -1;
    if (last >= 0) {
      compactedUpToPosition = state.index().get(last).endPosition();
      compactedBytes = c.bytesAfter();
    }
    compactedUpToSequenceNr = Math.max(compactedUpToSequenceNr, c.lastSequenceNr());
    tombstoneHorizon = c.deleteHorizon();
    if (c.batchesRewritten() > 0) {
      ctx.getLog().info(
          "{}: compacted offsets {}..{}: {} of {} batches rewritten, {} -> {} records, {} -> {} bytes ({} keys)",
          persistenceId, c.fromOffset(), c.endOffset() - 1, c.batchesRewritten(), c.batchesRead(), c.recordsBefore(),
          c.recordsAfter(), c.bytesBefore(), c.bytesAfter(), c.keys());
    }
    finishCompaction(new CompactionResult(
        PartitionError.NONE, null, c.fromOffset(), c.endOffset(), c.batchesRewritten(), c.bytesBefore(), c.bytesAfter(),
        c.recordsBefore(), c.recordsAfter()));
    return Effect().noReply();
  }

  private void finishCompaction(CompactionResult result) {
    compactionWaiters.forEach(w -> w.tell(result));
    compactionWaiters.clear();
  }

  private ReplyEffect<PartitionEvent, PartitionState> onDeleteRecords(PartitionState state, DeleteRecords cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, unknownMessage(), -1, -1));
    }
    if (state.fenced()) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.NOT_LEADER_OR_FOLLOWER, movedMessage(state), -1, -1));
    }
    long hw = state.highWatermark();
    long newStart = cmd.beforeOffset() == LATEST ? hw : cmd.beforeOffset();
    if (newStart < 0 || newStart > hw) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new OffsetResult(
                  PartitionError.OFFSET_OUT_OF_RANGE,
                  "cannot delete records before offset " + cmd.beforeOffset() + ": the high watermark is " + hw,
                  -1,
                  -1));
    }
    if (newStart <= state.logStartOffset()) {
      return Effect().reply(cmd.replyTo(), new OffsetResult(PartitionError.NONE, null, state.logStartOffset(), -1));
    }
    return truncate(state, newStart, "DeleteRecords").thenReply(cmd.replyTo(), s -> new OffsetResult(PartitionError.NONE, null, s.logStartOffset(), -1));
  }

  /** Persists the new log start offset and drops what the caches hold below it. */
  private EffectBuilder<PartitionEvent, PartitionState> truncate(
      PartitionState state, long newStart, String reason) {
    ctx.getLog().info("{}: log start offset {} -> {} by {}", persistenceId, state.logStartOffset(), newStart, reason);
    return Effect()
        .persist(new LogTruncated(newStart, reason))
        .thenRun(
            s -> {
              recent.evictBelow(s.logStartOffset());
              readAheads.clear();
              wakeWaiters(s);
            });
  }

  private ReplyEffect<PartitionEvent, PartitionState> onBeginCopy(PartitionState state, BeginCopy cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), new CopyStart(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, unknownMessage(), null));
    }
    return Effect().reply(cmd.replyTo(), new CopyStart(PartitionError.NONE, null, state));
  }

  private ReplyEffect<PartitionEvent, PartitionState> onReadRaw(PartitionState state, ReadRaw cmd) {
    long last = state.sequenceNr();
    long fencedAt = state.fenced() ? state.fence().sequenceNr() : -1L;
    ActorRef<RawEntries> replyTo = cmd.replyTo();
    journal
        .readRaw(persistenceId, cmd.fromSequenceNr(), Math.max(1, cmd.maxBytes()))
        .whenComplete(
            (entries, err) -> replyTo.tell(
                err != null
                    ? new RawEntries(PartitionError.KAFKA_STORAGE_ERROR, err.toString(), List.of(), last, fencedAt)
                    : new RawEntries(PartitionError.NONE, null, entries, last, fencedAt)));
    return Effect().noReply();
  }

  private ReplyEffect<PartitionEvent, PartitionState> onFence(PartitionState state, Fence cmd) {
    if (!state.exists()) {
      return Effect().reply(cmd.replyTo(), new Fenced(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, unknownMessage(), -1));
    }
    if (state.fenced()) {
      if (state.fence().toNode() == cmd.toNode()) {
        return Effect().reply(cmd.replyTo(), new Fenced(PartitionError.NONE, null, state.fence().sequenceNr()));
      }
      return Effect().reply(cmd.replyTo(), new Fenced(PartitionError.INVALID_REQUEST, movedMessage(state), -1));
    }
    ctx.getLog().info("{}: fenced at offset {} for its move to node {}", persistenceId, state.nextOffset(), cmd.toNode());
    return Effect()
        .persist(new PartitionFenced(cmd.toNode(), clock.millis()))
        .thenRun(
            s -> failWaiters(s, PartitionError.NOT_LEADER_OR_FOLLOWER, movedMessage(s)))
        .thenReply(cmd.replyTo(), s -> new Fenced(PartitionError.NONE, null, s.fence().sequenceNr()));
  }

  /** The log here stopped serving (deleted, or moved away): empties the cache, answers every waiting fetch. */
  private void failWaiters(PartitionState state, PartitionError error, String message) {
    recent.clear();
    readAheads.clear();
    for (Iterator<Map.Entry<Long, PendingFetch>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Long, PendingFetch> w = it.next();
      timers.cancel(w.getKey());
      w.getValue().replyTo().tell(fetchError(error, state, message));
      it.remove();
    }
  }

  private String movedMessage(PartitionState state) {
    return "partition " + persistenceId + " moved to node " + state.fence().toNode();
  }

  private static FetchResult fetchError(PartitionError error, PartitionState state, String message) {
    return new FetchResult(error, message, state.highWatermark(), state.logStartOffset(), List.of());
  }

  private String unknownMessage() {
    return "partition " + persistenceId + " does not exist";
  }

  private Ack unknownAck() {
    return new Ack(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, unknownMessage());
  }
}
