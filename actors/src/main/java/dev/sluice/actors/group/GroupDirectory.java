package dev.sluice.actors.group;

import dev.sluice.actors.cluster.MetadataEntity;
import dev.sluice.actors.cluster.MetadataNode;
import dev.sluice.persistence.serialization.CborPersisted;
import dev.sluice.persistence.serialization.SluiceMessage;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The durable set of consumer-group ids (ListGroups needs to enumerate groups; each group is
 * its own sharded entity). A group registers when it first stores something and unregisters
 * when deleted. Registration is idempotent.
 */
public final class GroupDirectory
    extends MetadataEntity<GroupDirectory.Command, GroupDirectory.Event, GroupDirectory.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "sluice-group-directory");
  public static final String ENTITY_ID = "groups";

  public sealed interface Command extends SluiceMessage permits Register, Unregister, ListIds {}

  public record Register(String groupId, ActorRef<Done> replyTo) implements Command {}

  public record Unregister(String groupId, ActorRef<Done> replyTo) implements Command {}

  public record ListIds(ActorRef<GroupIds> replyTo) implements Command {}

  public record Done() implements SluiceMessage {}

  public record GroupIds(List<String> groupIds) implements SluiceMessage {}

  public sealed interface Event extends CborPersisted permits Registered, Unregistered {}

  public record Registered(String groupId) implements Event {}

  public record Unregistered(String groupId) implements Event {}

  /** Group ids, sorted. Immutable. */
  public record State(Set<String> groupIds) implements CborPersisted {
    public State {
      groupIds = groupIds == null ? Set.of() : Set.copyOf(groupIds);
    }

    State apply(Event e) {
      TreeSet<String> next = new TreeSet<>(groupIds);
      if (e instanceof Registered r) {
        next.add(r.groupId());
      } else if (e instanceof Unregistered u) {
        next.remove(u.groupId());
      }
      return new State(next);
    }
  }

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> new GroupDirectory(ctx.getEntityId()))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
                .withAllocationStrategy(MetadataNode.allocation(system, "the group directory")));
  }

  public static EntityRef<Command> entityRef(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, ENTITY_ID);
  }

  private GroupDirectory(String entityId) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
  }

  @Override
  public State emptyState() {
    return new State(Set.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 1).withDeleteEventsOnSnapshot(); // keeps its replicated value small
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(
            Register.class,
            (state, cmd) ->
                state.groupIds().contains(cmd.groupId())
                    ? Effect().reply(cmd.replyTo(), new Done())
                    : Effect().persist(new Registered(cmd.groupId())).thenReply(cmd.replyTo(), s -> new Done()))
        .onCommand(
            Unregister.class,
            (state, cmd) ->
                !state.groupIds().contains(cmd.groupId())
                    ? Effect().reply(cmd.replyTo(), new Done())
                    : Effect().persist(new Unregistered(cmd.groupId())).thenReply(cmd.replyTo(), s -> new Done()))
        .onCommand(ListIds.class, (state, cmd) -> Effect().reply(cmd.replyTo(), new GroupIds(List.copyOf(new TreeSet<>(state.groupIds())))))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }
}
