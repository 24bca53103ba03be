package dev.sluice.samples;

import dev.sluice.samples.ledger.LedgerApp;
import dev.sluice.samples.pipeline.Pipeline;
import dev.sluice.samples.wordcount.WordCount;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Set;

/**
 * The sample apps' command line ({@code sample-apps/bin/run APP [options]}): each app boots its own
 * embedded single-node Sluice, does its work printing what it does, and exits, or with {@code
 * --serve} keeps running until Ctrl-C.
 */
public final class Samples {
  static final String USAGE =
      """
      Usage: run <app> [options]      (run <app> --help for the app's options)

      Apps:
        word-count   count words of a text, in total and per minute of event time
        ledger       an event-sourced ledger: overdraft checks, replays, balances as of a time
        pipeline     CSV orders -> validated and enriched JSON lines, bad rows to dead letters

      Options of every app:
        --data-dir DIR     the embedded node's data (default sample-data/<app>)
        --kafka-port P     its Kafka-protocol port on 127.0.0.1 (default 9092; 0 = any free port)
        --serve            keep the node (and the app's processors) running until Ctrl-C
      """;

  private Samples() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    // the node and its threads are stopped by now; exit also when a library left a thread behind
    System.exit(code);
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      out.print(USAGE);
      return args.length == 0 ? 2 : 0;
    }
    String app = args[0];
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    String usage =
        switch (app) {
          case "word-count" -> WordCount.USAGE;
          case "ledger" -> LedgerApp.USAGE;
          case "pipeline" -> Pipeline.USAGE;
          default -> null;
        };
    if (usage == null) {
      err.println("run: unknown app '" + app + "' (try: run --help)");
      return 2;
    }
    if (Arrays.asList(rest).contains("--help")) {
      out.print(usage);
      return 0;
    }
    try {
      switch (app) {
        case "word-count" -> WordCount.run(SampleArgs.parse(app, rest, WordCount.OPTIONS, Set.of()), out);
        case "ledger" -> LedgerApp.run(SampleArgs.parse(app, rest, LedgerApp.OPTIONS, Set.of()), out);
        default -> Pipeline.run(SampleArgs.parse(app, rest, Pipeline.OPTIONS, Set.of()), out);
      }
      return 0;
    } catch (IllegalArgumentException e) {
      err.println(app + ": " + e.getMessage() + " (try: run " + app + " --help)");
      return 2;
    } catch (SampleNode.CannotStart e) {
      err.println(app + ": " + e.getMessage());
      return 1;
    } catch (Exception e) {
      err.println(app + " failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }
}
