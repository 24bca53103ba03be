package dev.sluice.persistence.replicated;

import dev.sluice.persistence.serialization.CborPersisted;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * Test entity on the replicated journal and snapshot store: a counter that snapshots every
 * {@link #SNAPSHOT_EVERY} events and then deletes the events the snapshot covers.
 */
final class Counter extends EventSourcedBehaviorWithEnforcedReplies<Counter.Command, Counter.Added, Counter.State> {
  static final int SNAPSHOT_EVERY = 5;
  static final String JOURNAL = "sluice.persistence.replicated-journal";
  static final String SNAPSHOTS = "sluice.persistence.replicated-snapshot-store";

  sealed interface Command {}

  /** Adds {@code amount}; replies with the state after it was journaled. */
  record Add(int amount, ActorRef<Reading> replyTo) implements Command {}

  record Get(ActorRef<Reading> replyTo) implements Command {}

  /** What a reply says: the state and the sequence number of the last event. */
  record Reading(long total, int events, long lastSequenceNr) {}

  record Added(int amount) implements CborPersisted {}

  record State(long total, int events) implements CborPersisted {
    State apply(Added e) {
      return new State(total + e.amount(), events + 1);
    }
  }

  private final ActorContext<Command> context;

  static Behavior<Command> create(String persistenceId) {
    return Behaviors.setup(ctx -> new Counter(persistenceId, ctx));
  }

  private Counter(String persistenceId, ActorContext<Command> context) {
    super(PersistenceId.ofUniqueId(persistenceId));
    this.context = context;
  }

  @Override
  public String journalPluginId() {
    return JOURNAL;
  }

  @Override
  public String snapshotPluginId() {
    return SNAPSHOTS;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 1).withDeleteEventsOnSnapshot();
  }

  @Override
  public State emptyState() {
    return new State(0, 0);
  }

  @Override
  public CommandHandlerWithReply<Command, Added, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Add.class, this::onAdd)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), reading(state)))
        .build();
  }

  private ReplyEffect<Added, State> onAdd(State state, Add add) {
    return Effect().persist(new Added(add.amount())).thenReply(add.replyTo(), this::reading);
  }

  private Reading reading(State state) {
    return new Reading(state.total(), state.events(), lastSequenceNumber(context));
  }

  @Override
  public EventHandler<State, Added> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onEvent(Added.class, State::apply).build();
  }
}
