package dev.sluice.samples;

import dev.sluice.dsl.javadsl.CommitterSettings;
import dev.sluice.dsl.javadsl.ConsumerGroupSettings;
import dev.sluice.dsl.javadsl.ConsumerSettings;
import dev.sluice.dsl.javadsl.ProcessorSettings;
import dev.sluice.dsl.javadsl.StartOffset;
import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The embedded single Sluice node a sample app runs on: its own data directory, the Kafka
 * protocol on 127.0.0.1 (so Kafka's tools can watch the app's topics), and a {@link Topics}
 * admin client. {@link #close()} stops the node cleanly (journal closed, directory released).
 */
public final class SampleNode implements AutoCloseable {
  private final SluiceNode node;
  private final Topics topics;

  private SampleNode(SluiceNode node, Topics topics) {
    this.node = node;
    this.topics = topics;
  }

  /** Starts the node on {@code dataDir} (created if missing); {@code kafkaPort} 0 picks a free port. */
  public static SampleNode start(Path dataDir, int kafkaPort, PrintStream out) {
    SluiceNode node;
    try {
      // a one-node sample needs no fixed cluster (remoting) port: any free one keeps apps side by side
      node = SluiceNode.start(NodeSettings.of(dataDir).withKafkaPort(kafkaPort).withClusterPort(0));
    } catch (RuntimeException e) {
      throw new CannotStart(
          "cannot start the embedded node on " + dataDir + ": " + e.getMessage()
              + (portInUse(e) ? " (another node or Kafka on port " + kafkaPort + "? try another --kafka-port, or 0)" : ""),
          e);
    }
    try {
      Topics topics = new Topics("127.0.0.1:" + node.kafkaPort());
      // on Ctrl-C, close the admin client's connections before the gateway stops taking them
      CoordinatedShutdown.get(Adapter.toClassic(node.system()))
          .addTask(
              CoordinatedShutdown.PhaseBeforeServiceUnbind(),
              "close-admin-client",
              () -> CompletableFuture.runAsync(topics::close).thenApply(v -> Done.getInstance()));
      out.printf("node up: data in %s, Kafka protocol on 127.0.0.1:%d%n", node.dataDir(), node.kafkaPort());
      return new SampleNode(node, topics);
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
  }

  private static boolean portInUse(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
    }
    return false;
  }

  /** The node did not start; the message says why, for the user. */
  public static final class CannotStart extends RuntimeException {
    CannotStart(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public ActorSystem<Void> system() {
    return node.system();
  }

  public Topics topics() {
    return topics;
  }

  public int kafkaPort() {
    return node.kafkaPort();
  }

  /**
   * Settings for the apps' stream processors: read inputs from the start, commit often (the apps
   * wait for "lag 0"), and short group timeouts so a restarted app rejoins quickly.
   */
  public static ProcessorSettings processorSettings(String applicationId) {
    return ProcessorSettings.defaults(applicationId)
        .withGroup(
            ConsumerGroupSettings.of(applicationId)
                .withClientId(applicationId)
                .withAutoOffsetReset(StartOffset.earliest())
                .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofMillis(500)))
        .withConsumer(ConsumerSettings.defaults().withPollWait(Duration.ofMillis(200)))
        .withCommitter(CommitterSettings.defaults().withMaxInterval(Duration.ofMillis(200)));
  }

  /**
   * Runs {@code task} when the node is shut down by Ctrl-C / SIGTERM (Pekko's coordinated
   * shutdown), before the node leaves: there a processor drains, commits and leaves its group.
   */
  public void onShutdown(String name, Supplier<CompletionStage<Done>> task) {
    CoordinatedShutdown.get(Adapter.toClassic(node.system())).addTask(CoordinatedShutdown.PhaseServiceStop(), name, task);
  }

  /** Serves until the node is shut down (Ctrl-C / SIGTERM). */
  public void awaitShutdown(PrintStream out) {
    out.println("serving until Ctrl-C");
    node.whenTerminated().toCompletableFuture().join();
  }

  @Override
  public void close() {
    topics.close();
    node.close();
  }
}
