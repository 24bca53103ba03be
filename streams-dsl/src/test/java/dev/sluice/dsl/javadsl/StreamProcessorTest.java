package dev.sluice.dsl.javadsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stream processors end to end: stateless steps, durable aggregations, windows, errors, restarts. */
class StreamProcessorTest {
  @TempDir Path dataDir;

  static ProcessorSettings settings(String app) {
    return ProcessorSettings.defaults(app)
        .withGroup(
            ConsumerGroupSettings.of(app)
                .withAutoOffsetReset(StartOffset.earliest())
                .withTimeouts(Duration.ofSeconds(6), Duration.ofSeconds(10), Duration.ofMillis(200)))
        .withConsumer(ConsumerSettings.defaults().withPollWait(Duration.ofMillis(100)));
  }

  static StreamProcessor wordCount() {
    StreamProcessor.Builder b = StreamProcessor.builder("word-count");
    b.from("lines", Serdes.string(), Serdes.string())
        .flatMapValues(line -> Arrays.asList(line.toLowerCase().split("\\W+")))
        .filter((k, w) -> !w.isEmpty())
        .selectKey((k, w) -> w)
        .groupByKey(Serdes.string(), Serdes.string())
        .count()
        .to("word-counts");
    return b.build();
  }

  /** The latest count per word in the output topic (reads exactly {@code records} records). */
  static Map<String, Long> latestCounts(DslFixture f, int partitions, int records) throws Exception {
    Map<String, Long> latest = new TreeMap<>();
    for (ConsumerRecord r : f.readAll("word-counts", partitions, records)) {
      latest.put(DslFixture.str(r.record().key()), ByteBuffer.wrap(r.record().value()).getLong());
    }
    return latest;
  }

  static List<String[]> lines(String... lines) {
    List<String[]> l = new ArrayList<>();
    for (String s : lines) {
      l.add(new String[] {null, s});
    }
    return l;
  }

  /** Waits (bounded) until the processor has processed {@code n} input records. */
  static void awaitProcessed(RunningProcessor p, long n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (p.stats().processedRecords() < n && System.nanoTime() < deadline) {
      assertTrue(!p.done().toCompletableFuture().isCompletedExceptionally(), () -> "processor failed: " + failure(p));
      Thread.sleep(20);
    }
    assertTrue(p.stats().processedRecords() >= n, "processed " + p.stats().processedRecords() + " of " + n);
  }

  static String failure(RunningProcessor p) {
    try {
      p.done().toCompletableFuture().getNow(null);
      return "none";
    } catch (Exception e) {
      return e.toString();
    }
  }

  @Test
  void wordCountKeepsExactTotalsAcrossAStopAndANodeRestart() throws Exception {
    DslFixture f = new DslFixture("wc1", dataDir);
    f.createTopic("lines", 2);
    f.createTopic("word-counts", 3);
    f.produce("lines", 0, lines("the quick brown fox", "the lazy dog"), null);
    f.produce("lines", 1, lines("The dog barks", "quick quick"), null);
    RunningProcessor p = wordCount().run(f.system, settings("word-count"));
    Map<String, Long> expected = new TreeMap<>(Map.of("the", 3L, "quick", 3L, "brown", 1L, "fox", 1L, "lazy", 1L, "dog", 2L, "barks", 1L));
    awaitCounts(f, expected);
    p.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
    // a clean stop commits everything: each word's count was emitted exactly once per occurrence
    assertEquals(12, outputRecords(f).size());

    // the node goes down with the processor running; more lines arrive before and after
    f.produce("lines", 0, lines("the end"), null);
    RunningProcessor p2 = wordCount().run(f.system, settings("word-count"));
    expected.put("the", 4L);
    expected.put("end", 1L);
    awaitCounts(f, expected);
    f.shutdown();

    DslFixture g = new DslFixture("wc1", dataDir);
    try {
      g.produce("lines", 1, lines("dog days"), null);
      RunningProcessor p3 = wordCount().run(g.system, settings("word-count"));
      expected.put("dog", 3L);
      expected.put("days", 1L);
      // outputs may repeat (at-least-once) but the last count of each word is its exact total
      awaitCounts(g, expected);
      p3.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(expected, latest(outputRecords(g)));
    } finally {
      g.shutdown();
    }
  }

  static List<ConsumerRecord> outputRecords(DslFixture f) throws Exception {
    int total = 0;
    for (int part = 0; part < 3; part++) {
      total += (int) f.endOffset("word-counts", part);
    }
    return total == 0 ? List.of() : f.readAll("word-counts", 3, total);
  }

  static Map<String, Long> latest(List<ConsumerRecord> records) {
    Map<String, Long> latest = new TreeMap<>();
    for (ConsumerRecord r : records) {
      latest.put(DslFixture.str(r.record().key()), ByteBuffer.wrap(r.record().value()).getLong());
    }
    return latest;
  }

  /** Waits (bounded) until the output's latest count per word is {@code expected}. */
  static void awaitCounts(DslFixture f, Map<String, Long> expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, Long> seen = Map.of();
    while (System.nanoTime() < deadline) {
      seen = latest(outputRecords(f));
      if (seen.equals(expected)) {
        return;
      }
      Thread.sleep(100);
    }
    assertEquals(expected, seen);
  }

  static long endOffset(DslFixture f, String topic, int partition) throws Exception {
    return f.endOffset(topic, partition);
  }
}
