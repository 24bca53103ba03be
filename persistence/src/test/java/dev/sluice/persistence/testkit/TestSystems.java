package dev.sluice.persistence.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sluice.persistence.SluiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Configuration for test ActorSystems backed by a real Sluice journal (native LevelDB) and local
 * snapshot store in a directory of the test's own, as a one-node cluster on 127.0.0.1 with a
 * random remoting port.
 */
public final class TestSystems {
  private TestSystems() {}

  /** Config for a node whose data lives in {@code dataDir}; {@code extra} (HOCON) overrides. */
  public static Config config(Path dataDir, String extra) {
    return SluiceConfig.load(
        ConfigFactory.parseString(extra)
            .withFallback(
                ConfigFactory.parseString(
                    "sluice.data-dir = \"" + dataDir.toAbsolutePath().toString().replace("\\", "/") + "\"\n"
                        + "pekko.loglevel = INFO\n"
                        + "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
                        + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n"
                        + "pekko.actor.provider = cluster\n"
                        + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
                        + "pekko.remote.artery.canonical.port = 0\n"
                        + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
                        + "pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off\n"
                        // leaving the cluster and handing off shards can take longer than the
                        // testkit's 10 s default on a loaded 2-core machine
                        + "pekko.actor.testkit.typed.system-shutdown-default = 60 s\n"
                        + "pekko.coordinated-shutdown.terminate-actor-system = on\n"
                        + "pekko.actor.serialize-messages = off\n")));
  }

  public static Config config(Path dataDir) {
    return config(dataDir, "");
  }

  /**
   * A test kit whose ActorSystem runs on {@link #config(Path, String)} and has joined itself as
   * a one-node cluster (sharding needs a member that is up).
   */
  public static org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit oneNodeCluster(String name, Path dataDir, String extra) {
    var kit = org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create(name, config(dataDir, extra));
    var cluster = org.apache.pekko.cluster.typed.Cluster.get(kit.system());
    cluster.manager().tell(org.apache.pekko.cluster.typed.Join.create(cluster.selfMember().address()));
    return kit;
  }

  /** Deletes a directory tree (best effort, for test clean-up). */
  public static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
