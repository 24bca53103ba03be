package dev.sluice.engine.kafka;

import dev.sluice.actors.Replies;
import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.producer.ProducerIdAllocator;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.actors.cluster.MetadataNode;
import dev.sluice.actors.cluster.SluiceMembers;
import java.time.Duration;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
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
  private final PlacementCache placement;

  public GatewayContext(ActorSystem<?> system, int nodeId, String clusterId, KafkaSettings settings) {
    this.system = system;
    this.nodeId = nodeId;
    this.clusterId = clusterId;
    this.settings = settings;
    this.sharding = ClusterSharding.get(system);
    this.advertisedPort = settings.port();
    this.placement = new PlacementCache(this);
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

  /**
   * Asks a partition entity, if this node holds its log. A partition placed on another node (or
   * whose node is down) fails with {@link NotLeader} at once, without a hop: clients answered
   * NOT_LEADER_OR_FOLLOWER refresh their metadata and go to the right node.
   */
  public <R> CompletionStage<R> askPartition(
      String topic, int partition, Function<ActorRef<R>, PartitionEntity.Command> command, Duration timeout) {
    int node = placement.nodeOf(topic, partition);
    if (node >= 0 && node != nodeId) {
      return CompletableFuture.failedFuture(new NotLeader(topic, partition, node));
    }
    if (node < 0 && !SluiceMembers.standalone(system)) {
      // in a cluster, a partition entity is only contacted once the registry knows it: an entity
      // started for an unknown partition would sit on whichever node asked first
      return placement
          .lookup(topic)
          .thenCompose(
              t -> {
                if (t == null || partition < 0 || partition >= t.partitions()) {
                  return CompletableFuture.<R>failedFuture(new UnknownPartition(topic, partition));
                }
                int home = t.nodeOf(partition);
                if (home >= 0 && home != nodeId) {
                  return CompletableFuture.<R>failedFuture(new NotLeader(topic, partition, home));
                }
                return Replies.direct(partition(topic, partition).ask(command::apply, timeout));
              });
    }
    return Replies.direct(partition(topic, partition).ask(command::apply, timeout));
  }

  /** The registry knows no such partition. */
  public static final class UnknownPartition extends RuntimeException {
    UnknownPartition(String topic, int partition) {
      super("unknown topic or partition " + topic + "-" + partition, null, false, false);
    }
  }

  /** Whether {@code err} (as a CompletionStage delivers it) says the partition does not exist. */
  public static boolean isUnknown(Throwable err) {
    return err instanceof UnknownPartition || (err != null && err.getCause() instanceof UnknownPartition);
  }

  /** The partition is held by another node. */
  public static final class NotLeader extends RuntimeException {
    NotLeader(String topic, int partition, int node) {
      super(topic + "-" + partition + " is on node " + node, null, false, false);
    }
  }

  /** Whether {@code err} (as a CompletionStage delivers it) says the partition is elsewhere. */
  public static boolean isNotLeader(Throwable err) {
    return err instanceof NotLeader || (err != null && err.getCause() instanceof NotLeader);
  }

  public PlacementCache placement() {
    return placement;
  }

  /** Live Sluice nodes with a Kafka gateway: node id to {host, port}; always includes this node. */
  public SortedMap<Integer, HostPort> liveBrokers() {
    SortedMap<Integer, HostPort> brokers = new TreeMap<>();
    SluiceMembers.upNodes(system).forEach((id, m) -> SluiceMembers.kafkaAddress(m).ifPresent(a -> {
      int colon = a.lastIndexOf(':');
      brokers.put(id, new HostPort(a.substring(0, colon), Integer.parseInt(a.substring(colon + 1))));
    }));
    brokers.put(nodeId, new HostPort(advertisedHost(), advertisedPort()));
    return brokers;
  }

  public record HostPort(String host, int port) {}

  /** The node that runs the topic registry (Kafka's "controller"); this node when it is alone. */
  public int metadataNode() {
    int home = MetadataNode.oldestNode(system);
    return home >= 0 ? home : nodeId;
  }

  /**
   * The node that runs {@code groupId}'s coordinator entity (this node when it is alone). Any
   * node can serve a group's requests, since they go through Cluster Sharding; naming the
   * coordinator's own node saves a hop.
   */
  public int coordinatorNode(String groupId) {
    int home = MetadataNode.homeOfEntity(system, groupId);
    return home >= 0 ? home : nodeId;
  }

  public <R> CompletionStage<R> askRegistry(Function<ActorRef<R>, TopicRegistry.Command> command) {
    return askRegistry(command, settings.adminTimeout());
  }

  public <R> CompletionStage<R> askRegistry(Function<ActorRef<R>, TopicRegistry.Command> command, java.time.Duration timeout) {
    return Replies.direct(TopicRegistry.entityRef(system).ask(command::apply, timeout));
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
