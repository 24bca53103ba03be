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

  static final long T0 = 28_333_334L * 60_000L; // a minute boundary

  static String[] click(String user, int second) {
    return new String[] {user, "click", Long.toString(T0 + second * 1000L)};
  }

  @Test
  void tumblingWindowsByEventTimeAcceptLateRecordsWithinGraceAndDropThemAfter() throws Exception {
    DslFixture f = new DslFixture("win", dataDir);
    try {
      f.createTopic("clicks", 1);
      f.createTopic("clicks-per-minute", 1);
      StreamProcessor.Builder b = StreamProcessor.builder("clicks-per-minute");
      b.from("clicks", Serdes.string(), Serdes.string())
          .groupByKey()
          .windowedBy(TimeWindows.tumbling(Duration.ofMinutes(1)).withGrace(Duration.ofSeconds(30)))
          .count()
          .to("clicks-per-minute");
      f.produce(
          "clicks", 0,
          List.of(
              click("a", 10), click("a", 50), click("a", 80),
              click("a", 40), // late, but its window [0,60) stays open until stream time 90: counted
              click("a", 125),
              click("a", 30), // stream time is 125 now: window [0,60) closed at 90: dropped
              click("b", 90)),
          null);
      RunningProcessor p = b.build().run(f.system, settings("clicks-per-minute"));
      awaitProcessed(p, 7);
      p.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(1, p.stats().droppedLateRecords());

      Serde<Windowed<String>> keys = Serdes.windowed(Serdes.string(), Duration.ofMinutes(1));
      Map<String, Long> finalCounts = new TreeMap<>();
      List<ConsumerRecord> out = f.readAll("clicks-per-minute", 1, 6);
      assertEquals(6, f.endOffset("clicks-per-minute", 0), "one update per counted record");
      for (ConsumerRecord r : out) {
        Windowed<String> w = keys.deserialize(r.record().key());
        assertEquals(60_000, w.end() - w.start());
        finalCounts.put(w.key() + "@" + (w.start() - T0) / 1000, Serdes.longs().deserialize(r.record().value()));
      }
      assertEquals(Map.of("a@0", 3L, "a@60", 1L, "a@120", 1L, "b@60", 1L), finalCounts);
    } finally {
      f.shutdown();
    }
  }

  @Test
  void hoppingWindowsHoldEachRecordInEveryWindowThatCoversIt() {
    TimeWindows w = TimeWindows.hopping(Duration.ofSeconds(60), Duration.ofSeconds(30));
    assertEquals(List.of(0L, 30_000L), w.windowStartsFor(45_000));
    assertEquals(List.of(-30_000L, 0L), w.windowStartsFor(10_000));
    assertEquals(List.of(30_000L, 60_000L), w.windowStartsFor(60_000));
    assertEquals(List.of(60_000L), TimeWindows.tumbling(Duration.ofMinutes(1)).windowStartsFor(119_999));
  }

  static StreamProcessor failing(String app, String input, String output) {
    StreamProcessor.Builder b = StreamProcessor.builder(app);
    b.from(input, Serdes.string(), Serdes.string())
        .mapValues(v -> {
          if (v.equals("boom")) {
            throw new IllegalArgumentException("cannot handle " + v);
          }
          return v.toUpperCase();
        })
        .to(output, Serdes.string(), Serdes.string());
    return b.build();
  }

  @Test
  void aFailingFunctionStopsTheProcessorWithTheRecordsPositionOrIsSkippedWhenAskedTo() throws Exception {
    DslFixture f = new DslFixture("errors", dataDir);
    try {
      f.createTopic("errs", 1);
      f.createTopic("errs-out", 1);
      f.produce("errs", 0, lines("one", "two", "boom", "four"), null);
      RunningProcessor stopped = failing("errs-stop", "errs", "errs-out").run(f.system, settings("errs-stop"));
      ExecutionException e = assertThrows(ExecutionException.class, () -> stopped.done().toCompletableFuture().get(60, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("errs-0@2"), e.getCause().getMessage());
      assertTrue(e.getCause().getMessage().contains("cannot handle boom"), e.getCause().getMessage());

      RunningProcessor skipping =
          failing("errs-skip", "errs", "errs-out")
              .run(f.system, settings("errs-skip").withErrorHandling(ProcessorSettings.ErrorHandling.SKIP));
      awaitProcessed(skipping, 4);
      skipping.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertEquals(1, skipping.stats().skippedRecords());
      List<String> values = new ArrayList<>();
      for (ConsumerRecord r : f.readAll("errs-out", 1, (int) f.endOffset("errs-out", 0))) {
        values.add(DslFixture.str(r.record().value()));
      }
      // the stopped run produced what came before the failing record (at-least-once: it may repeat)
      assertEquals(List.of("ONE", "TWO", "FOUR"), values.subList(values.size() - 3, values.size()));
      assertTrue(values.stream().noneMatch(v -> v.equals("BOOM")));
    } finally {
      f.shutdown();
    }
  }

  @Test
  void asyncStepsKeepPartitionOrderAndBranchesRouteEachRecordOnce() throws Exception {
    DslFixture f = new DslFixture("branch", dataDir);
    try {
      f.createTopic("mixed", 2);
      f.createTopic("evens", 1);
      f.createTopic("odds", 1);
      for (int p = 0; p < 2; p++) {
        List<String[]> l = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          l.add(new String[] {null, Integer.toString(p * 1000 + i)});
        }
        f.produce("mixed", p, l, null);
      }
      java.util.concurrent.Executor later = CompletableFuture.delayedExecutor(3, TimeUnit.MILLISECONDS);
      java.util.Random random = new java.util.Random(7);
      StreamProcessor.Builder b = StreamProcessor.builder("branching");
      List<RecordStream<String, Integer>> branches =
          b.from("mixed", Serdes.string(), Serdes.string())
              .<String, Integer>mapAsync(
                  (k, v) -> {
                    // later records may finish first: the steps after still see input order
                    long delay = random.nextInt(3);
                    return CompletableFuture.supplyAsync(() -> KeyValue.of(k, Integer.parseInt(v)),
                        delay == 0 ? Runnable::run : later);
                  })
              // a second asynchronous step, added while the first one completes
              .<String, Integer>mapAsync((k, n) -> CompletableFuture.supplyAsync(() -> KeyValue.of(k, n), later))
              .branch((k, n) -> n % 2 == 0, (k, n) -> true);
      branches.get(0).to("evens", Serdes.string(), Serdes.integers());
      branches.get(1).to("odds", Serdes.string(), Serdes.integers());
      RunningProcessor p = b.build().run(f.system, settings("branching"));
      awaitProcessed(p, 200);
      p.stop().toCompletableFuture().get(60, TimeUnit.SECONDS);
      for (String topic : List.of("evens", "odds")) {
        List<ConsumerRecord> out = f.readAll(topic, 1, 100);
        Map<Integer, Integer> lastPerInput = new HashMap<>();
        for (ConsumerRecord r : out) {
          int n = Serdes.integers().deserialize(r.record().value());
          assertEquals(topic.equals("evens"), n % 2 == 0, n + " in " + topic);
          Integer prev = lastPerInput.put(n / 1000, n);
          assertTrue(prev == null || prev < n, topic + ": " + prev + " before " + n);
        }
      }
    } finally {
      f.shutdown();
    }
  }
}
