package dev.sluice.samples.wordcount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.samples.SampleArgs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The word-count app on a real embedded node: totals, per-minute windows, and a rerun. */
class WordCountTest {
  @TempDir Path dir;

  static final long TEN_O_CLOCK = Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();
  static final long TEN_O_ONE = Instant.parse("2024-06-01T10:01:00Z").toEpochMilli();

  @Test
  @Timeout(90)
  void countsWordsInTotalAndPerMinuteAndARerunCountsNothingTwice() throws Exception {
    Path text = dir.resolve("text.txt");
    Files.write(
        text,
        List.of(
            "2024-06-01T10:00:10Z The cat sat",
            "2024-06-01T10:00:40Z the dog sat",
            "2024-06-01T10:01:05Z The cat ran",
            // 15 s behind the latest event time: within the 30 s grace, so it counts in 10:00
            "2024-06-01T10:00:50Z late, the"));
    String[] args = {"--data-dir", dir.resolve("node").toString(), "--kafka-port", "0", "--input", text.toString()};
    Map<String, Long> totals = Map.of("the", 4L, "cat", 2L, "sat", 2L, "dog", 1L, "ran", 1L, "late", 1L);

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    WordCount.Result first = WordCount.run(SampleArgs.parse("word-count", args, WordCount.OPTIONS, Set.of()), new PrintStream(printed, true));
    assertEquals(totals, first.totals(), "running totals");
    assertEquals(Map.of("the", 3L, "cat", 1L, "sat", 2L, "dog", 1L, "late", 1L), first.windows().get(TEN_O_CLOCK), "the 10:00 window");
    assertEquals(Map.of("the", 1L, "cat", 1L, "ran", 1L), first.windows().get(TEN_O_ONE), "the 10:01 window");
    assertEquals(2, first.windows().size(), "windows: " + first.windows());
    String out = printed.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("loaded 4 new lines of text.txt"), out);
    assertTrue(out.contains("the=4 cat=2 sat=2 dog=1 late=1 ran=1"), out);
    assertTrue(out.contains("2024-06-01 10:00  the=3 sat=2 cat=1 dog=1 late=1"), out);

    // the same input again, on a new node over the same data: nothing is loaded twice, state is durable
    printed.reset();
    WordCount.Result second = WordCount.run(SampleArgs.parse("word-count", args, WordCount.OPTIONS, Set.of()), new PrintStream(printed, true));
    assertEquals(first, second, "a rerun changes nothing");
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("loaded 0 new lines of text.txt into 'lines' (4 were there already)"), printed::toString);
  }
}
