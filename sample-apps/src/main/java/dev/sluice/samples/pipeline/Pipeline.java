package dev.sluice.samples.pipeline;

import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.KeyValue;
import dev.sluice.dsl.javadsl.RecordStream;
import dev.sluice.dsl.javadsl.RunningProcessor;
import dev.sluice.dsl.javadsl.Serdes;
import dev.sluice.dsl.javadsl.StreamProcessor;
import dev.sluice.samples.LineLoader;
import dev.sluice.samples.SampleArgs;
import dev.sluice.samples.SampleNode;
import dev.sluice.samples.TopicReplay;
import dev.sluice.samples.Topics;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;

/**
 * A data-integration pipeline: CSV rows of orders are loaded into {@code raw-records} (each row
 * once, keyed by {@code <file>:<line>}); a stream processor validates and enriches them into
 * {@code clean-records} (JSON, keyed by order id) and sends bad rows to {@code dead-letters} with
 * the reasons; a file sink writes {@code clean-records} to a JSON-lines file, each row once across
 * restarts ({@link OrderFileSink}).
 */
public final class Pipeline {
  public static final String RAW = "raw-records";
  public static final String CLEAN = "clean-records";
  public static final String DEAD_LETTERS = "dead-letters";
  public static final String APPLICATION_ID = "order-pipeline";

  public static final Set<String> OPTIONS = Set.of("--input", "--output", "--sink-limit");
  public static final String USAGE =
      """
      Usage: run pipeline [--input FILE.csv] [--output FILE.jsonl] [--sink-limit N]
                          [--data-dir DIR] [--kafka-port P] [--serve]
        --input FILE     orders as CSV with the header
                         order_id,customer_email,country,amount,currency,ordered_at
                         (default: a bundled sample with good and bad rows)
        --output FILE    the JSON-lines file of clean orders (default DIR/clean-orders.jsonl)
        --sink-limit N   stop the file sink after N new lines, as if it crashed; run again
                         without it to see it resume without duplicates
        --serve          keep processing (rows produced to raw-records, e.g. by
                         kafka-console-producer with parse.key=true) until Ctrl-C
      """;

  /** What a run did: rows loaded now, lines the sink wrote now, and every dead letter so far. */
  public record Result(LineLoader.Loaded loaded, long written, Path output, List<Orders.DeadLetter> deadLetters) {}

  private Pipeline() {}

  /** raw-records → validated and enriched → clean-records, or dead-letters with the reasons. */
  public static StreamProcessor processor() {
    StreamProcessor.Builder b = StreamProcessor.builder(APPLICATION_ID);
    List<RecordStream<String, Orders.Checked>> checked =
        b.from(RAW, Serdes.string(), Serdes.string())
            .map((source, row) -> KeyValue.of(source, Orders.check(source, row)))
            .branch((source, c) -> c.valid(), (source, c) -> true);
    checked.get(0)
        .map((source, c) -> KeyValue.of(c.order().orderId(), c.order()))
        .to(CLEAN, Serdes.string(), Serdes.json(Orders.CleanOrder.class));
    checked.get(1)
        .mapValues(Orders.Checked::deadLetter)
        .to(DEAD_LETTERS, Serdes.string(), Serdes.json(Orders.DeadLetter.class));
    return b.build();
  }

  public static Result run(SampleArgs args, PrintStream out) throws Exception {
    SampleArgs.Input input = args.input("/dev/sluice/samples/orders.csv");
    if (input.lines().isEmpty() || !input.lines().get(0).trim().equals(Orders.HEADER)) {
      throw new IllegalArgumentException(input.name() + " must start with the header line " + Orders.HEADER);
    }
    Path output = args.option("--output").map(Path::of).orElse(args.dataDir().resolve("clean-orders.jsonl"));
    long sinkLimit = args.intOption("--sink-limit", Integer.MAX_VALUE);
    SampleNode node = SampleNode.start(args.dataDir(), args.kafkaPort(), out);
    try {
      Topics topics = node.topics();
      topics.create(RAW, 3, Map.of());
      topics.create(CLEAN, 3, Map.of());
      topics.create(DEAD_LETTERS, 1, Map.of());

      List<LineLoader.Line> rows = new ArrayList<>();
      for (int i = 1; i < input.lines().size(); i++) { // line 1 is the header
        if (!input.lines().get(i).isBlank()) {
          rows.add(new LineLoader.Line(input.name() + ":" + (i + 1), input.lines().get(i), null));
        }
      }
      LineLoader.Loaded loaded = LineLoader.load(node, RAW, rows);
      out.printf("loaded %d new rows of %s into '%s' (%d were there already)%n", loaded.loaded(), input.name(), RAW, loaded.skipped());

      StreamProcessor processor = processor();
      RunningProcessor running = processor.run(node.system(), SampleNode.processorSettings(APPLICATION_ID));
      node.onShutdown("stop-" + APPLICATION_ID, running::stop);
      OrderFileSink.Running sink;
      if (args.serve()) {
        // processor and sink run side by side until Ctrl-C, which drains both (the processor
        // commits, the sink closes the file) before the node stops
        sink = OrderFileSink.start(node, output, true, sinkLimit, out);
        node.onShutdown("stop-file-sink", () -> sink.stop().thenApply(io -> Done.getInstance()));
        out.printf(
            "add rows: kafka-console-producer.sh --bootstrap-server 127.0.0.1:%d --topic %s --property parse.key=true"
                + " --property key.separator='|'   (then type e.g. manual:1|A-2001,ann@example.com,DE,5.00,EUR,2024-05-03T10:00:00Z)%n"
                + "watch rejects: kafka-console-consumer.sh --bootstrap-server 127.0.0.1:%d --topic %s --from-beginning%n",
            node.kafkaPort(), RAW, node.kafkaPort(), DEAD_LETTERS);
        node.awaitShutdown(out);
        return new Result(loaded, sink.written().get(), output, List.of());
      }
      topics.awaitCaughtUp(running, processor.sourceTopics(), Duration.ofSeconds(60));
      running.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
      out.printf("processor '%s' caught up with '%s' (%s this run)%n", APPLICATION_ID, RAW, running.stats());

      sink = OrderFileSink.start(node, output, false, sinkLimit, out);
      sink.done().toCompletableFuture().get(60, TimeUnit.SECONDS);
      long lines = OrderFileSink.recover(output).lines();
      out.printf("sink: wrote %d lines this run; %s has %d lines%n", sink.written().get(), output, lines);

      List<Orders.DeadLetter> dead = new ArrayList<>();
      for (ConsumerRecord r : TopicReplay.read(node.system(), topics.earliest(DEAD_LETTERS), topics.latest(DEAD_LETTERS))) {
        dead.add(Serdes.json(Orders.DeadLetter.class).deserialize(r.record().value()));
      }
      dead.sort(Comparator.comparing((Orders.DeadLetter d) -> String.valueOf(d.source()).replaceAll(":\\d+$", "")).thenComparingLong(Pipeline::lineNumber));
      out.printf("'%s' holds %d rejected rows:%n", DEAD_LETTERS, dead.size());
      dead.forEach(d -> out.printf("  %-14s %s%n", d.source(), d.reason()));
      return new Result(loaded, sink.written().get(), output, dead);
    } finally {
      node.close();
    }
  }

  /** The line number in a {@code <file>:<line>} source, or -1 (rows produced by other tools). */
  private static long lineNumber(Orders.DeadLetter d) {
    String s = String.valueOf(d.source());
    String n = s.substring(s.lastIndexOf(':') + 1);
    return n.matches("\\d{1,18}") ? Long.parseLong(n) : -1;
  }
}
