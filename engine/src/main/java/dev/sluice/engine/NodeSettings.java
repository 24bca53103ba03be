package dev.sluice.engine;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How to start one node: its data directory and what the command line overrides; everything
 * else comes from {@code --config FILE} and the modules' reference.conf.
 *
 * @param dataDir where the node keeps its journal, snapshots and identity
 * @param nodeId stable node id, empty to use the one recorded in the data directory (or 1)
 * @param kafkaPort Kafka-protocol port, empty for the configured one
 * @param clusterPort Pekko remoting port, empty for the configured one (0 = any free port)
 * @param configFile optional HOCON file with more settings
 */
public record NodeSettings(
    Path dataDir, OptionalInt nodeId, OptionalInt kafkaPort, OptionalInt clusterPort, Optional<Path> configFile) {

  public NodeSettings {
    if (dataDir == null) {
      throw new IllegalArgumentException("a node needs a data directory (--data-dir DIR)");
    }
    nodeId.ifPresent(
        id -> {
          if (id < 0) {
            throw new IllegalArgumentException("--node-id must be >= 0, got " + id);
          }
        });
    kafkaPort.ifPresent(p -> checkPort("--kafka-port", p));
    clusterPort.ifPresent(p -> checkPort("--cluster-port", p));
  }

  private static void checkPort(String name, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " must be 0..65535, got " + port);
    }
  }

  public static NodeSettings of(Path dataDir) {
    return new NodeSettings(dataDir, OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(), Optional.empty());
  }

  public NodeSettings withClusterPort(int port) {
    return new NodeSettings(dataDir, nodeId, kafkaPort, OptionalInt.of(port), configFile);
  }

  public NodeSettings withKafkaPort(int port) {
    return new NodeSettings(dataDir, nodeId, OptionalInt.of(port), clusterPort, configFile);
  }

  public NodeSettings withNodeId(int id) {
    return new NodeSettings(dataDir, OptionalInt.of(id), kafkaPort, clusterPort, configFile);
  }

  public NodeSettings withConfigFile(Path file) {
    return new NodeSettings(dataDir, nodeId, kafkaPort, clusterPort, Optional.of(file));
  }
}
