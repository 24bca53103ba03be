package dev.sluice.engine;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionSettings;
import dev.sluice.actors.group.GroupCoordinator;
import dev.sluice.actors.group.GroupDirectory;
import dev.sluice.dsl.state.StateStoreEntity;
import dev.sluice.actors.producer.ProducerIdAllocator;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.engine.kafka.GatewayContext;
import dev.sluice.engine.kafka.KafkaGateway;
import dev.sluice.engine.kafka.KafkaSettings;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.CoordinatedShutdown;
import dev.sluice.persistence.SluiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import dev.sluice.actors.cluster.SluiceMembers;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Sluice node: an ActorSystem in a Pekko cluster (a cluster of one unless seed nodes are
 * configured), Cluster Sharding for partition entities and the topic registry, the local
 * LevelDB journal under the node's data directory.
 *
 * <p>{@link #close()} (and SIGTERM, through Pekko's JVM shutdown hook) runs coordinated
 * shutdown: the node leaves the cluster, entities stop, the journal finishes its writes and
 * closes, then the data directory is released.
 */
public final class SluiceNode implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SluiceNode.class);
  /** Every node of a cluster runs an ActorSystem of this name. */
  public static final String SYSTEM_NAME = "sluice";

  private final ActorSystem<Void> system;
  private final NodeIdentity identity;
  private final Path dataDir;
  private volatile KafkaGateway gateway;

  private SluiceNode(ActorSystem<Void> system, NodeIdentity identity, Path dataDir) {
    this.system = system;
    this.identity = identity;
    this.dataDir = dataDir;
  }

  public static SluiceNode start(NodeSettings settings) {
    return start(settings, Clock.systemUTC());
  }

  /** Starts a node; {@code clock} drives retention (tests inject their own). */
  public static SluiceNode start(NodeSettings settings, Clock clock) {
    Path dataDir = settings.dataDir().toAbsolutePath().normalize();
    Config fileConfig =
        settings.configFile().map(f -> {
          if (!Files.isReadable(f)) {
            throw new IllegalArgumentException("config file " + f + " does not exist or is not readable");
          }
          return ConfigFactory.parseFile(f.toFile());
        }).orElse(ConfigFactory.empty());
    Config defaults = SluiceConfig.load(fileConfig);
    NodeIdentity identity;
    try {
      identity = NodeIdentity.claim(dataDir, settings.nodeId(), defaults.getInt("sluice.node.id"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot use data directory " + dataDir, e);
    }
    try {
      Map<String, Object> overrides = new HashMap<>();
      overrides.put("sluice.data-dir", dataDir.toString());
      overrides.put("sluice.node.id", identity.nodeId());
      settings.kafkaPort().ifPresent(p -> overrides.put("sluice.kafka.port", p));
      settings.clusterPort().ifPresent(p -> overrides.put("pekko.remote.artery.canonical.port", p));
      Config base = SluiceConfig.load(ConfigFactory.parseMap(overrides).withFallback(fileConfig));
      checkClusterSettings(base);
      // the node's identity and gateway address travel as cluster roles, so every node knows
      // which member holds which partitions and where its clients should connect
      KafkaSettings kafka = KafkaSettings.fromConfig(base);
      List<String> roles = new ArrayList<>(base.getStringList("pekko.cluster.roles"));
      roles.add(SluiceMembers.nodeRole(identity.nodeId()));
      if (kafka.enabled()) {
        int port = kafka.port() == 0 ? freeLoopbackPort(kafka.host()) : kafka.port();
        overrides.put("sluice.kafka.port", port);
        roles.add(SluiceMembers.kafkaRole(kafka.advertisedHost(), kafka.advertisedPort() > 0 ? kafka.advertisedPort() : port));
      }
      overrides.put("pekko.cluster.roles", roles);
      Config config = SluiceConfig.load(ConfigFactory.parseMap(overrides).withFallback(fileConfig));
      ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config);
      SluiceNode node = new SluiceNode(system, identity, dataDir);
      try {
        node.boot(clock);
      } catch (RuntimeException e) {
        node.close();
        throw e;
      }
      return node;
    } catch (RuntimeException e) {
      closeQuietly(identity);
      throw e;
    }
  }

  /**
   * Metadata is written to and read from at least {@code sluice.cluster.metadata-quorum} nodes: in
   * a cluster that should be a majority of its nodes, or a node restarting alone could read
   * metadata that misses the latest changes.
   */
  private static void checkClusterSettings(Config config) {
    int quorum = config.getInt("sluice.cluster.metadata-quorum");
    if (quorum < 1) {
      throw new IllegalArgumentException("sluice.cluster.metadata-quorum must be >= 1, got " + quorum);
    }
    if (config.getList("pekko.cluster.seed-nodes").size() > 1 && quorum < 2) {
      LOG.warn(
          "This node joins a cluster (seed nodes {}) with sluice.cluster.metadata-quorum = {}: set it to a majority of"
              + " the cluster's nodes (2 for 3 nodes) so that metadata survives the loss of any node",
          config.getList("pekko.cluster.seed-nodes").unwrapped(), quorum);
    }
    if (config.hasPath("sluice.cluster.metadata-node")) {
      LOG.warn("sluice.cluster.metadata-node is no longer used: cluster metadata is replicated on every node");
    }
  }

  /** A free port to bind the gateway to when 0 was asked for (the port must be known up front). */
  private static int freeLoopbackPort(String host) {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + host, e);
    }
  }

  private void boot(Clock clock) {
    Config config = system.settings().config();
    Cluster cluster = Cluster.get(system);
    if (config.getList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    DuplicateNodeGuard.start(system, identity.nodeId());
    MembershipLog.start(system, identity.nodeId());
    PartitionSettings partitions = PartitionSettings.fromConfig(config);
    PartitionEntity.init(system, partitions, clock);
    // Open the partition journal now (Pekko would on the first partition): a bad or locked data
    // directory fails the start, not the first request, and its recovery is not paid by a client.
    try {
      new dev.sluice.persistence.partition.PartitionJournal(
              org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system), partitions.journalPluginId(),
              system.dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking()))
          .ensureStarted()
          .toCompletableFuture()
          .get(60, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("the journal in " + dataDir + " did not open", e);
    }
    TopicRegistry.init(system);
    // Start the registry now: its recovery re-checks every topic's partitions.
    TopicRegistry.entityRef(system).tell(new TopicRegistry.ListTopics(system.ignoreRef()));
    ProducerIdAllocator.init(system);
    GroupDirectory.init(system);
    GroupCoordinator.init(system);
    StateStoreEntity.init(system);
    KafkaSettings kafka = KafkaSettings.fromConfig(config);
    if (kafka.enabled()) {
      String clusterId;
      try {
        clusterId = NodeIdentity.clusterId(dataDir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot record the cluster id in " + dataDir, e);
      }
      KafkaGateway started = KafkaGateway.start(system, new GatewayContext(system, identity.nodeId(), clusterId, kafka));
      gateway = started;
      // stop taking Kafka connections first when the node shuts down
      CoordinatedShutdown.get(Adapter.toClassic(system))
          .addTask(
              CoordinatedShutdown.PhaseServiceUnbind(),
              "kafka-gateway-unbind",
              () -> {
                started.close();
                return CompletableFuture.completedFuture(Done.getInstance());
              });
    }
    system.getWhenTerminated().whenComplete((done, err) -> closeQuietly(identity));
    LOG.info(
        "Sluice node {} started: data-dir={} cluster={} kafka={} fsync={}",
        identity.nodeId(),
        dataDir,
        cluster.selfMember().address(),
        gateway == null ? "off" : kafka.advertisedHost() + ":" + kafkaPort(),
        config.getString("sluice.log.fsync"));
  }

  private static void closeQuietly(NodeIdentity identity) {
    try {
      identity.close();
    } catch (IOException e) {
      LOG.warn("Releasing the data directory lock failed", e);
    }
  }

  /** The port the Kafka gateway listens on (the bound one when configured as 0), or -1 if off. */
  public int kafkaPort() {
    KafkaGateway g = gateway;
    return g == null ? -1 : g.localAddress().getPort();
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public int nodeId() {
    return identity.nodeId();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The partition entity of {@code topic}-{@code partition}, wherever sharding runs it. */
  public EntityRef<PartitionEntity.Command> partition(String topic, int partition) {
    return ClusterSharding.get(system).entityRefFor(PartitionEntity.ENTITY_TYPE_KEY, PartitionEntity.entityId(topic, partition));
  }

  /** The topic registry. */
  public EntityRef<TopicRegistry.Command> registry() {
    return TopicRegistry.entityRef(system);
  }

  public CompletionStage<Done> whenTerminated() {
    return system.getWhenTerminated();
  }

  /** Runs coordinated shutdown and waits (bounded) until the node has stopped. */
  @Override
  public void close() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(Duration.ofSeconds(60).toMillis(), TimeUnit.MILLISECONDS);
      // release the data directory before returning, so the caller may start a node on it at once
      // (the termination callback that also does this may not have run yet)
      closeQuietly(identity);
    } catch (Exception e) {
      LOG.warn("Node {} did not stop within 60 s", identity.nodeId(), e);
    }
  }
}
