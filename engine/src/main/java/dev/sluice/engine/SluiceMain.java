package dev.sluice.engine;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The {@code sluice} command line (run through {@code cluster-config/bin/sluice}).
 *
 * <pre>
 *   sluice node --data-dir DIR [--node-id N] [--kafka-port P] [--cluster-port P] [--config FILE]
 *   sluice --help
 * </pre>
 */
public final class SluiceMain {
  static final String USAGE =
      """
      Usage: sluice <command> [options]

      Commands:
        node       Run one Sluice node in the foreground until SIGTERM / Ctrl-C.
        help       Show this help.

      Options of 'node':
        --data-dir DIR      Data directory of the node (journal, snapshots, node identity). Required.
                            Created if missing; one running node per directory.
        --node-id N         Stable node id (integer >= 0). Recorded in DIR/node.id on first start;
                            a later start with another id is refused. Default: the recorded id, else 1.
        --kafka-port P      Kafka-protocol port (default 9092, from sluice.kafka.port).
        --cluster-port P    Pekko cluster (remoting) port (default 25520; 0 = any free port).
        --config FILE       HOCON file with further settings (see cluster-config/conf/*.conf),
                            e.g. sluice.log.fsync = always, pekko.cluster.seed-nodes = [...].

      Environment: SLUICE_JAVA_OPTS adds JVM options (e.g. -Xmx2g).
      """;

  private SluiceMain() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the command; returns the exit code (a running node returns only once it stopped). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    if (!args[0].equals("node")) {
      err.println("sluice: unknown command '" + args[0] + "' (try: sluice --help)");
      return 2;
    }
    NodeSettings settings;
    try {
      settings = parseNode(args);
    } catch (IllegalArgumentException e) {
      err.println("sluice node: " + e.getMessage() + " (try: sluice --help)");
      return 2;
    }
    if (settings == null) {
      out.print(USAGE);
      return 0;
    }
    SluiceNode node;
    try {
      node = SluiceNode.start(settings);
    } catch (RuntimeException e) {
      err.println("sluice node: " + e.getMessage());
      return 1;
    }
    node.whenTerminated().toCompletableFuture().join();
    return 0;
  }

  /** Parses {@code node} options; null means help was asked for. */
  static NodeSettings parseNode(String[] args) {
    Path dataDir = null;
    OptionalInt nodeId = OptionalInt.empty();
    OptionalInt kafkaPort = OptionalInt.empty();
    OptionalInt clusterPort = OptionalInt.empty();
    Optional<Path> config = Optional.empty();
    for (int i = 1; i < args.length; i++) {
      String opt = args[i];
      if (opt.equals("--help") || opt.equals("-h")) {
        return null;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + opt + " needs a value");
      }
      String value = args[++i];
      switch (opt) {
        case "--data-dir" -> dataDir = Path.of(value);
        case "--node-id" -> nodeId = OptionalInt.of(integer(opt, value));
        case "--kafka-port" -> kafkaPort = OptionalInt.of(integer(opt, value));
        case "--cluster-port" -> clusterPort = OptionalInt.of(integer(opt, value));
        case "--config" -> config = Optional.of(Path.of(value));
        default -> throw new IllegalArgumentException("unknown option " + opt);
      }
    }
    if (dataDir == null) {
      throw new IllegalArgumentException("--data-dir DIR is required");
    }
    return new NodeSettings(dataDir, nodeId, kafkaPort, clusterPort, config);
  }

  private static int integer(String opt, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(opt + " needs a whole number, got '" + value + "'");
    }
  }
}
