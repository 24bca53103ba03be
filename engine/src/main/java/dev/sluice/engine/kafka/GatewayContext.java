package dev.sluice.engine.kafka;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.producer.ProducerIdAllocator;
import dev.sluice.actors.registry.TopicRegistry;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.kafka.common.Uuid;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * What the API handlers of one node's gateway share: the node's identity and address, the
 * gateway settings, and typed access to the partitions, the registry and the producer-id
 * allocator. Replies complete on the actor system's executor (never on a thread started per
 * callback).
 */
public final class GatewayContext {
  private final ActorSystem<?> system;
  private final int nodeId;
  private final String clusterId;
  private final KafkaSettings settings;
  private final ClusterSharding sharding;
  private volatile int advertisedPort;

  public GatewayContext(ActorSystem<?> system, int nodeId, String clusterId, KafkaSettings settings) {
    this.system = system;
    this.nodeId = nodeId;
    this.clusterId = clusterId;
    this.settings = settings;
    this.sharding = ClusterSharding.get(system);
    this.advertisedPort = settings.port();
  }

  /** The port clients are told to connect to (the bound one once the gateway listens). */
  public int advertisedPort() {
    return advertisedPort;
  }

  void boundTo(int port) {
    this.advertisedPort = settings.advertisedPort() > 0 ? settings.advertisedPort() : port;
  }

  public String advertisedHost() {
    return settings.advertisedHost();
  }

  public ActorSystem<?> system() {
    return system;
  }

  public int nodeId() {
    return nodeId;
  }

  public String clusterId() {
    return clusterId;
  }

  public KafkaSettings settings() {
    return settings;
  }

  public Executor executor() {
    return system.executionContext();
  }

  public EntityRef<PartitionEntity.Command> partition(String topic, int partition) {
    return sharding.entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(topic, partition));
  }

  public <R> CompletionStage<R> askPartition(
      String topic, int partition, Function<ActorRef<R>, PartitionEntity.Command> command, Duration timeout) {
    return partition(topic, partition).ask(command::apply, timeout);
  }

  public <R> CompletionStage<R> askRegistry(Function<ActorRef<R>, TopicRegistry.Command> command) {
    return TopicRegistry.entityRef(system).ask(command::apply, settings.adminTimeout());
  }

  public CompletionStage<ProducerIdAllocator.Allocated> allocateProducerId() {
    return ProducerIdAllocator.entityRef(system)
        .<ProducerIdAllocator.Allocated>ask(ProducerIdAllocator.Allocate::new, settings.adminTimeout());
  }

  /** Kafka's form of a registry topic id (a UUID string). */
  public static Uuid kafkaUuid(String topicId) {
    UUID u = UUID.fromString(topicId);
    return new Uuid(u.getMostSignificantBits(), u.getLeastSignificantBits());
  }
}
