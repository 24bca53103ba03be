package dev.sluice.samples.pipeline;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.dsl.javadsl.Consumer;
import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.ConsumerSettings;
import dev.sluice.dsl.javadsl.Serde;
import dev.sluice.dsl.javadsl.Serdes;
import dev.sluice.dsl.javadsl.StartOffset;
import dev.sluice.dsl.javadsl.TopicPartition;
import dev.sluice.samples.SampleNode;
import dev.sluice.samples.TopicReplay;
import dev.sluice.samples.Topics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.IOResult;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.FileIO;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Writes the orders of {@code clean-records} to a JSON-lines file, each input row once, however
 * often the sink (or the whole app) stops and starts again.
 *
 * <p>How: every line carries where it was read — {@code {"partition":1,"offset":7,"order":{...}}}
 * — so the file is its own checkpoint. On start the sink reads the file back: a last line without
 * its newline (the app died mid-write) is cut off, each partition resumes after the highest offset
 * in the file, and rows already in the file (by {@code source}, the input row's identity) are
 * skipped. A line and its position are one write, so they can never disagree, and no fsync or
 * separate offset file is needed for that: whatever did not reach the file is simply read again.
 * (The alternative, an offset file beside the data, needs both written atomically, e.g. by a
 * rename; committing group offsets after writing would repeat lines written before a crash.)
 *
 * <p>Skipping known rows also absorbs the stream processor's at-least-once output: after a crash
 * it may produce an order to {@code clean-records} twice, at two offsets; the file gets it once.
 * The sink keeps the rows' ids in memory and reads the whole file on start — fine for a sample; a
 * production sink would roll files and keep a small index.
 */
public final class OrderFileSink {
  /** One line of the output file: an order and where in {@code clean-records} it was read. */
  public record Line(int partition, long offset, Orders.CleanOrder order) {}

  static final Serde<Line> LINES = Serdes.json(Line.class);
  static final Serde<Orders.CleanOrder> ORDERS = Serdes.json(Orders.CleanOrder.class);
  private static final ByteString NEWLINE = ByteString.fromString("\n");

  /** What the file held when the sink started: where each partition resumes, the rows written. */
  public record Recovered(Map<Integer, Long> next, Set<String> sources, int lines, long cutBytes) {}

  /** A running sink: stop it with {@link #stop()}; {@code done} completes once the file is closed. */
  public record Running(UniqueKillSwitch kill, CompletionStage<IOResult> done, AtomicLong written) {
    public CompletionStage<IOResult> stop() {
      kill.shutdown();
      return done;
    }
  }

  private OrderFileSink() {}

  /**
   * Starts the sink on {@code file}: {@code live} reads until stopped; otherwise it stops at the end
   * offsets {@code clean-records} has now. It stops anyway after {@code maxLines} new lines.
   */
  public static Running start(SampleNode node, Path file, boolean live, long maxLines, PrintStream out) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Recovered r = recover(file);
    if (r.cutBytes() > 0) {
      out.printf("sink: cut off a torn last line (%d bytes) of %s%n", r.cutBytes(), file);
    }
    Map<TopicPartition, Long> from = new HashMap<>(node.topics().earliest(Pipeline.CLEAN));
    from.replaceAll((tp, earliest) -> Math.max(earliest, r.next().getOrDefault(tp.partition(), 0L)));
    out.printf("sink: %s has %d lines; resuming %s at %s%n", file, r.lines(), Pipeline.CLEAN, positions(from));

    Source<ConsumerRecord, NotUsed> records;
    if (live) {
      Map<TopicPartition, StartOffset> starts = new HashMap<>();
      from.forEach((tp, offset) -> starts.put(tp, StartOffset.offset(offset)));
      records = Consumer.plainSource(node.system(), ConsumerSettings.defaults(), starts).mapMaterializedValue(c -> NotUsed.notUsed());
    } else {
      records = TopicReplay.range(node.system(), from, node.topics().latest(Pipeline.CLEAN));
    }
    Set<String> written = new HashSet<>(r.sources()); // used by the filter stage only
    AtomicLong count = new AtomicLong();
    Pair<UniqueKillSwitch, CompletionStage<IOResult>> running =
        records
            .viaMat(KillSwitches.single(), Keep.right())
            .map(c -> new Line(c.partition(), c.offset(), ORDERS.deserialize(c.record().value())))
            .filter(line -> written.add(line.order().source()))
            .take(maxLines)
            .map(line -> ByteString.fromArrayUnsafe(LINES.serialize(line)).concat(NEWLINE))
            .groupedWithin(500, Duration.ofMillis(100))
            .map(
                batch -> {
                  count.addAndGet(batch.size());
                  out.printf("sink: writing %d lines (%d this run)%n", batch.size(), count.get());
                  return batch.stream().reduce(ByteString.emptyByteString(), ByteString::concat);
                })
            // FileIO writes on Pekko's blocking-I/O dispatcher and closes the file when the stream ends
            .toMat(FileIO.toPath(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.APPEND)), Keep.both())
            .run(node.system());
    return new Running(running.first(), running.second(), count);
  }

  /** Reads {@code file} back (see the class comment), cutting off a torn last line. */
  public static Recovered recover(Path file) throws IOException {
    if (!Files.exists(file)) {
      return new Recovered(Map.of(), Set.of(), 0, 0);
    }
    byte[] bytes = Files.readAllBytes(file);
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--;
    }
    if (end < bytes.length) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(end);
      }
    }
    Map<Integer, Long> next = new HashMap<>();
    Set<String> sources = new HashSet<>();
    List<String> lines = new String(bytes, 0, end, UTF_8).lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      Line line;
      try {
        line = LINES.deserialize(lines.get(i).getBytes(UTF_8));
      } catch (RuntimeException e) {
        throw new IOException(file + " line " + (i + 1) + " is not a line this sink wrote: " + e.getMessage(), e);
      }
      next.merge(line.partition(), line.offset() + 1, Math::max);
      sources.add(line.order().source());
    }
    return new Recovered(next, sources, lines.size(), bytes.length - end);
  }

  private static String positions(Map<TopicPartition, Long> offsets) {
    StringBuilder b = new StringBuilder();
    offsets.entrySet().stream()
        .sorted(Map.Entry.comparingByKey(Topics::byPartition))
        .forEach(e -> b.append(b.length() == 0 ? "" : " ").append(e.getKey().partition()).append('@').append(e.getValue()));
    return b.toString();
  }
}
