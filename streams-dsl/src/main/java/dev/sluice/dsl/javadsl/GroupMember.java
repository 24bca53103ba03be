package dev.sluice.dsl.javadsl;

import dev.sluice.actors.group.GroupCoordinator;
import dev.sluice.actors.group.GroupError;
import dev.sluice.actors.group.GroupProtocol;
import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicRegistry;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.utils.Utils;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One DSL consumer's membership in a consumer group: an actor that joins the group through its
 * coordinator entity (Kafka classic protocol, type {@code consumer}, {@code range} assignor, so
 * it can share a group with {@code kafka-clients} consumers), computes the assignment when it is
 * the leader, heartbeats, and hands out one sub-source per assigned partition, starting at the
 * group's committed offset. On a rebalance every sub-source is completed (eager protocol) and the
 * member rejoins; the new assignment's partitions come out as new sub-sources.
 */
final class GroupMember {
  private static final Logger LOG = LoggerFactory.getLogger(GroupMember.class);
  private static final AtomicLong NAMES = new AtomicLong();
  static final String PROTOCOL_TYPE = "consumer";
  static final String ASSIGNOR = "range";

  private final ActorSystem<?> system;
  private final ConsumerSettings settings;
  private final ConsumerGroupSettings group;
  private final List<String> topics;
  private final EntityRef<GroupProtocol.Command> coordinator;
  private final AtomicLong fetched = new AtomicLong();
  private final CompletableFuture<Done> terminated = new CompletableFuture<>();
  private volatile ActorRef<Msg> actor;
  private volatile boolean draining;

  private GroupMember(ActorSystem<?> system, ConsumerSettings settings, ConsumerGroupSettings group, Set<String> topics) {
    checkTopics(topics);
    this.system = system;
    this.settings = settings;
    this.group = group;
    this.topics = List.copyOf(new TreeSet<>(topics));
    this.coordinator = GroupCoordinator.entityRef(system, group.groupId());
  }

  private static void checkTopics(Set<String> topics) {
    if (topics.isEmpty()) {
      throw new IllegalArgumentException("a group consumer needs at least one topic");
    }
  }

  /** The partitions this member is assigned, each as a sub-source, as the assignment changes. */
  static Source<Pair<TopicPartition, Source<CommittableMessage, NotUsed>>, GroupMember> source(
      ActorSystem<?> system, ConsumerSettings settings, ConsumerGroupSettings group, Set<String> topics) {
    checkTopics(topics);
    return Source.<Pair<TopicPartition, Source<CommittableMessage, NotUsed>>>queue(1024)
        .mapMaterializedValue(
            queue -> {
              // one member per materialization: the source can be run more than once
              GroupMember member = new GroupMember(system, settings, group, topics);
              member.actor =
                  system.systemActorOf(
                      Behaviors.<Msg>setup(ctx -> Behaviors.withTimers(t -> member.new Member(ctx, t, queue))),
                      "sluice-group-member-" + NAMES.incrementAndGet(),
                      Props.empty());
              return member;
            });
  }

  String groupId() {
    return group.groupId();
  }

  /** Called when the source this member feeds has terminated: leave, unless a drain is waiting. */
  void sourceTerminated(CompletionStage<Done> done) {
    done.whenComplete(
        (d, e) -> {
          if (!draining) {
            actor.tell(Shutdown.INSTANCE);
          }
        });
  }

  Control control() {
    return new Control() {
      @Override
      public CompletionStage<Done> stop() {
        actor.tell(StopEmitting.INSTANCE);
        return CompletableFuture.completedFuture(Done.getInstance());
      }

      @Override
      public CompletionStage<Done> shutdown() {
        actor.tell(Shutdown.INSTANCE);
        return terminated;
      }

      @Override
      public <T> CompletionStage<T> drainAndShutdown(CompletionStage<T> streamCompletion) {
        draining = true;
        actor.tell(StopEmitting.INSTANCE);
        CompletableFuture<T> result = new CompletableFuture<>();
        streamCompletion.whenComplete(
            (v, e) ->
                shutdown()
                    .whenComplete(
                        (d, e2) -> {
                          if (e != null) {
                            result.completeExceptionally(e);
                          } else {
                            result.complete(v);
                          }
                        }));
        return result;
      }

      @Override
      public CompletionStage<Done> isShutdown() {
        return terminated;
      }

      @Override
      public long fetchedRecords() {
        return fetched.get();
      }
    };
  }

  /**
   * Commits offsets as {@code memberId} in {@code generation}. A commit the coordinator refuses
   * because the group has moved on (rebalanced, member expired) is skipped with a warning — the
   * partitions' next owners read those records again; any other refusal fails.
   */
  CompletionStage<Done> commit(String memberId, int generation, Map<TopicPartition, Long> offsets) {
    List<GroupProtocol.PartitionOffset> list = new ArrayList<>(offsets.size());
    offsets.forEach((tp, o) -> list.add(new GroupProtocol.PartitionOffset(tp.topic(), tp.partition(), o, -1, "")));
    return coordinator
        .<GroupProtocol.CommitResult>ask(
            r -> new GroupProtocol.CommitOffsets(memberId, null, generation, list, r), settings.askTimeout())
        .thenApply(
            result -> {
              GroupError error = result.error();
              if (error == GroupError.NONE) {
                for (GroupProtocol.PartitionResult p : result.partitions()) {
                  if (p.error() != GroupError.NONE) {
                    error = p.error();
                  }
                }
              }
              switch (error) {
                case NONE:
                  return Done.getInstance();
                case ILLEGAL_GENERATION:
                case UNKNOWN_MEMBER_ID:
                case REBALANCE_IN_PROGRESS:
                  LOG.warn(
                      "group '{}': commit of {} skipped ({}): the group rebalanced since these records were read; "
                          + "they will be delivered again",
                      group.groupId(), offsets, error);
                  return Done.getInstance();
                default:
                  throw new IllegalStateException(
                      "group '" + group.groupId() + "': committing " + offsets + " failed: " + error);
              }
            });
  }

  // ---- the member actor ----------------------------------------------------------------------

  interface Msg {}

  private record JoinReply(int round, GroupProtocol.JoinResult result, Throwable failure) implements Msg {}

  private record AssignmentReady(int round, List<GroupProtocol.Assignment> assignments, Map<String, Integer> counts, Throwable failure)
      implements Msg {}

  private record SyncReply(int round, GroupProtocol.SyncResult result, Throwable failure) implements Msg {}

  private record OffsetsReply(int round, List<TopicPartition> partitions, GroupProtocol.OffsetsResult result, Throwable failure)
      implements Msg {}

  private record HeartbeatReply(int round, GroupProtocol.GroupAck result, Throwable failure) implements Msg {}

  private record MetadataCheck(int round, Map<String, Integer> counts, Throwable failure) implements Msg {}

  private record Rejoin(int round) implements Msg {}

  private record LeftGroup() implements Msg {}

  private enum HeartbeatTick implements Msg {
    INSTANCE
  }

  private enum StopEmitting implements Msg {
    INSTANCE
  }

  private enum Shutdown implements Msg {
    INSTANCE
  }

  private enum Phase {
    JOINING,
    SYNCING,
    STABLE,
    LEAVING
  }

  private final class Member extends AbstractBehavior<Msg> {
    private final TimerScheduler<Msg> timers;
    private final BoundedSourceQueue<Pair<TopicPartition, Source<CommittableMessage, NotUsed>>> queue;
    private final Map<TopicPartition, SharedKillSwitch> assigned = new LinkedHashMap<>();
    private final Duration joinTimeout;
    private String memberId = "";
    private int generation = -1;
    private boolean leader;
    private Map<String, Integer> assignedCounts = Map.of();
    private Set<String> watchedTopics = Set.of();
    private int round;
    private int ticks;
    private Phase phase = Phase.JOINING;
    private boolean emitting = true;
    private boolean queueClosed;

    Member(
        ActorContext<Msg> ctx,
        TimerScheduler<Msg> timers,
        BoundedSourceQueue<Pair<TopicPartition, Source<CommittableMessage, NotUsed>>> queue) {
      super(ctx);
      this.timers = timers;
      this.queue = queue;
      this.joinTimeout = group.rebalanceTimeout().plus(settings.askTimeout());
      timers.startTimerWithFixedDelay(HeartbeatTick.INSTANCE, group.heartbeatInterval());
      join();
    }

    @Override
    public Receive<Msg> createReceive() {
      return newReceiveBuilder()
          .onMessage(JoinReply.class, this::onJoin)
          .onMessage(AssignmentReady.class, this::onAssignment)
          .onMessage(SyncReply.class, this::onSync)
          .onMessage(OffsetsReply.class, this::onOffsets)
          .onMessage(HeartbeatTick.class, t -> onTick())
          .onMessage(HeartbeatReply.class, this::onHeartbeat)
          .onMessage(MetadataCheck.class, this::onMetadataCheck)
          .onMessage(Rejoin.class, r -> r.round() == round && phase != Phase.LEAVING ? join() : this)
          .onMessageEquals(StopEmitting.INSTANCE, this::onStopEmitting)
          .onMessageEquals(Shutdown.INSTANCE, this::leave)
          .onMessage(LeftGroup.class, l -> Behaviors.stopped())
          .onSignal(PostStop.class, s -> onPostStop())
          .build();
    }

    private Behavior<Msg> join() {
      revokeAll();
      phase = Phase.JOINING;
      int r = ++round;
      byte[] subscription =
          Utils.toArray(ConsumerProtocol.serializeSubscription(new ConsumerPartitionAssignor.Subscription(topics)));
      getContext()
          .pipeToSelf(
              coordinator.<GroupProtocol.JoinResult>ask(
                  reply ->
                      new GroupProtocol.JoinGroup(
                          memberId, null, group.clientId(), "in-cluster",
                          (int) group.sessionTimeout().toMillis(), (int) group.rebalanceTimeout().toMillis(),
                          PROTOCOL_TYPE, List.of(new GroupProtocol.Protocol(ASSIGNOR, subscription)), false, reply),
                  joinTimeout),
              (res, err) -> new JoinReply(r, res, err));
      return this;
    }

    private Behavior<Msg> retryLater(String why) {
      LOG.info("group '{}': {}; joining again shortly", group.groupId(), why);
      phase = Phase.JOINING;
      revokeAll();
      timers.startSingleTimer(new Rejoin(++round), Duration.ofMillis(500));
      return this;
    }

    private Behavior<Msg> onJoin(JoinReply m) {
      if (m.round() != round || phase != Phase.JOINING) {
        return this;
      }
      if (m.failure() != null) {
        return retryLater("JoinGroup got no answer (" + m.failure().getMessage() + ")");
      }
      GroupProtocol.JoinResult r = m.result();
      switch (r.error()) {
        case NONE -> {
          memberId = r.memberId();
          generation = r.generationId();
          leader = !r.members().isEmpty();
          if (!ASSIGNOR.equals(r.protocolName())) {
            return fail("the group chose assignor '" + r.protocolName() + "'; DSL members only support '" + ASSIGNOR + "'");
          }
          if (leader) {
            computeAssignment(r.members());
          } else {
            sync(List.of());
          }
          return this;
        }
        case MEMBER_ID_REQUIRED -> {
          memberId = r.memberId();
          return join();
        }
        case UNKNOWN_MEMBER_ID -> {
          memberId = "";
          return join();
        }
        case REBALANCE_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR -> {
          return retryLater("JoinGroup answered " + r.error());
        }
        default -> {
          return fail("cannot join: " + r.error());
        }
      }
    }

    /** As the leader: range-assign every member's subscribed topics, as Kafka's RangeAssignor. */
    private void computeAssignment(List<GroupProtocol.JoinedMember> members) {
      int r = round;
      Map<String, List<String>> subscriptions = new TreeMap<>();
      Set<String> allTopics = new TreeSet<>();
      for (GroupProtocol.JoinedMember jm : members) {
        List<String> subscribed = ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(jm.metadata())).topics();
        subscriptions.put(jm.memberId(), subscribed);
        allTopics.addAll(subscribed);
      }
      watchedTopics = allTopics;
      getContext()
          .pipeToSelf(
              partitionCounts(allTopics),
              (counts, err) -> new AssignmentReady(r, err == null ? rangeAssign(subscriptions, counts) : null, counts, err));
    }

    private Behavior<Msg> onAssignment(AssignmentReady m) {
      if (m.round() != round || phase != Phase.JOINING) {
        return this;
      }
      if (m.failure() != null) {
        return retryLater("cannot look up the subscribed topics (" + m.failure().getMessage() + ")");
      }
      assignedCounts = m.counts();
      sync(m.assignments());
      return this;
    }

    private void sync(List<GroupProtocol.Assignment> assignments) {
      phase = Phase.SYNCING;
      int r = round;
      getContext()
          .pipeToSelf(
              coordinator.<GroupProtocol.SyncResult>ask(
                  reply -> new GroupProtocol.SyncGroup(memberId, null, generation, PROTOCOL_TYPE, ASSIGNOR, assignments, reply),
                  joinTimeout),
              (res, err) -> new SyncReply(r, res, err));
    }

    private Behavior<Msg> onSync(SyncReply m) {
      if (m.round() != round || phase != Phase.SYNCING) {
        return this;
      }
      if (m.failure() != null) {
        return retryLater("SyncGroup got no answer (" + m.failure().getMessage() + ")");
      }
      GroupProtocol.SyncResult r = m.result();
      switch (r.error()) {
        case NONE -> {}
        case UNKNOWN_MEMBER_ID -> {
          memberId = "";
          return join();
        }
        case REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION -> {
          return join();
        }
        case COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR -> { // it moved to another node: join it there
          return retryLater("SyncGroup answered " + r.error());
        }
        default -> {
          return fail("cannot sync with the group: " + r.error());
        }
      }
      List<TopicPartition> partitions = new ArrayList<>();
      if (r.assignment() != null && r.assignment().length > 0) {
        for (org.apache.kafka.common.TopicPartition tp :
            ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(r.assignment())).partitions()) {
          partitions.add(new TopicPartition(tp.topic(), tp.partition()));
        }
      }
      partitions.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
      phase = Phase.STABLE;
      LOG.info("group '{}' generation {}: member {} assigned {}", group.groupId(), generation, memberId, partitions);
      if (partitions.isEmpty() || !emitting) {
        return this;
      }
      int rr = round;
      List<GroupProtocol.TopicPartition> query =
          partitions.stream().map(tp -> new GroupProtocol.TopicPartition(tp.topic(), tp.partition())).toList();
      getContext()
          .pipeToSelf(
              coordinator.<GroupProtocol.OffsetsResult>ask(r2 -> new GroupProtocol.FetchOffsets(query, r2), settings.askTimeout()),
              (res, err) -> new OffsetsReply(rr, partitions, res, err));
      return this;
    }

    private Behavior<Msg> onOffsets(OffsetsReply m) {
      if (m.round() != round || phase != Phase.STABLE || !emitting) {
        return this;
      }
      if (m.failure() != null || m.result().error() != GroupError.NONE) {
        return retryLater(
            "cannot read the committed offsets ("
                + (m.failure() != null ? m.failure().getMessage() : m.result().error().toString()) + ")");
      }
      Map<TopicPartition, Long> committed = new HashMap<>();
      for (GroupProtocol.PartitionOffset o : m.result().offsets()) {
        committed.put(new TopicPartition(o.topic(), o.partition()), o.offset());
      }
      for (TopicPartition tp : m.partitions()) {
        long offset = committed.getOrDefault(tp, -1L);
        StartOffset start = offset >= 0 ? new StartOffset.Committed(offset, group.autoOffsetReset()) : group.autoOffsetReset();
        SharedKillSwitch kill = KillSwitches.shared("sluice-group-" + group.groupId() + "-" + tp.topic() + "-" + tp.partition());
        String mid = memberId;
        int gen = generation;
        Source<CommittableMessage, NotUsed> records =
            Consumer.partitionRecords(system, settings, tp, start, fetched)
                .map(rec -> new CommittableMessage(rec, new CommittableOffset(GroupMember.this, tp, rec.offset() + 1, mid, gen)))
                .via(kill.flow());
        QueueOfferResult offered = queue.offer(Pair.create(tp, records));
        if (offered != QueueOfferResult.enqueued()) {
          kill.shutdown();
          return fail("could not hand out partition " + tp + ": " + offered);
        }
        assigned.put(tp, kill);
      }
      return this;
    }

    private Behavior<Msg> onTick() {
      if (phase != Phase.STABLE) {
        return this;
      }
      int r = round;
      getContext()
          .pipeToSelf(
              coordinator.<GroupProtocol.GroupAck>ask(
                  reply -> new GroupProtocol.Heartbeat(memberId, null, generation, reply), settings.askTimeout()),
              (res, err) -> new HeartbeatReply(r, res, err));
      // the leader watches the subscribed topics' partition counts, and rebalances when they change
      if (leader && emitting && ++ticks % 3 == 0) {
        getContext()
            .pipeToSelf(partitionCounts(watchedTopics), (counts, err) -> new MetadataCheck(r, counts, err));
      }
      return this;
    }

    private Behavior<Msg> onHeartbeat(HeartbeatReply m) {
      if (m.round() != round || phase != Phase.STABLE) {
        return this;
      }
      if (m.failure() != null) {
        LOG.debug("group '{}': heartbeat got no answer: {}", group.groupId(), m.failure().toString());
        return this;
      }
      switch (m.result().error()) {
        case NONE -> {
          return this;
        }
        case REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION -> {
          LOG.info("group '{}' is rebalancing: member {} gives up {} and rejoins", group.groupId(), memberId, assigned.keySet());
          return emitting ? join() : leave();
        }
        case UNKNOWN_MEMBER_ID -> {
          LOG.info("group '{}' no longer knows member {}: rejoining", group.groupId(), memberId);
          memberId = "";
          return emitting ? join() : leave();
        }
        default -> {
          return fail("heartbeat failed: " + m.result().error());
        }
      }
    }

    private Behavior<Msg> onMetadataCheck(MetadataCheck m) {
      if (m.round() != round || phase != Phase.STABLE || m.failure() != null) {
        return this;
      }
      if (!m.counts().equals(assignedCounts)) {
        LOG.info("group '{}': partitions of {} changed from {} to {}: rebalancing", group.groupId(), topics, assignedCounts, m.counts());
        return join();
      }
      return this;
    }

    private Behavior<Msg> onStopEmitting() {
      emitting = false;
      revokeAll();
      closeQueue(null);
      return this;
    }

    private Behavior<Msg> leave() {
      if (phase == Phase.LEAVING) {
        return this;
      }
      emitting = false;
      phase = Phase.LEAVING;
      revokeAll();
      closeQueue(null);
      timers.cancelAll();
      boolean shuttingDown =
          org.apache.pekko.actor.CoordinatedShutdown.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system))
              .getShutdownReason()
              .isPresent();
      if (memberId.isEmpty() || shuttingDown) {
        // the node is going down: its coordinators may be gone already; the session expires
        return Behaviors.stopped();
      }
      String mid = memberId;
      getContext()
          .pipeToSelf(
              coordinator.<GroupProtocol.LeaveResult>ask(
                  r -> new GroupProtocol.LeaveGroup(List.of(new GroupProtocol.LeavingMember(mid, null)), r), settings.askTimeout()),
              (res, err) -> new LeftGroup());
      return this;
    }

    private Behavior<Msg> fail(String why) {
      IllegalStateException e = new IllegalStateException("consumer group '" + group.groupId() + "': " + why);
      LOG.error(e.getMessage());
      revokeAll();
      closeQueue(e);
      return leave();
    }

    private void closeQueue(Throwable failure) {
      if (!queueClosed) {
        queueClosed = true;
        try {
          if (failure == null) {
            queue.complete();
          } else {
            queue.fail(failure);
          }
        } catch (IllegalStateException alreadyDone) {
          // the stream ended first (cancelled downstream or failed): nothing to close
        }
      }
    }

    private void revokeAll() {
      assigned.values().forEach(SharedKillSwitch::shutdown);
      assigned.clear();
    }

    private Behavior<Msg> onPostStop() {
      revokeAll();
      closeQueue(null);
      terminated.complete(Done.getInstance());
      return this;
    }
  }

  private CompletionStage<Map<String, Integer>> partitionCounts(Set<String> names) {
    Map<String, Integer> counts = new TreeMap<>();
    CompletableFuture<Map<String, Integer>> all = CompletableFuture.completedFuture(counts);
    for (String topic : names) {
      CompletableFuture<TopicRegistry.TopicResult> d =
          TopicRegistry.entityRef(system)
              .<TopicRegistry.TopicResult>ask(r -> new TopicRegistry.DescribeTopic(topic, r), settings.askTimeout())
              .toCompletableFuture();
      all =
          all.thenCombine(
              d,
              (m, res) -> {
                if (res.error() == TopicError.NONE) {
                  m.put(topic, res.topic().partitions());
                } else if (res.error() != TopicError.UNKNOWN_TOPIC_OR_PARTITION) {
                  throw new IllegalStateException("topic '" + topic + "': " + res.error() + " " + res.message());
                }
                return m;
              });
    }
    return all;
  }

  /** Kafka's RangeAssignor: per topic, consecutive partition ranges to members in member-id order. */
  static List<GroupProtocol.Assignment> rangeAssign(Map<String, List<String>> subscriptions, Map<String, Integer> counts) {
    Map<String, List<org.apache.kafka.common.TopicPartition>> byMember = new TreeMap<>();
    subscriptions.keySet().forEach(m -> byMember.put(m, new ArrayList<>()));
    for (Map.Entry<String, Integer> topic : counts.entrySet()) {
      List<String> members = new ArrayList<>();
      subscriptions.forEach((m, subscribed) -> {
        if (subscribed.contains(topic.getKey())) {
          members.add(m);
        }
      });
      if (members.isEmpty()) {
        continue;
      }
      int per = topic.getValue() / members.size();
      int extra = topic.getValue() % members.size();
      int next = 0;
      for (int i = 0; i < members.size(); i++) {
        int n = per + (i < extra ? 1 : 0);
        for (int k = 0; k < n; k++) {
          byMember.get(members.get(i)).add(new org.apache.kafka.common.TopicPartition(topic.getKey(), next++));
        }
      }
    }
    List<GroupProtocol.Assignment> result = new ArrayList<>();
    byMember.forEach(
        (m, partitions) ->
            result.add(
                new GroupProtocol.Assignment(
                    m, Utils.toArray(ConsumerProtocol.serializeAssignment(new ConsumerPartitionAssignor.Assignment(partitions))))));
    return result;
  }
}
