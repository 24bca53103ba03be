package dev.sluice.actors.producer;

import dev.sluice.actors.cluster.MetadataEntity;
import dev.sluice.actors.cluster.MetadataNode;
import dev.sluice.persistence.serialization.CborPersisted;
import dev.sluice.persistence.serialization.SluiceMessage;
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
 * Hands out idempotent-producer ids (Kafka's InitProducerId) that are never reused, even across
 * restarts: ids are reserved durably in blocks of {@link #BLOCK_SIZE}, and a restart continues
 * after the last reserved block (the unused rest of a block is skipped, as Kafka does).
 */
public final class ProducerIdAllocator
    extends MetadataEntity<ProducerIdAllocator.Command, ProducerIdAllocator.BlockReserved, ProducerIdAllocator.State> {

  public static final EntityTypeKey<Command> ENTITY_TYPE_KEY = EntityTypeKey.create(Command.class, "sluice-producer-ids");
  public static final String ENTITY_ID = "producer-ids";
  public static final long BLOCK_SIZE = 1000;

  public sealed interface Command extends SluiceMessage permits Allocate {}

  /** Asks for a fresh producer id. */
  public record Allocate(ActorRef<Allocated> replyTo) implements Command {}

  public record Allocated(long producerId) implements SluiceMessage {}

  /** Ids below {@code end} are reserved (handed out or skipped). */
  public record BlockReserved(long end) implements CborPersisted {}

  /** Ids below {@code reservedEnd} are reserved: handed out, or skipped by a restart. */
  public record State(long reservedEnd) implements CborPersisted {}

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_TYPE_KEY, ctx -> new ProducerIdAllocator(ctx.getEntityId()))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy())
                .withAllocationStrategy(MetadataNode.allocation(system, "the producer-id allocator")));
  }

  public static EntityRef<Command> entityRef(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_TYPE_KEY, ENTITY_ID);
  }

  private ProducerIdAllocator(String entityId) {
    super(PersistenceId.of(ENTITY_TYPE_KEY.name(), entityId));
  }

  @Override
  public State emptyState() {
    return new State(0);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 1).withDeleteEventsOnSnapshot(); // keeps its replicated value small
  }

  // The position inside the reserved block is deliberately not event-sourced: after a restart
  // it starts at the end of the last reserved block, so no id is ever handed out twice.
  private long next = -1;

  @Override
  public CommandHandlerWithReply<Command, BlockReserved, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(
            Allocate.class,
            (state, cmd) -> {
              if (next < 0) {
                next = state.reservedEnd();
              }
              long id = next++;
              if (id < state.reservedEnd()) {
                return Effect().reply(cmd.replyTo(), new Allocated(id));
              }
              return Effect().persist(new BlockReserved(id + BLOCK_SIZE)).thenReply(cmd.replyTo(), s -> new Allocated(id));
            })
        .build();
  }

  @Override
  public EventHandler<State, BlockReserved> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, e) -> new State(e.end()));
  }
}
