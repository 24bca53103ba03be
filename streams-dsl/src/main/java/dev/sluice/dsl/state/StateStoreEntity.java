package dev.sluice.dsl.state;

import dev.sluice.actors.cluster.NodeAllocation;
import dev.sluice.actors.cluster.PartitionPlacement;
import dev.sluice.actors.cluster.SluiceMembers;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.persistence.serialization.SluiceMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.util.ByteString;
import scala.collection.immutable.HashMap;
import scala.collection.immutable.HashMap$;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The durable state of one stateful step of a stream processor for one input partition: a
 * key-value map (bytes to bytes) with the input offset it reflects and the step's stream time. A
 * sharded persistent entity on a node's local journal, snapshotted every {@value
 * #SNAPSHOT_EVERY} updates. It lives on the node of its input partition when it is first used
 * (recorded by the topic registry) and stays there, like a partition's log. The processor loads
 * it when it is assigned the partition and flushes changes in batches, before it commits the
 * input offsets. Entity id: {@code
 * <application>/<store>/<topic>/<partition>}.
 */
public final class StateStoreEntity
    extends EventSourcedBehaviorWithEnforcedReplies<StateStoreEntity.Command, StateStoreEvent, StateStoreEntity.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "sluice-processor-state");
  static final int SNAPSHOT_EVERY = 200;

  public sealed interface Command extends SluiceMessage permits Load, Apply {}

  /**
   * Claims the store for a new holder (a processor just assigned the partition) and reads it
   * whole. The reply's {@code epoch} must accompany the holder's writes; a later claim fences
   * them off, so a processor that lost the partition can no longer change its state.
   */
  public record Load(ActorRef<Loaded> replyTo) implements Command {}

  /** The store: {@code inputOffset} -1 when nothing was ever applied. */
  public record Loaded(
      long epoch, long inputOffset, long streamTime, List<StateStoreEvent.Entry> entries, List<StateStoreEvent.Mark> marks)
      implements SluiceMessage {}

  /**
   * Applies a batch of changes reflecting input up to {@code inputOffset}, from the holder of
   * {@code epoch}. A batch whose offset is not above the store's is acknowledged without effect
   * (it was applied before); a batch from an earlier holder is refused ({@code fenced}).
   */
  public record Apply(
      long epoch, long inputOffset, long streamTime, List<StateStoreEvent.Entry> entries, List<StateStoreEvent.Mark> marks,
      ActorRef<Applied> replyTo)
      implements Command {}

  public record Applied(long inputOffset, boolean fenced) implements SluiceMessage {}

  /** In-memory state: an immutable map, so the event handler stays pure and cheap. */
  public record State(
      long epoch, long inputOffset, long streamTime, HashMap<ByteString, byte[]> map, Map<String, StateStoreEvent.Mark> marks) {
    static final State EMPTY = new State(0, -1, Long.MIN_VALUE, HashMap$.MODULE$.empty(), Map.of());

    State apply(StateStoreEvent.Updated u) {
      HashMap<ByteString, byte[]> m = map;
      for (StateStoreEvent.Entry e : u.entries()) {
        ByteString k = ByteString.fromArrayUnsafe(e.key());
        m = e.value() == null ? m.removed(k) : m.updated(k, e.value());
      }
      Map<String, StateStoreEvent.Mark> ms = marks;
      if (!u.marks().isEmpty()) {
        ms = new java.util.HashMap<>(marks);
        for (StateStoreEvent.Mark mark : u.marks()) {
          ms.put(mark.source(), mark);
        }
        ms = Map.copyOf(ms);
      }
      return new State(epoch, u.inputOffset(), Math.max(streamTime, u.streamTime()), m, ms);
    }

    State claimed(long e) {
      return new State(e, inputOffset, streamTime, map, marks);
    }

    List<StateStoreEvent.Entry> entries() {
      List<StateStoreEvent.Entry> out = new ArrayList<>(map.size());
      for (Map.Entry<ByteString, byte[]> e : CollectionConverters.asJava(map).entrySet()) {
        out.add(new StateStoreEvent.Entry(e.getKey().toArrayUnsafe(), e.getValue()));
      }
      return out;
    }
  }

  public static String entityId(String application, String store, String topic, int partition) {
    return application + "/" + store + "/" + topic + "/" + partition;
  }

  /** Registers the entity type with Cluster Sharding on this node (idempotent). */
  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> create(ctx.getEntityId()))
                // journaled on a node-local log: each store is its own shard and only ever runs
                // on the node the registry placed it on (its input partition's node at first use)
                .withMessageExtractor(PartitionPlacement.<Command>oneShardPerEntity())
                .withAllocationStrategy(
                    new NodeAllocation(system, "processor state store", store -> homeOf(system, store))));
  }

  private static java.util.concurrent.CompletionStage<Integer> homeOf(ActorSystem<?> system, String storeId) {
    if (SluiceMembers.standalone(system)) {
      return java.util.concurrent.CompletableFuture.completedFuture(-1); // one node: every log is here
    }
    // <application>/<store>/<topic>/<partition>: topic names have no '/', application names may
    int last = storeId.lastIndexOf('/');
    int before = last > 0 ? storeId.lastIndexOf('/', last - 1) : -1;
    String topic = before >= 0 ? storeId.substring(before + 1, last) : "";
    int partition;
    try {
      partition = Integer.parseInt(storeId.substring(last + 1));
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      partition = -1;
    }
    int p = partition;
    return TopicRegistry.entityRef(system)
        .<TopicRegistry.PartitionLocation>ask(r -> new TopicRegistry.PlaceStore(storeId, topic, p, r), java.time.Duration.ofSeconds(10))
        .thenApply(TopicRegistry.PartitionLocation::nodeId);
  }

  public static EntityRef<Command> entityRef(ActorSystem<?> system, String entityId) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, entityId);
  }

  public static Behavior<Command> create(String entityId) {
    return new StateStoreEntity(entityId);
  }

  private StateStoreEntity(String entityId) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
  }

  @Override
  public State emptyState() {
    return State.EMPTY;
  }

  @Override
  public CommandHandlerWithReply<Command, StateStoreEvent, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(
            Load.class,
            (s, c) ->
                Effect()
                    .persist(new StateStoreEvent.Claimed(s.epoch() + 1))
                    .thenReply(c.replyTo(), ns -> new Loaded(ns.epoch(), ns.inputOffset(), ns.streamTime(), ns.entries(), List.copyOf(ns.marks().values()))))
        .onCommand(
            Apply.class,
            (s, c) -> {
              if (c.epoch() != s.epoch()) {
                return Effect().reply(c.replyTo(), new Applied(s.inputOffset(), true));
              }
              if (c.inputOffset() <= s.inputOffset()) {
                return Effect().reply(c.replyTo(), new Applied(s.inputOffset(), false));
              }
              return Effect()
                  .persist(new StateStoreEvent.Updated(c.inputOffset(), c.streamTime(), c.entries(), c.marks()))
                  .thenReply(c.replyTo(), ns -> new Applied(ns.inputOffset(), false));
            })
        .build();
  }

  @Override
  public EventHandler<State, StateStoreEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(StateStoreEvent.Updated.class, State::apply)
        .onEvent(StateStoreEvent.Claimed.class, (s, e) -> s.claimed(e.epoch()))
        .onEvent(StateStoreEvent.Snapshot.class, (s, e) -> s) // snapshots are never journaled
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2).withDeleteEventsOnSnapshot();
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return new StateStoreEvent.Snapshot(
            state.inputOffset(), state.streamTime(), state.epoch(), state.entries(), List.copyOf(state.marks().values()));
      }

      @Override
      public State fromJournal(Object from) {
        StateStoreEvent.Snapshot s = (StateStoreEvent.Snapshot) from;
        return State.EMPTY.apply(new StateStoreEvent.Updated(s.inputOffset(), s.streamTime(), s.entries(), s.marks()))
            .claimed(s.epoch());
      }
    };
  }
}
