package dev.sluice.actors.registry;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.cluster.MetadataEntity;
import dev.sluice.actors.cluster.MetadataNode;
import dev.sluice.actors.cluster.SluiceMembers;
import dev.sluice.actors.registry.TopicRegistryEvent.PartitionsAdded;
import dev.sluice.actors.registry.TopicRegistryState.Decision;
import dev.sluice.persistence.Failures;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.serialization.SluiceMessage;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
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
 * The topic registry: the cluster's durable table of topics (name, id, partition count,
 * settings). One event-sourced entity, sharded under the single id {@value #ENTITY_ID}; reach it
 * with {@link #entityRef}. Its logic lives in {@link TopicRegistryState}.
 *
 * <p>Every command gets a typed reply. A change is persisted first; then the registry brings
 * the affected partition entities in line (Create, Delete or UpdateConfig) and answers when all
 * of them confirmed. A partition that does not confirm in time makes the reply
 * {@link TopicError#REQUEST_TIMED_OUT}: the change stands, and the registry retries that
 * partition in the background with backoff for as long as the topic's state still calls for it.
 *
 * <p>Partition requests go out from the registry's own thread, in the order the changes were
 * decided, at most {@code max-partition-requests-in-flight} at once; each request is built from
 * the table as it is when the request goes out, so a request made stale by a later change is
 * dropped rather than undoing that change. Bringing a partition in line means: Create it
 * (idempotent), then Describe it and send UpdateConfig if its settings differ from the table. A
 * partition left over from an earlier incarnation of the name (another topic id, e.g. a crash
 * came between a deletion and the partitions' Delete) refuses the Create; the registry deletes
 * it and creates it afresh, since the table is the authority.
 *
 * <p>After recovery the registry brings every partition of every topic in line, so a crash
 * between a persisted change and the partition requests heals itself. A deletion is finished
 * the same way: the table keeps a deleted topic's partitions until each confirmed its Delete
 * ({@link TopicRegistryState#pendingDeletions}), and a recovered registry sends the Deletes
 * still pending again.
 */
public final class TopicRegistry
    extends MetadataEntity<TopicRegistry.Command, TopicRegistryEvent, TopicRegistryState> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "sluice-topic-registry");

  /** The registry's one entity id. */
  public static final String ENTITY_ID = "topics";

  private static final Logger LOG = LoggerFactory.getLogger(TopicRegistry.class);

  // ---- protocol ------------------------------------------------------------------------------

  /** Commands of the registry. */
  public sealed interface Command extends SluiceMessage
      permits CreateTopic,
          DescribeTopic,
          ListTopics,
          DeleteTopic,
          CreatePartitions,
          AlterTopicConfig,
          LocatePartition,
          PartitionReplied,
          RetryPartitionRequest,
          AlterReassignments,
          ListReassignments,
          ReassignmentMayFence,
          ReassignmentCopied,
          ResumeReassignments,
          PlaceStore,
          HandOff,
          HandOffDeadline,
          RecordDeletions {}

  /** Creates a topic with {@code partitions} partitions and {@code configs} (Kafka names) over the defaults. */
  public record CreateTopic(String name, int partitions, Map<String, String> configs, ActorRef<TopicResult> replyTo)
      implements Command {
    public CreateTopic {
      configs = copyOf(configs);
    }
  }

  public record DescribeTopic(String name, ActorRef<TopicResult> replyTo) implements Command {}

  /** Lists every topic, ordered by name. */
  public record ListTopics(ActorRef<TopicList> replyTo) implements Command {}

  /** Deletes a topic and all its partitions with their data. */
  public record DeleteTopic(String name, ActorRef<TopicResult> replyTo) implements Command {}

  /** Grows a topic to {@code newTotalCount} partitions. */
  public record CreatePartitions(String name, int newTotalCount, ActorRef<TopicResult> replyTo) implements Command {}

  /**
   * Changes some settings of a topic (Kafka's IncrementalAlterConfigs): each entry sets that
   * setting, an entry whose value is {@code null} resets it to its default, others keep their
   * values.
   */
  public record AlterTopicConfig(String name, Map<String, String> configs, ActorRef<TopicResult> replyTo)
      implements Command {
    public AlterTopicConfig {
      configs = copyOf(configs);
    }
  }

  /** Which node holds a partition's log. */
  public record LocatePartition(String topic, int partition, ActorRef<PartitionLocation> replyTo) implements Command {}

  /**
   * {@code known} false: no such partition (its entity may start anywhere: it has no data);
   * {@code nodeId} -1: a partition of a topic that predates placement (single node).
   */
  public record PartitionLocation(boolean known, int nodeId) implements SluiceMessage {}

  // ---- moving partitions between nodes -------------------------------------------------------

  /** Move a partition to the one node in {@code replicas}, or cancel its move ({@code replicas} null). */
  public record ReassignmentRequest(String topic, int partition, List<Integer> replicas) {
    public ReassignmentRequest {
      replicas = replicas == null ? null : List.copyOf(replicas);
    }
  }

  /** Kafka's AlterPartitionReassignments: each request is decided on its own, in order. */
  public record AlterReassignments(List<ReassignmentRequest> requests, ActorRef<ReassignmentResults> replyTo)
      implements Command {
    public AlterReassignments {
      requests = requests == null ? List.of() : List.copyOf(requests);
    }
  }

  public record ReassignmentOutcome(String topic, int partition, TopicError error, String message) {}

  public record ReassignmentResults(List<ReassignmentOutcome> outcomes) implements SluiceMessage {}

  /** The moves in progress. */
  public record ListReassignments(ActorRef<ReassignmentList> replyTo) implements Command {}

  public record ReassignmentList(List<TopicRegistryState.Reassignment> reassignments) implements SluiceMessage {}

  /** From a partition's copy on {@code toNode}: caught up; may it fence the old leader? */
  public record ReassignmentMayFence(String topic, int partition, String topicId, int toNode, ActorRef<ReassignmentAnswer> replyTo)
      implements Command {}

  /** From a partition's copy on {@code toNode}: it holds the whole log; switch the placement. */
  public record ReassignmentCopied(String topic, int partition, String topicId, int toNode, ActorRef<ReassignmentAnswer> replyTo)
      implements Command {}

  public record ReassignmentAnswer(boolean proceed, String message) implements SluiceMessage {}

  /** Internal (timer): (re)start the copy of every move in progress; a running copy ignores it. */
  record ResumeReassignments() implements Command {}

  // ---- moving to another node ----------------------------------------------------------------

  /**
   * Cluster Sharding's stop message for the registry: it moves to another node (a node whose
   * turn it is came up) or its node shuts down. Before it stops, the registry answers the
   * commands whose partition requests are in progress, waiting at most {@code
   * sluice.registry.hand-off-timeout}. Commands routed after the move began wait in the shard
   * regions for the registry on its new node; one already on its way to the old shard is
   * dropped, and its caller times out.
   */
  public record HandOff() implements Command {}

  /** Internal (timer): the hand-off waited {@code hand-off-timeout}; answer who is left and stop. */
  record HandOffDeadline() implements Command {}

  /** Internal (timer): persist the partition deletions confirmed since the last time, in one event per topic. */
  record RecordDeletions() implements Command {}

  /**
   * Where stream-processor store {@code storeId} (for input {@code topic}/{@code partition})
   * lives; a new store is placed on that partition's node. Answers {@link PartitionLocation}
   * (node -1: anywhere, single node).
   */
  public record PlaceStore(String storeId, String topic, int partition, ActorRef<PartitionLocation> replyTo) implements Command {}

  /** Reply to every command about one topic: on success the topic's metadata after the command. */
  public record TopicResult(TopicError error, String message, TopicMetadata topic) implements SluiceMessage {
    static TopicResult ok(TopicMetadata topic) {
      return new TopicResult(TopicError.NONE, null, topic);
    }

    static TopicResult rejected(Decision d) {
      return new TopicResult(d.error(), d.message(), null);
    }
  }

  /** Reply to {@link ListTopics}. */
  public record TopicList(TopicError error, String message, List<TopicMetadata> topics) implements SluiceMessage {
    public TopicList {
      topics = topics == null ? List.of() : List.copyOf(topics);
    }
  }

  /** What a queued partition request does. */
  enum RequestKind {
    /** Create the partition (idempotent), then check its settings ({@link #VERIFY_CONFIG}). */
    CREATE,
    /** Delete a partition of an earlier incarnation, then create it for the current one. */
    REPLACE,
    /** Describe the partition; send {@link #UPDATE_CONFIG} if its settings differ from the table. */
    VERIFY_CONFIG,
    UPDATE_CONFIG,
    DELETE
  }

  /**
   * Internal: a partition answered request {@code requestId}, or {@code failure} says why not;
   * {@code heldTopicId} as in {@link PartitionEntity.Ack#topicId}.
   */
  record PartitionReplied(
      long requestId, PartitionError error, String message, TopicConfig config, String failure, String heldTopicId)
      implements Command {
    PartitionReplied(long requestId, PartitionError error, String message, TopicConfig config, String failure) {
      this(requestId, error, message, config, failure, null);
    }
  }

  /** Internal (timer): try a failed partition request again. */
  record RetryPartitionRequest(RequestKind kind, String topic, String topicId, int partition, int attempt)
      implements Command {}

  // ---- wiring --------------------------------------------------------------------------------

  /** Registers the registry with Cluster Sharding on this node, with the settings from config. */
  public static ActorRef<ShardingEnvelope<Command>> init(ActorSystem<?> system) {
    return init(system, TopicRegistrySettings.fromConfig(system.settings().config()), Clock.systemUTC());
  }

  public static ActorRef<ShardingEnvelope<Command>> init(
      ActorSystem<?> system, TopicRegistrySettings settings, Clock clock) {
    return ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId(), settings, clock))
                // One entity serving every admin request: never passivate it.
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
                .withStopMessage(new HandOff())
                .withAllocationStrategy(MetadataNode.oldestNodeAllocation(system, "the topic registry")));
  }

  /** The registry, wherever sharding placed it. */
  public static EntityRef<Command> entityRef(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, ENTITY_ID);
  }

  public static Behavior<Command> create(String entityId, TopicRegistrySettings settings, Clock clock) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new TopicRegistry(entityId, ctx, timers, settings, clock)));
  }

  // ---- behaviour -----------------------------------------------------------------------------

  /**
   * One request to one partition; {@code operationId} is -1 for a background retry.
   * {@code heldTopicId}: for a REPLACE, the incarnation the partition said it holds; only that
   * one is deleted (null: whatever it holds, as a partition of an earlier Sluice answers).
   */
  private record Request(
      RequestKind kind, String topic, String topicId, int partition, int attempt, long operationId, String heldTopicId) {
    Request(RequestKind kind, String topic, String topicId, int partition, int attempt, long operationId) {
      this(kind, topic, topicId, partition, attempt, operationId, null);
    }
  }

  /**
   * Requests that together answer one command (or, without a caller, one recovery pass);
   * failures by partition.
   */
  private static final class Operation {
    int outstanding;
    final boolean hasCaller;
    final SortedMap<Integer, String> failures = new TreeMap<>();
    final Consumer<SortedMap<Integer, String>> whenDone;

    Operation(int outstanding, boolean hasCaller, Consumer<SortedMap<Integer, String>> whenDone) {
      this.outstanding = outstanding;
      this.hasCaller = hasCaller;
      this.whenDone = whenDone;
    }
  }

  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final TopicRegistrySettings settings;
  private final Clock clock;
  private final ClusterSharding sharding;
  // Transient, confined to the actor: partition requests waiting, in flight, and what they answer.
  private final ArrayDeque<Request> queued = new ArrayDeque<>();
  private final Map<Long, Request> inFlight = new HashMap<>();
  private final Map<Long, Operation> operations = new HashMap<>();
  private long nextRequestId;
  private long nextOperationId;
  private long nextTimerKey;
  /** Sharding asked the registry to stop: it does once no caller waits for a partition request. */
  private boolean handingOff;
  /**
   * Partition deletions confirmed but not persisted yet, by topic id: {@link RecordDeletions}
   * persists them together, so a topic of many partitions is not one persist (a replicated
   * write the registry waits for) per partition. Lost in a crash or a move they are only sent
   * again.
   */
  private final Map<String, UnrecordedDeletions> unrecordedDeletions = new LinkedHashMap<>();
  private static final Duration RECORD_DELETIONS_AFTER = Duration.ofMillis(100);

  private TopicRegistry(
      String entityId,
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      TopicRegistrySettings settings,
      Clock clock) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
    this.ctx = ctx;
    this.timers = timers;
    this.settings = settings;
    this.clock = clock;
    this.sharding = ClusterSharding.get(ctx.getSystem());
  }

  @Override
  public TopicRegistryState emptyState() {
    return TopicRegistryState.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    // the replicated journal holds only the events since the latest snapshot
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 1).withDeleteEventsOnSnapshot();
  }

  @Override
  public SignalHandler<TopicRegistryState> signalHandler() {
    return newSignalHandlerBuilder().onSignal(RecoveryCompleted.instance(), this::onRecoveryCompleted).build();
  }

  @Override
  public EventHandler<TopicRegistryState, TopicRegistryEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(TopicRegistryState::apply);
  }

  @Override
  public CommandHandlerWithReply<Command, TopicRegistryEvent, TopicRegistryState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(CreateTopic.class, this::onCreateTopic)
        .onCommand(DescribeTopic.class, this::onDescribeTopic)
        .onCommand(ListTopics.class, this::onListTopics)
        .onCommand(DeleteTopic.class, this::onDeleteTopic)
        .onCommand(CreatePartitions.class, this::onCreatePartitions)
        .onCommand(AlterTopicConfig.class, this::onAlterTopicConfig)
        .onCommand(LocatePartition.class, this::onLocatePartition)
        .onCommand(PartitionReplied.class, this::onPartitionReplied)
        .onCommand(RetryPartitionRequest.class, this::onRetryPartitionRequest)
        .onCommand(AlterReassignments.class, this::onAlterReassignments)
        .onCommand(PlaceStore.class, (state, cmd) -> {
          TopicRegistryState.StorePlacement d = state.placeStore(cmd.storeId(), cmd.topic(), cmd.partition());
          PartitionLocation at = new PartitionLocation(true, d.nodeId());
          return d.event() == null
              ? Effect().reply(cmd.replyTo(), at)
              : Effect().persist(d.event()).thenReply(cmd.replyTo(), s -> at);
        })
        .onCommand(ListReassignments.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new ReassignmentList(state.reassignmentList())))
        .onCommand(ReassignmentMayFence.class, this::onMayFence)
        .onCommand(ReassignmentCopied.class, this::onCopied)
        .onCommand(ResumeReassignments.class, (state, cmd) -> {
          if (!handingOff) { // the registry on the next node resumes them
            startCopies(state.reassignmentList());
          }
          return Effect().noReply();
        })
        .onCommand(HandOff.class, this::onHandOff)
        .onCommand(HandOffDeadline.class, this::onHandOffDeadline)
        .onCommand(RecordDeletions.class, (state, cmd) -> recordDeletions())
        .build();
  }

  private void onRecoveryCompleted(TopicRegistryState state) {
    timers.startTimerWithFixedDelay("resume-reassignments", new ResumeReassignments(), settings.reassignmentCheckInterval());
    if (!state.topics().isEmpty()) {
      LOG.info("Topic registry recovered {} topics; checking their partitions", state.topics().size());
    }
    for (TopicMetadata t : state.list()) {
      startOperation(
          state,
          RequestKind.CREATE,
          t,
          0,
          t.partitions(),
          false,
          failures -> {
            if (!failures.isEmpty()) {
              LOG.warn(
                  "After recovery, {} of {} partitions of topic '{}' could not be brought in line ({}); retrying",
                  failures.size(), t.partitions(), t.name(), summary(failures));
            }
          });
    }
    // after the live topics: a Delete waiting for a node that is down must not hold them up
    for (TopicRegistryState.PendingDeletion d : state.pendingDeletions()) {
      LOG.info(
          "Topic '{}' (id {}) was deleted, but partitions {} have not confirmed their deletion; deleting them again",
          d.topic().name(), d.topic().topicId(), d.partitions());
      startOperation(
          state, RequestKind.DELETE, d.topic(), d.partitions(), false,
          failures -> {
            if (!failures.isEmpty()) {
              LOG.warn(
                  "After recovery, {} partitions of the deleted topic '{}' could not be deleted ({}); retrying",
                  failures.size(), d.topic().name(), summary(failures));
            }
          });
    }
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onCreateTopic(TopicRegistryState state, CreateTopic cmd) {
    Decision d =
        state.createTopic(
            cmd.name(), cmd.partitions(), cmd.configs(), UUID.randomUUID().toString(), clock.millis(), liveNodes());
    if (!d.accepted()) {
      return Effect().reply(cmd.replyTo(), TopicResult.rejected(d));
    }
    TopicMetadata t = d.topic();
    return Effect()
        .persist(d.event())
        .thenRun(
            s -> {
              LOG.info("Created topic '{}' (id {}) with {} partitions", t.name(), t.topicId(), t.partitions());
              startOperation(
                  s, RequestKind.CREATE, t, 0, t.partitions(), true,
                  failures -> reply(cmd.replyTo(), t, failures, "was created", "their creation"));
            })
        .thenNoReply();
  }

  /** Ids of the Sluice nodes up now: new partitions are placed on them. */
  private List<Integer> liveNodes() {
    return List.copyOf(SluiceMembers.upNodes(ctx.getSystem()).keySet());
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onLocatePartition(
      TopicRegistryState state, LocatePartition cmd) {
    // a partition of a deleted topic is found too while its Delete is pending: it goes to its data
    return Effect()
        .reply(
            cmd.replyTo(),
            state.nodeOf(cmd.topic(), cmd.partition())
                .map(node -> new PartitionLocation(true, node))
                .orElse(new PartitionLocation(false, -1)));
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onDescribeTopic(
      TopicRegistryState state, DescribeTopic cmd) {
    Decision d = state.describeTopic(cmd.name());
    return Effect().reply(cmd.replyTo(), d.accepted() ? TopicResult.ok(d.topic()) : TopicResult.rejected(d));
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onListTopics(TopicRegistryState state, ListTopics cmd) {
    return Effect().reply(cmd.replyTo(), new TopicList(TopicError.NONE, null, state.list()));
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onDeleteTopic(TopicRegistryState state, DeleteTopic cmd) {
    Decision d = state.deleteTopic(cmd.name());
    if (!d.accepted()) {
      return Effect().reply(cmd.replyTo(), TopicResult.rejected(d));
    }
    TopicMetadata t = d.topic();
    return Effect()
        .persist(d.event())
        .thenRun(
            s -> {
              LOG.info("Deleted topic '{}' (id {})", t.name(), t.topicId());
              startOperation(
                  s, RequestKind.DELETE, t, 0, t.partitions(), true,
                  failures -> reply(cmd.replyTo(), t, failures, "was deleted", "their deletion"));
            })
        .thenNoReply();
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onCreatePartitions(
      TopicRegistryState state, CreatePartitions cmd) {
    Decision d = state.createPartitions(cmd.name(), cmd.newTotalCount(), liveNodes());
    if (!d.accepted()) {
      return Effect().reply(cmd.replyTo(), TopicResult.rejected(d));
    }
    TopicMetadata t = d.topic();
    PartitionsAdded added = (PartitionsAdded) d.event();
    return Effect()
        .persist(added)
        .thenRun(
            s -> {
              LOG.info("Topic '{}' grows from {} to {} partitions", t.name(), added.previousCount(), added.newCount());
              startOperation(
                  s, RequestKind.CREATE, t, added.previousCount(), added.newCount(), true,
                  failures -> reply(cmd.replyTo(), t, failures, "has " + t.partitions() + " partitions", "their creation"));
            })
        .thenNoReply();
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onAlterTopicConfig(
      TopicRegistryState state, AlterTopicConfig cmd) {
    Decision d = state.alterConfig(cmd.name(), cmd.configs());
    if (!d.accepted() || d.event() == null) {
      return Effect().reply(cmd.replyTo(), d.accepted() ? TopicResult.ok(d.topic()) : TopicResult.rejected(d));
    }
    TopicMetadata t = d.topic();
    return Effect()
        .persist(d.event())
        .thenRun(
            s -> {
              LOG.info("Topic '{}' settings are now {}", t.name(), t.config().asKafkaConfigs());
              startOperation(
                  s, RequestKind.UPDATE_CONFIG, t, 0, t.partitions(), true,
                  failures -> reply(cmd.replyTo(), t, failures, "has its new settings", "them"));
            })
        .thenNoReply();
  }

  // ---- moves -----------------------------------------------------------------------------------

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onAlterReassignments(
      TopicRegistryState state, AlterReassignments cmd) {
    java.util.Set<Integer> live = java.util.Set.copyOf(liveNodes());
    List<TopicRegistryEvent> events = new java.util.ArrayList<>();
    List<ReassignmentOutcome> outcomes = new java.util.ArrayList<>();
    TopicRegistryState next = state;
    for (ReassignmentRequest r : cmd.requests()) {
      Decision d = next.reassign(r.topic(), r.partition(), r.replicas(), live, clock.millis());
      outcomes.add(new ReassignmentOutcome(r.topic(), r.partition(), d.error(), d.message()));
      if (d.accepted() && d.event() != null) {
        events.add(d.event());
        next = next.apply(d.event());
      }
    }
    ReassignmentResults results = new ReassignmentResults(outcomes);
    if (events.isEmpty()) {
      return Effect().reply(cmd.replyTo(), results);
    }
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              List<TopicRegistryState.Reassignment> started = new java.util.ArrayList<>();
              for (TopicRegistryEvent e : events) {
                if (e instanceof TopicRegistryEvent.ReassignmentStarted st) {
                  LOG.info("Moving partition {}-{} from node {} to node {}", st.name(), st.partition(), st.fromNode(), st.toNode());
                  started.add(s.reassignments().get(TopicRegistryState.Reassignment.key(st.name(), st.partition())));
                } else if (e instanceof TopicRegistryEvent.ReassignmentCancelled c) {
                  LOG.info("Cancelled the move of partition {}-{}", c.name(), c.partition());
                }
              }
              startCopies(started);
            })
        .thenReply(cmd.replyTo(), s -> results);
  }

  /** Tells each move's copy on its target node to run (a copy already running ignores it). */
  private void startCopies(List<TopicRegistryState.Reassignment> moves) {
    for (TopicRegistryState.Reassignment m : moves) {
      if (m == null) {
        continue;
      }
      try {
        dev.sluice.actors.partition.PartitionReplica.entityRef(ctx.getSystem(), m.topic(), m.partition(), m.toNode())
            .tell(new dev.sluice.actors.partition.PartitionReplica.Start(m.topic(), m.partition(), m.topicId()));
      } catch (RuntimeException e) { // partition copies not registered with sharding on this node
        LOG.warn("Cannot start the copy of {}-{} on node {}: {}", m.topic(), m.partition(), m.toNode(), e.toString());
      }
    }
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onMayFence(TopicRegistryState state, ReassignmentMayFence cmd) {
    Decision d = state.mayFence(cmd.topic(), cmd.topicId(), cmd.partition(), cmd.toNode());
    if (!d.accepted()) {
      return Effect().reply(cmd.replyTo(), new ReassignmentAnswer(false, d.message()));
    }
    if (d.event() == null) {
      return Effect().reply(cmd.replyTo(), new ReassignmentAnswer(true, null));
    }
    return Effect().persist(d.event()).thenReply(cmd.replyTo(), s -> new ReassignmentAnswer(true, null));
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onCopied(TopicRegistryState state, ReassignmentCopied cmd) {
    Decision d = state.reassigned(cmd.topic(), cmd.topicId(), cmd.partition(), cmd.toNode());
    if (!d.accepted()) {
      return Effect().reply(cmd.replyTo(), new ReassignmentAnswer(false, d.message()));
    }
    if (d.event() == null) {
      return Effect().reply(cmd.replyTo(), new ReassignmentAnswer(true, null));
    }
    return Effect()
        .persist(d.event())
        .thenRun(s -> LOG.info("Partition {}-{} now lives on node {}", cmd.topic(), cmd.partition(), cmd.toNode()))
        .thenReply(cmd.replyTo(), s -> new ReassignmentAnswer(true, null));
  }

  // ---- moving to another node ----------------------------------------------------------------

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onHandOff(TopicRegistryState state, HandOff cmd) {
    if (!callerWaits()) {
      return stopForHandOff();
    }
    if (!handingOff) {
      handingOff = true;
      timers.startSingleTimer(new HandOffDeadline(), settings.handOffTimeout());
      LOG.info(
          "The topic registry moves to another node: it first answers {} request(s) in progress, waiting at most {} ms",
          operations.values().stream().filter(op -> op.hasCaller).count(), settings.handOffTimeout().toMillis());
    }
    return Effect().noReply();
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onHandOffDeadline(
      TopicRegistryState state, HandOffDeadline cmd) {
    String why = "no answer within sluice.registry.hand-off-timeout (" + settings.handOffTimeout().toMillis() + " ms)";
    for (Request r : inFlight.values()) {
      unsettled(r, why);
    }
    for (Request r : queued) {
      unsettled(r, why);
    }
    for (Operation op : operations.values()) {
      if (op.hasCaller) {
        op.whenDone.accept(op.failures);
      }
    }
    operations.clear();
    LOG.warn("The topic registry stops to move to another node with partition requests unconfirmed after {} ms", settings.handOffTimeout().toMillis());
    return stopForHandOff();
  }

  /** Records {@code r}'s partition as failed for its operation, without settling it. */
  private void unsettled(Request r, String why) {
    Operation op = operations.get(r.operationId());
    if (op != null) {
      op.failures.putIfAbsent(r.partition(), why);
    }
  }

  /** Whether a command's caller waits for partition requests (recovery passes have none). */
  private boolean callerWaits() {
    return operations.values().stream().anyMatch(op -> op.hasCaller);
  }

  // ---- partition requests --------------------------------------------------------------------

  /** Queues {@code kind} for partitions {@code from .. to-1} of {@code t}; {@code whenDone} gets the failures. */
  private void startOperation(
      TopicRegistryState state,
      RequestKind kind,
      TopicMetadata t,
      int from,
      int to,
      boolean hasCaller,
      Consumer<SortedMap<Integer, String>> whenDone) {
    startOperation(state, kind, t, java.util.stream.IntStream.range(from, to).boxed().toList(), hasCaller, whenDone);
  }

  /** Queues {@code kind} for {@code partitions} of {@code t}; {@code whenDone} gets the failures. */
  private void startOperation(
      TopicRegistryState state,
      RequestKind kind,
      TopicMetadata t,
      List<Integer> partitions,
      boolean hasCaller,
      Consumer<SortedMap<Integer, String>> whenDone) {
    long operationId = nextOperationId++;
    Operation op = new Operation(partitions.size(), hasCaller, whenDone);
    if (op.outstanding <= 0) {
      whenDone.accept(op.failures);
      return;
    }
    operations.put(operationId, op);
    for (int p : partitions) {
      queued.addLast(new Request(kind, t.name(), t.topicId(), p, 0, operationId));
    }
    dispatch(state);
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onRetryPartitionRequest(
      TopicRegistryState state, RetryPartitionRequest cmd) {
    queued.addLast(new Request(cmd.kind(), cmd.topic(), cmd.topicId(), cmd.partition(), cmd.attempt(), -1));
    dispatch(state);
    return Effect().noReply();
  }

  /** Sends queued requests while fewer than the limit are in flight. */
  private void dispatch(TopicRegistryState state) {
    while (inFlight.size() < settings.maxPartitionRequestsInFlight() && !queued.isEmpty()) {
      Request r = queued.pollFirst();
      if (isSuperseded(state, r)) {
        settle(r, null);
      } else {
        send(state, r);
      }
    }
  }

  /**
   * Whether the table no longer calls for {@code r}: the topic (incarnation) or the partition is
   * gone, or, for a Delete, it is no longer pending: confirmed, or the name has been created
   * again with that partition (it is the new incarnation's; a leftover is replaced when the new
   * one is created).
   */
  private static boolean isSuperseded(TopicRegistryState state, Request r) {
    TopicMetadata t = state.topics().get(r.topic());
    if (r.kind() == RequestKind.DELETE) {
      return !state.deletionPending(r.topicId(), r.partition());
    }
    return t == null || !t.topicId().equals(r.topicId()) || r.partition() >= t.partitions();
  }

  private void send(TopicRegistryState state, Request r) {
    int deletedOn = r.kind() == RequestKind.DELETE ? state.deletedPartitionNode(r.topicId(), r.partition()) : -1;
    if (deletedOn >= 0 && !liveNodes().contains(deletedOn)) {
      // not sent: it would wait in the shard region for the node, one more copy per retry
      fail(r, "its node " + deletedOn + " is not up");
      return;
    }
    long id = nextRequestId++;
    inFlight.put(id, r);
    TopicMetadata t = state.topics().get(r.topic()); // null only for a Delete
    Duration timeout = settings.partitionRequestTimeout();
    CompletionStage<PartitionReplied> reply;
    try {
      EntityRef<PartitionEntity.Command> partition =
          sharding.entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(r.topic(), r.partition()));
      switch (r.kind()) {
        case CREATE -> reply = acked(id, partition.ask(to -> create(t, r.partition(), to), timeout));
        case REPLACE -> {
          // Its outcome shows in the Create's, which the partition handles after the Delete.
          partition.<PartitionEntity.Ack>ask(
              to -> new PartitionEntity.Delete("replaced by topic id " + t.topicId(), r.heldTopicId(), to), timeout);
          reply = acked(id, partition.ask(to -> create(t, r.partition(), to), timeout));
        }
        case VERIFY_CONFIG ->
            reply =
                partition
                    .ask(PartitionEntity.Describe::new, timeout)
                    .thenApply(info -> new PartitionReplied(id, info.error(), null, info.config(), null));
        case UPDATE_CONFIG -> reply = acked(id, partition.ask(to -> new PartitionEntity.UpdateConfig(t.config(), to), timeout));
        case DELETE ->
            reply =
                acked(
                    id,
                    partition.ask(
                        to -> new PartitionEntity.Delete("topic " + r.topic() + " was deleted", r.topicId(), to), timeout));
        default -> throw new IllegalStateException("unhandled request kind " + r.kind());
      }
    } catch (RuntimeException e) { // e.g. partitions are not registered with sharding on this node
      reply = CompletableFuture.failedFuture(e);
    }
    ctx.pipeToSelf(reply, (ok, err) -> ok != null ? ok : new PartitionReplied(id, null, null, null, describe(err, timeout)));
  }

  private static PartitionEntity.Create create(TopicMetadata t, int partition, ActorRef<PartitionEntity.Ack> replyTo) {
    return new PartitionEntity.Create(t.name(), partition, t.topicId(), t.config(), t.nodeOf(partition), replyTo);
  }

  private static CompletionStage<PartitionReplied> acked(long id, CompletionStage<PartitionEntity.Ack> ack) {
    return ack.thenApply(a -> new PartitionReplied(id, a.error(), a.message(), null, null, a.topicId()));
  }

  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> onPartitionReplied(
      TopicRegistryState state, PartitionReplied reply) {
    Request r = inFlight.remove(reply.requestId());
    if (r == null) {
      return Effect().noReply();
    }
    PartitionError error = reply.error();
    if (reply.failure() != null) {
      fail(r, reply.failure());
    } else {
      switch (r.kind()) {
        case CREATE -> {
          if (error == PartitionError.NONE) {
            followUp(r, RequestKind.VERIFY_CONFIG);
          } else if (error == PartitionError.INVALID_REQUEST) {
            LOG.warn(
                "Partition {} of topic '{}' belongs to an earlier incarnation ({}); replacing it",
                r.partition(), r.topic(), reply.message());
            followUp(r, RequestKind.REPLACE, reply.heldTopicId());
          } else {
            fail(r, describe(error, reply.message()));
          }
        }
        case REPLACE -> {
          if (error == PartitionError.NONE) {
            followUp(r, RequestKind.VERIFY_CONFIG);
          } else {
            fail(r, describe(error, reply.message()));
          }
        }
        case VERIFY_CONFIG -> {
          TopicMetadata t = state.topics().get(r.topic());
          if (error != PartitionError.NONE) {
            fail(r, describe(error, reply.message()));
          } else if (t != null && t.topicId().equals(r.topicId()) && !t.config().equals(reply.config())) {
            followUp(r, RequestKind.UPDATE_CONFIG);
          } else {
            settle(r, null);
          }
        }
        case UPDATE_CONFIG -> {
          if (error == PartitionError.NONE) {
            settle(r, null);
          } else if (error == PartitionError.UNKNOWN_TOPIC_OR_PARTITION) {
            followUp(r, RequestKind.CREATE); // a missing partition gets created with the current settings
          } else {
            fail(r, describe(error, reply.message()));
          }
        }
        case DELETE -> {
          if (error == PartitionError.NONE || error == PartitionError.UNKNOWN_TOPIC_OR_PARTITION) {
            if (state.deletionPending(r.topicId(), r.partition())) {
              deletionConfirmed(r);
            }
            settle(r, null);
          } else {
            fail(r, describe(error, reply.message()));
          }
        }
        default -> throw new IllegalStateException("unhandled request kind " + r.kind());
      }
    }
    dispatch(state);
    if (handingOff && !callerWaits()) {
      LOG.info("The topic registry answered the requests in progress; it stops here to move to another node");
      return stopForHandOff();
    }
    return Effect().noReply();
  }

  /** The confirmed partitions of one deleted topic that {@link RecordDeletions} has yet to persist. */
  private record UnrecordedDeletions(String topic, List<Integer> partitions) {}

  private void deletionConfirmed(Request r) {
    // (not "if the map was empty": a restart after a failed persist cancels the actor's timers)
    if (!timers.isTimerActive(new RecordDeletions())) {
      timers.startSingleTimer(new RecordDeletions(), RECORD_DELETIONS_AFTER);
    }
    unrecordedDeletions
        .computeIfAbsent(r.topicId(), id -> new UnrecordedDeletions(r.topic(), new ArrayList<>()))
        .partitions()
        .add(r.partition());
  }

  /** Persists the deletion confirmations not recorded yet, one event per topic. */
  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> recordDeletions() {
    if (unrecordedDeletions.isEmpty()) {
      return Effect().noReply();
    }
    List<TopicRegistryEvent> events = new ArrayList<>();
    unrecordedDeletions.forEach(
        (topicId, u) -> events.add(new TopicRegistryEvent.PartitionDeletionConfirmed(u.topic(), topicId, u.partitions())));
    unrecordedDeletions.clear();
    return Effect().persist(events).thenNoReply();
  }

  /**
   * Stops (to move), without persisting what {@link #unrecordedDeletions} holds: a stop must not
   * wait for a replicated write that may fail. The next registry finds those partitions pending,
   * sends their Deletes again and is answered at once (nothing left to delete).
   */
  private ReplyEffect<TopicRegistryEvent, TopicRegistryState> stopForHandOff() {
    if (!unrecordedDeletions.isEmpty()) {
      LOG.debug("Stopping with {} deletion confirmations unrecorded; the next registry confirms them again", unrecordedDeletions.size());
    }
    return Effect().stop().thenNoReply();
  }

  /** The next step for the same partition, on behalf of the same operation. */
  private void followUp(Request r, RequestKind next) {
    followUp(r, next, null);
  }

  private void followUp(Request r, RequestKind next, String heldTopicId) {
    queued.addLast(new Request(next, r.topic(), r.topicId(), r.partition(), r.attempt(), r.operationId(), heldTopicId));
  }

  /** Records the failure for its operation and schedules a retry. */
  private void fail(Request r, String reason) {
    int attempt = r.attempt() + 1;
    Duration delay = settings.retryDelay(attempt);
    // Whatever step failed, bringing the partition in line starts again from its Create.
    RequestKind retry = r.kind() == RequestKind.DELETE ? RequestKind.DELETE : RequestKind.CREATE;
    if (r.operationId() < 0) {
      LOG.warn(
          "Retry {} ({}) of partition {} of topic '{}' failed: {}; next try in {}",
          attempt - 1, r.kind(), r.partition(), r.topic(), reason, delay);
    } else {
      LOG.debug("{} of partition {} of topic '{}' failed: {}", r.kind(), r.partition(), r.topic(), reason);
    }
    timers.startSingleTimer(
        nextTimerKey++, new RetryPartitionRequest(retry, r.topic(), r.topicId(), r.partition(), attempt), delay);
    settle(r, reason);
  }

  /** Counts {@code r} as done for its operation, failed if {@code failure} is not null. */
  private void settle(Request r, String failure) {
    Operation op = operations.get(r.operationId());
    if (op == null) {
      if (failure == null && r.attempt() > 0) {
        LOG.info("Partition {} of topic '{}' is in line after {} retries", r.partition(), r.topic(), r.attempt());
      }
      return;
    }
    if (failure != null) {
      op.failures.put(r.partition(), failure);
    }
    if (--op.outstanding == 0) {
      operations.remove(r.operationId());
      op.whenDone.accept(op.failures);
    }
  }

  // ---- replies -------------------------------------------------------------------------------

  /** Answers a command whose partition requests are all settled: {@code done}, unless some failed. */
  private void reply(
      ActorRef<TopicResult> replyTo, TopicMetadata t, SortedMap<Integer, String> failures, String done, String what) {
    if (failures.isEmpty()) {
      replyTo.tell(TopicResult.ok(t));
      return;
    }
    String after =
        handingOff
            ? "the topic registry moved to another node meanwhile, and tries them again there when it starts"
            : "they are retried in the background";
    String message =
        "Topic '" + t.name() + "' " + done + ", but " + failures.size() + " of its partitions did not confirm "
            + what + " in time (" + summary(failures) + "); " + after;
    LOG.warn("{}", message);
    replyTo.tell(new TopicResult(TopicError.REQUEST_TIMED_OUT, message, t));
  }

  private static String summary(SortedMap<Integer, String> failures) {
    String shown =
        failures.entrySet().stream()
            .limit(5)
            .map(e -> "partition " + e.getKey() + ": " + e.getValue())
            .collect(Collectors.joining("; "));
    return failures.size() > 5 ? shown + "; and " + (failures.size() - 5) + " more" : shown;
  }

  private static String describe(PartitionError error, String message) {
    return message == null ? error.name() : error + " (" + message + ")";
  }

  private static String describe(Throwable err, Duration timeout) {
    Throwable cause = Failures.cause(err);
    if (cause instanceof TimeoutException) {
      return "no answer within " + timeout.toMillis() + " ms";
    }
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }

  /** A copy that keeps {@code null} values (they mean "reset to default" in {@link AlterTopicConfig}). */
  private static Map<String, String> copyOf(Map<String, String> configs) {
    return configs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(configs));
  }
}
