package dev.sluice.actors.group;

import dev.sluice.actors.cluster.MetadataEntity;
import dev.sluice.actors.cluster.MetadataNode;
import dev.sluice.actors.group.GroupCoordinatorState.Decision;
import dev.sluice.actors.group.GroupProtocol.Command;
import dev.sluice.actors.group.GroupProtocol.CommitOffsets;
import dev.sluice.actors.group.GroupProtocol.DeleteGroup;
import dev.sluice.actors.group.GroupProtocol.DeleteOffsets;
import dev.sluice.actors.group.GroupProtocol.Describe;
import dev.sluice.actors.group.GroupProtocol.FetchOffsets;
import dev.sluice.actors.group.GroupProtocol.Heartbeat;
import dev.sluice.actors.group.GroupProtocol.JoinGroup;
import dev.sluice.actors.group.GroupProtocol.JoinResult;
import dev.sluice.actors.group.GroupProtocol.LeaveGroup;
import dev.sluice.actors.group.GroupProtocol.SyncGroup;
import dev.sluice.actors.group.GroupProtocol.SyncResult;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator of one consumer group (Kafka's classic group protocol): an event-sourced,
 * sharded entity whose id is the group id. Its logic is {@link GroupCoordinatorState}; this
 * class wires it to Pekko.
 *
 * <p>What is journaled: the group's metadata when a generation settles or the group becomes
 * empty, offset commits and deletions, and the group's deletion ({@link GroupEvent}). What is
 * not: the membership in between ({@link LiveGroup}), held JoinGroup/SyncGroup replies and
 * timers. After a restart the group resumes Stable at its last stored generation, its members'
 * sessions starting afresh (as Kafka does when a coordinator moves); held requests are lost and
 * their clients retry.
 *
 * <p>JoinGroup and SyncGroup replies that wait for the rest of the group are held here, by
 * member id, and sent when a later command or timer completes the phase. Every reply goes out
 * after the events of its decision are journaled. Timers: one per member session, the join-phase
 * and sync-phase deadlines, and the periodic offset-retention check.
 */
public final class GroupCoordinator
    extends MetadataEntity<Command, GroupEvent, GroupCoordinatorState> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "sluice-group");

  private static final Logger LOG = LoggerFactory.getLogger(GroupCoordinator.class);

  // ---- internal messages (timers) ------------------------------------------------------------

  /** Timer: a member's session (or a pending member id's wait) may have timed out. */
  record SessionExpired(String memberId) implements GroupProtocol.Internal {}

  /** Timer: the join phase's deadline (rebalance timeout, or the initial rebalance delay). */
  record JoinPhaseDeadline() implements GroupProtocol.Internal {}

  /** Timer: members that have not sent SyncGroup by now are removed. */
  record SyncPhaseDeadline() implements GroupProtocol.Internal {}

  /** Timer: look for expired offsets. */
  record OffsetsRetentionTick() implements GroupProtocol.Internal {}

  private static final String JOIN_TIMER = "join";
  private static final String SYNC_TIMER = "sync";
  private static final String RETENTION_TIMER = "retention";
  private static final String SESSION_TIMER_PREFIX = "session:";
  private static final String PENDING_TIMER_PREFIX = "pending:";

  // ---- wiring --------------------------------------------------------------------------------

  /** Registers group coordinators with Cluster Sharding on this node, with the settings from config. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system) {
    return init(system, GroupSettings.fromConfig(system.settings().config()), Clock.systemUTC());
  }

  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system, GroupSettings settings, Clock clock) {
    return ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, clock, ctx.getShard()))
                // A coordinator holds members' sessions and parked requests: keep it running.
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
                .withStopMessage(new HandOff())
                .withAllocationStrategy(MetadataNode.allocation(system, "group coordinator")));
  }

  /** The coordinator of {@code groupId}, wherever sharding placed it. */
  public static EntityRef<Command> entityRef(ActorSystem<?> system, String groupId) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, groupId);
  }

  public static Behavior<Command> create(String groupId, GroupSettings settings, Clock clock) {
    return create(groupId, settings, clock, null);
  }

  /**
   * As above; with its {@code shard}, a coordinator of a group that does not exist (asked about by
   * a client, e.g. OffsetFetch or Describe for an unknown id) and has no members stops after
   * {@code sluice.group.unknown-group-idle}, so asking about arbitrary group ids cannot pile up entities.
   */
  public static Behavior<Command> create(
      String groupId, GroupSettings settings, Clock clock, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new GroupCoordinator(groupId, ctx, timers, settings, clock, shard)));
  }

  /** Sent to itself: a group that still does not exist and has no members stops. */
  record PassivateIfUnknown() implements GroupProtocol.Internal {}

  /**
   * Cluster Sharding's stop message for a coordinator: it moves to another node (a node whose
   * turn it is came up), its node shuts down, or it is passivated. Held JoinGroup and SyncGroup
   * requests are answered NOT_COORDINATOR first, as Kafka's coordinator answers them when it
   * gives up a group: the members find the coordinator again and rejoin at once, instead of
   * waiting out their request timeout (for a consumer, max.poll.interval.ms plus 5 s).
   */
  public record HandOff() implements GroupProtocol.Internal {}

  // ---- behaviour -----------------------------------------------------------------------------

  private final String groupId;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final GroupSettings settings;
  private final Clock clock;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  // Transient, confined to the actor: rebuilt after a restart.
  private LiveGroup live = LiveGroup.initial();
  private final Map<String, ActorRef<JoinResult>> heldJoins = new HashMap<>();
  private final Map<String, ActorRef<SyncResult>> heldSyncs = new HashMap<>();
  /** Deadline of every armed timer by key, to re-arm only what changed. */
  private Map<String, Long> armed = new HashMap<>();

  private GroupCoordinator(
      String groupId, ActorContext<Command> ctx, TimerScheduler<Command> timers, GroupSettings settings, Clock clock,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), groupId));
    this.groupId = groupId;
    this.shard = shard;
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public GroupCoordinatorState emptyState() {
    return GroupCoordinatorState.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // Snapshots hold the whole group: older events are not needed once one is saved.
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 1).withDeleteEventsOnSnapshot();
  }

  @Override
  public boolean shouldSnapshot(GroupCoordinatorState state, GroupEvent event, long sequenceNr) {
    return event instanceof GroupEvent.GroupDeleted;
  }

  @Override
  public SignalHandler<GroupCoordinatorState> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted).build();
  }

  private void onRecoveryCompleted(GroupCoordinatorState state) {
    live = LiveGroup.restore(state, clock.millis());
    if (state.exists()) {
      LOG.info(
          "Group '{}' recovered: {} at generation {} with {} members and {} committed offsets",
          groupId, live.state().kafkaName(), live.generationId(), live.members().size(), state.offsetCount());
    }
    syncTimers();
    timers.startTimerWithFixedDelay(RETENTION_TIMER, new OffsetsRetentionTick(), settings.offsetsRetentionCheckInterval());
    if (!state.exists()) {
      timers.startSingleTimer("unknown-idle", new PassivateIfUnknown(), settings.unknownGroupIdle());
    }
  }

  private ReplyEffect<GroupEvent, GroupCoordinatorState> onPassivateIfUnknown(GroupCoordinatorState state) {
    if (!state.exists()) {
      if (live.members().isEmpty() && live.pendingMembers().isEmpty() && shard != null) {
        shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
      } else {
        timers.startSingleTimer("unknown-idle", new PassivateIfUnknown(), settings.unknownGroupIdle()); // still forming
      }
    }
    return Effect().noReply();
  }

  @Override
  public EventHandler<GroupCoordinatorState, GroupEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(GroupCoordinatorState::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, GroupEvent, GroupCoordinatorState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(JoinGroup.class, this::onJoinGroup)
        .onCommand(SyncGroup.class, this::onSyncGroup)
        .onCommand(
            Heartbeat.class,
            (state, cmd) -> apply(state, state.heartbeat(live, settings, clock.millis(), cmd), cmd.replyTo()))
        .onCommand(
            LeaveGroup.class, (state, cmd) -> apply(state, state.leave(live, settings, clock.millis(), cmd), cmd.replyTo()))
        .onCommand(
            CommitOffsets.class,
            (state, cmd) -> apply(state, state.commit(live, settings, clock.millis(), cmd), cmd.replyTo()))
        .onCommand(FetchOffsets.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state.fetchOffsets(cmd.partitions())))
        .onCommand(Describe.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state.describe(live, groupId)))
        .onCommand(
            DeleteGroup.class, (state, cmd) -> apply(state, state.deleteGroup(live, settings, clock.millis()), cmd.replyTo()))
        .onCommand(
            DeleteOffsets.class,
            (state, cmd) -> apply(state, state.deleteOffsets(live, settings, clock.millis(), cmd.partitions()), cmd.replyTo()))
        .onCommand(SessionExpired.class, (state, cmd) -> onTimer(state, SESSION_TIMER_PREFIX + cmd.memberId(), PENDING_TIMER_PREFIX + cmd.memberId()))
        .onCommand(JoinPhaseDeadline.class, (state, cmd) -> onTimer(state, JOIN_TIMER))
        .onCommand(PassivateIfUnknown.class, (state, cmd) -> onPassivateIfUnknown(state))
        .onCommand(HandOff.class, (state, cmd) -> onHandOff())
        .onCommand(SyncPhaseDeadline.class, (state, cmd) -> onTimer(state, SYNC_TIMER))
        .onCommand(
            OffsetsRetentionTick.class, (state, cmd) -> apply(state, state.expireOffsets(live, settings, clock.millis()), null))
        .build();
  }

  private ReplyEffect<GroupEvent, GroupCoordinatorState> onJoinGroup(GroupCoordinatorState state, JoinGroup cmd) {
    String newMemberId = (cmd.clientId() == null ? "" : cmd.clientId()) + "-" + UUID.randomUUID();
    Decision<JoinResult> d = state.join(live, settings, clock.millis(), cmd, newMemberId);
    if (d.heldAs() != null) {
      supersede(heldJoins.put(d.heldAs(), cmd.replyTo()), JoinResult.failed(GroupError.REBALANCE_IN_PROGRESS, d.heldAs()));
    }
    return apply(state, d, cmd.replyTo());
  }

  private ReplyEffect<GroupEvent, GroupCoordinatorState> onSyncGroup(GroupCoordinatorState state, SyncGroup cmd) {
    Decision<SyncResult> d = state.sync(live, settings, clock.millis(), cmd);
    if (d.heldAs() != null) {
      supersede(heldSyncs.put(d.heldAs(), cmd.replyTo()), GroupCoordinatorState.syncError(GroupError.REBALANCE_IN_PROGRESS));
    }
    return apply(state, d, cmd.replyTo());
  }

  private ReplyEffect<GroupEvent, GroupCoordinatorState> onHandOff() {
    if (!heldJoins.isEmpty() || !heldSyncs.isEmpty()) {
      LOG.info(
          "Group '{}': its coordinator stops here (moving to another node, or shutting down); {} held JoinGroup and {}"
              + " SyncGroup requests are answered NOT_COORDINATOR",
          groupId, heldJoins.size(), heldSyncs.size());
    }
    heldJoins.forEach((memberId, ref) -> ref.tell(JoinResult.failed(GroupError.NOT_COORDINATOR, memberId)));
    heldSyncs.forEach((memberId, ref) -> ref.tell(GroupCoordinatorState.syncError(GroupError.NOT_COORDINATOR)));
    heldJoins.clear();
    heldSyncs.clear();
    return Effect().stop().thenNoReply();
  }

  /** A member sent the same request again while the first was held: the first gets an answer. */
  private static <T> void supersede(ActorRef<T> previous, T answer) {
    if (previous != null) {
      previous.tell(answer);
    }
  }

  private ReplyEffect<GroupEvent, GroupCoordinatorState> onTimer(GroupCoordinatorState state, String... firedKeys) {
    for (String key : firedKeys) {
      armed.remove(key); // re-armed below if its deadline has not actually passed
    }
    return apply(state, state.expire(live, settings, clock.millis()), null);
  }

  /**
   * Takes on the decision's live group and timers at once (later commands wait while events are
   * journaled), then journals its events and sends its replies.
   */
  private <R> ReplyEffect<GroupEvent, GroupCoordinatorState> apply(
      GroupCoordinatorState before, Decision<R> d, ActorRef<R> replyTo) {
    live = d.live();
    syncTimers();
    for (String note : d.notes()) {
      LOG.info("Group '{}': {}", groupId, note);
    }
    if (d.events().isEmpty()) {
      dispatch(d, replyTo);
      return Effect().noReply();
    }
    return Effect()
        .persist(d.events())
        .thenRun(
            after -> {
              updateDirectory(before, after); // before the client hears of it
              dispatch(d, replyTo);
            })
        .thenNoReply();
  }

  private <R> void dispatch(Decision<R> d, ActorRef<R> replyTo) {
    if (d.reply() != null && replyTo != null) {
      replyTo.tell(d.reply());
    }
    d.joinReplies()
        .forEach(
            (memberId, result) -> {
              ActorRef<JoinResult> ref = heldJoins.remove(memberId);
              if (ref != null) {
                ref.tell(result);
              }
            });
    d.syncReplies()
        .forEach(
            (memberId, result) -> {
              ActorRef<SyncResult> ref = heldSyncs.remove(memberId);
              if (ref != null) {
                ref.tell(result);
              }
            });
  }

  /** ListGroups enumerates the directory: a group is listed from its first stored event until deleted. */
  private void updateDirectory(GroupCoordinatorState before, GroupCoordinatorState after) {
    try {
      if (!before.exists() && after.exists()) {
        GroupDirectory.entityRef(ctx.getSystem()).tell(new GroupDirectory.Register(groupId, ctx.getSystem().ignoreRef()));
      } else if (before.exists() && !after.exists()) {
        GroupDirectory.entityRef(ctx.getSystem()).tell(new GroupDirectory.Unregister(groupId, ctx.getSystem().ignoreRef()));
      }
    } catch (RuntimeException e) { // e.g. the directory is not started on this node
      LOG.warn("Group '{}': could not update the group directory", groupId, e);
    }
  }

  /** Arms a timer for every deadline of the live group that is not armed yet; cancels the rest. */
  private void syncTimers() {
    Map<String, Long> wanted = new HashMap<>();
    for (LiveGroup.Member m : live.members().values()) {
      if (m.sessionRunning()) {
        wanted.put(SESSION_TIMER_PREFIX + m.memberId(), m.sessionDeadline());
      }
    }
    live.pendingMembers().forEach((memberId, deadline) -> wanted.put(PENDING_TIMER_PREFIX + memberId, deadline));
    if (live.state() == GroupState.PREPARING_REBALANCE && live.joinDeadline() >= 0) {
      wanted.put(JOIN_TIMER, live.joinDeadline());
    }
    if (live.syncDeadline() >= 0) {
      wanted.put(SYNC_TIMER, live.syncDeadline());
    }
    long now = clock.millis();
    wanted.forEach(
        (key, deadline) -> {
          if (!deadline.equals(armed.get(key))) {
            timers.startSingleTimer(key, timerMessage(key), Duration.ofMillis(Math.max(0L, deadline - now)));
          }
        });
    for (String key : armed.keySet()) {
      if (!wanted.containsKey(key)) {
        timers.cancel(key);
      }
    }
    armed = wanted;
  }

  private static Command timerMessage(String key) {
    if (key.startsWith(SESSION_TIMER_PREFIX)) {
      return new SessionExpired(key.substring(SESSION_TIMER_PREFIX.length()));
    } else if (key.startsWith(PENDING_TIMER_PREFIX)) {
      return new SessionExpired(key.substring(PENDING_TIMER_PREFIX.length()));
    } else if (key.equals(JOIN_TIMER)) {
      return new JoinPhaseDeadline();
    }
    return new SyncPhaseDeadline();
  }
}
