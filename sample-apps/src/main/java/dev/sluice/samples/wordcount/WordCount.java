package dev.sluice.samples.wordcount;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.RecordStream;
import dev.sluice.dsl.javadsl.RunningProcessor;
import dev.sluice.dsl.javadsl.Serde;
import dev.sluice.dsl.javadsl.Serdes;
import dev.sluice.dsl.javadsl.StreamProcessor;
import dev.sluice.dsl.javadsl.TimeWindows;
import dev.sluice.dsl.javadsl.Windowed;
import dev.sluice.samples.LineLoader;
import dev.sluice.samples.SampleArgs;
import dev.sluice.samples.SampleNode;
import dev.sluice.samples.Topics;
import dev.sluice.samples.TopicReplay;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Word count: lines of text go into topic {@code lines}; a stream processor splits them into
 * words and keeps, per word, a running total (topic {@code word-counts}) and a count per minute of
 * event time (tumbling windows, topic {@code word-counts-per-minute}); the app prints the totals
 * and the windows.
 *
 * <p>A line may start with an ISO-8601 instant ({@code 2024-06-01T09:00:05Z the quick ...}): that
 * is its event time; other lines get the time they are loaded. Loading is idempotent (see {@link
 * LineLoader}), and the counts live in the processor's durable state, so running the app again on
 * the same data directory adds only new lines and the totals stay exact.
 */
public final class WordCount {
  public static final String LINES = "lines";
  public static final String COUNTS = "word-counts";
  public static final String PER_MINUTE = "word-counts-per-minute";
  public static final String APPLICATION_ID = "word-count";
  /** One-minute windows; a line up to 30 s late (behind the latest event time seen) still counts. */
  public static final TimeWindows MINUTES = TimeWindows.tumbling(Duration.ofMinutes(1)).withGrace(Duration.ofSeconds(30));

  public static final Set<String> OPTIONS = Set.of("--input", "--top");
  public static final String USAGE =
      """
      Usage: run word-count [--input FILE] [--top N] [--data-dir DIR] [--kafka-port P] [--serve]
        --input FILE   text to count (default: a bundled sample); a line may start with an
                       ISO-8601 instant, its event time
        --top N        words to print per table (default 10)
        --serve        keep counting lines produced to 'lines' (e.g. by kafka-console-producer)
                       until Ctrl-C
      """;

  /** Every word's total, and every window's count per word (windows by start, words by name). */
  public record Result(Map<String, Long> totals, Map<Long, Map<String, Long>> windows) {}

  private WordCount() {}

  /** The processor: lines → words → counts, in total and per minute. */
  public static StreamProcessor processor() {
    StreamProcessor.Builder b = StreamProcessor.builder(APPLICATION_ID);
    // re-keying by word repartitions the words (through internal topics) so that each word is
    // counted in one place, whichever line partition it came from
    RecordStream<String, String> words =
        b.from(LINES, Serdes.string(), Serdes.string())
            .flatMapValues(WordCount::words)
            .selectKey((source, word) -> word);
    words.groupByKey(Serdes.string(), Serdes.string()).count().to(COUNTS);
    words.groupByKey(Serdes.string(), Serdes.string()).windowedBy(MINUTES).count().to(PER_MINUTE);
    return b.build();
  }

  static List<String> words(String line) {
    return Arrays.stream(line.toLowerCase().split("[^\\p{L}\\p{N}']+")).filter(w -> !w.isEmpty()).toList();
  }

  /** A line of input: its optional leading instant becomes the record's event time. */
  static LineLoader.Line line(String source, int number, String text) {
    String key = source + ":" + number;
    int space = text.indexOf(' ');
    if (space > 0) {
      try {
        Instant at = Instant.parse(text.substring(0, space));
        return new LineLoader.Line(key, text.substring(space + 1), at.toEpochMilli());
      } catch (DateTimeParseException notATimestamp) {
        // no timestamp: the whole line is text
      }
    }
    return new LineLoader.Line(key, text, null);
  }

  public static Result run(SampleArgs args, PrintStream out) throws Exception {
    SampleArgs.Input input = args.input("/dev/sluice/samples/word-count-sample.txt");
    SampleNode node = SampleNode.start(args.dataDir(), args.kafkaPort(), out);
    try {
      Topics topics = node.topics();
      // One partition of lines: records of a partition are processed in order, so event time only
      // goes back as far as the input itself does (windows accept 30 s of that). With several
      // partitions read at different speeds, one partition's early lines could arrive after
      // another's later ones and be dropped as late.
      // retention.ms=-1: the sample's event times are in the past; time-based retention (7 days by
      // default) would delete them.
      Map<String, String> keepForever = Map.of("retention.ms", "-1");
      topics.create(LINES, 1, keepForever);
      topics.create(COUNTS, 3, keepForever);
      topics.create(PER_MINUTE, 3, keepForever);

      List<LineLoader.Line> lines = new ArrayList<>();
      for (int i = 0; i < input.lines().size(); i++) {
        if (!input.lines().get(i).isBlank()) {
          lines.add(line(input.name(), i + 1, input.lines().get(i)));
        }
      }
      LineLoader.Loaded loaded = LineLoader.load(node, LINES, lines);
      out.printf("loaded %d new lines of %s into '%s' (%d were there already)%n", loaded.loaded(), input.name(), LINES, loaded.skipped());

      StreamProcessor processor = processor();
      RunningProcessor running = processor.run(node.system(), SampleNode.processorSettings(APPLICATION_ID));
      node.onShutdown("stop-" + APPLICATION_ID, running::stop);
      topics.awaitCaughtUp(running, processor.sourceTopics(), Duration.ofSeconds(60));
      out.printf("processor '%s' caught up with %s (%s this run)%n", APPLICATION_ID, new TreeSet<>(processor.sourceTopics()), running.stats());

      Result result = read(node);
      print(result, args.intOption("--top", 10), out);
      if (args.serve()) {
        out.printf(
            "add lines:    kafka-console-producer.sh --bootstrap-server 127.0.0.1:%d --topic %s%n"
                + "watch counts: kafka-console-consumer.sh --bootstrap-server 127.0.0.1:%d --topic %s --from-beginning"
                + " --property print.key=true --value-deserializer org.apache.kafka.common.serialization.LongDeserializer%n",
            node.kafkaPort(), LINES, node.kafkaPort(), COUNTS);
        node.awaitShutdown(out);
      } else {
        running.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      return result;
    } finally {
      node.close();
    }
  }

  /** The latest count of every word and window in the output topics. */
  static Result read(SampleNode node) {
    Map<String, Long> totals = new TreeMap<>();
    for (ConsumerRecord r : replay(node, COUNTS)) {
      totals.put(new String(r.record().key(), UTF_8), Serdes.longs().deserialize(r.record().value()));
    }
    Serde<Windowed<String>> windowKeys = Serdes.windowed(Serdes.string(), MINUTES.size());
    Map<Long, Map<String, Long>> windows = new TreeMap<>();
    for (ConsumerRecord r : replay(node, PER_MINUTE)) {
      Windowed<String> w = windowKeys.deserialize(r.record().key());
      windows.computeIfAbsent(w.start(), s -> new TreeMap<>()).put(w.key(), Serdes.longs().deserialize(r.record().value()));
    }
    return new Result(totals, windows);
  }

  // every count update is a record; read in offset order, the last one of a key is its count
  private static List<ConsumerRecord> replay(SampleNode node, String topic) {
    return TopicReplay.read(node.system(), node.topics().earliest(topic), node.topics().latest(topic));
  }

  private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

  static void print(Result r, int top, PrintStream out) {
    long words = r.totals().values().stream().mapToLong(Long::longValue).sum();
    out.printf("word totals (%d words, %d distinct; top %d):%n", words, r.totals().size(), top);
    out.println("  " + topList(r.totals(), top));
    out.println("per-minute windows (event time, UTC):");
    r.windows().forEach(
        (start, counts) ->
            out.printf("  %s  %s%n", MINUTE.format(Instant.ofEpochMilli(start)), topList(counts, Math.min(top, 5))));
  }

  private static String topList(Map<String, Long> counts, int n) {
    Map<String, Long> sorted = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
        .limit(n)
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    String shown = sorted.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    return counts.size() > n ? shown + " (+" + (counts.size() - n) + " more)" : shown;
  }
}
