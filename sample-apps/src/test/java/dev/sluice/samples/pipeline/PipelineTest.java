package dev.sluice.samples.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.Producer;
import dev.sluice.dsl.javadsl.ProducerMessage;
import dev.sluice.dsl.javadsl.ProducerSettings;
import dev.sluice.samples.LineLoader;
import dev.sluice.samples.SampleArgs;
import dev.sluice.samples.SampleNode;
import dev.sluice.samples.TopicReplay;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline app on a real embedded node: output, dead letters, and restarts without duplicates. */
class PipelineTest {
  @TempDir Path dir;

  static final Set<String> VALID_ORDERS =
      Set.of("A-1001", "A-1002", "A-1003", "A-1005", "A-1007", "A-1014", "A-1015", "A-1016", "A-1017", "A-1018");

  Pipeline.Result run(PrintStream out, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--data-dir", dir.resolve("node").toString(), "--kafka-port", "0"));
    args.addAll(List.of(extra));
    return Pipeline.run(SampleArgs.parse("pipeline", args.toArray(String[]::new), Pipeline.OPTIONS, Set.of()), out);
  }

  @Test
  @Timeout(120)
  void writesEachValidRowOnceAcrossASinkCrashAndARestart() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    // first run: the sink stops after 4 lines, as if it crashed
    Pipeline.Result first = run(new PrintStream(printed, true), "--sink-limit", "4");
    assertEquals(new LineLoader.Loaded(18, 0), first.loaded());
    assertEquals(4, first.written());
    assertEquals(4, Files.readAllLines(first.output()).size());
    assertEquals(8, first.deadLetters().size(), "dead letters: " + first.deadLetters());
    Map<String, String> reasons = first.deadLetters().stream().collect(Collectors.toMap(Orders.DeadLetter::source, Orders.DeadLetter::reason));
    assertEquals("amount 'abc' is not a number", reasons.get("orders.csv:5"));
    assertEquals("order_id is missing", reasons.get("orders.csv:7"));
    assertEquals("unknown currency 'CHF'", reasons.get("orders.csv:14"));

    // the crash also left half a line, and the stream processor (at-least-once) produced one of the
    // written orders to clean-records a second time
    Files.writeString(first.output(), "{\"partition\":1,\"offset\":3,\"order\":{\"orderId\":\"A-10", StandardOpenOption.APPEND);
    try (SampleNode node = SampleNode.start(dir.resolve("node"), 0, new PrintStream(new ByteArrayOutputStream()))) {
      OrderFileSink.Line written = firstLine(first.output());
      ConsumerRecord original =
          TopicReplay.read(node.system(), node.topics().earliest(Pipeline.CLEAN), node.topics().latest(Pipeline.CLEAN)).stream()
              .filter(r -> r.partition() == written.partition() && r.offset() == written.offset())
              .findFirst()
              .orElseThrow();
      Source.single(ProducerMessage.<Void>of(Pipeline.CLEAN, original.record().key(), original.record().value(), null))
          .runWith(Producer.sink(node.system(), ProducerSettings.defaults()), node.system())
          .toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    }

    // second run: nothing is loaded twice; the sink cuts the torn line, resumes, skips the repeat
    printed.reset();
    Pipeline.Result second = run(new PrintStream(printed, true));
    String out = printed.toString(StandardCharsets.UTF_8);
    assertEquals(new LineLoader.Loaded(0, 18), second.loaded(), out);
    assertTrue(out.contains("sink: cut off a torn last line"), out);
    assertEquals(6, second.written(), out);
    List<String> lines = Files.readAllLines(second.output());
    assertEquals(lines.size(), new HashSet<>(lines).size(), "no line twice: " + lines);
    List<OrderFileSink.Line> parsed = lines.stream().map(l -> OrderFileSink.LINES.deserialize(l.getBytes(StandardCharsets.UTF_8))).toList();
    assertEquals(new TreeSet<>(VALID_ORDERS), parsed.stream().map(l -> l.order().orderId()).collect(Collectors.toCollection(TreeSet::new)));
    assertEquals(VALID_ORDERS.size(), parsed.size(), "each valid order once: " + lines);
    Orders.CleanOrder a1002 = parsed.stream().map(OrderFileSink.Line::order).filter(o -> o.orderId().equals("A-1002")).findFirst().orElseThrow();
    assertEquals(new Orders.CleanOrder(
        "A-1002", "bob@example.org", "US", "United States", new BigDecimal("75.50"), "USD", new BigDecimal("69.46"),
        "2024-05-02T09:40:00Z", "orders.csv:3"), a1002, "validated and enriched");
    assertEquals(8, second.deadLetters().size(), "dead letters are not repeated either");
  }

  static OrderFileSink.Line firstLine(Path file) throws Exception {
    return OrderFileSink.LINES.deserialize(Files.readAllLines(file).get(0).getBytes(StandardCharsets.UTF_8));
  }
}
