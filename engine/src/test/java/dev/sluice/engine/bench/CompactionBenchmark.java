package dev.sluice.engine.bench;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.batch.RecordBatches;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Log compaction of one partition on one node: {@code bench.records} records of 100 B and 1 KB
 * values over {@code bench.keys} keys, in producer-sized batches (~16 KiB), appended to a
 * compacted topic; then one {@link PartitionEntity.Compact} is timed.
 *
 * <p>Run: {@code mvn -B -Pbench -pl engine -am test -Dtest=CompactionBenchmark
 * -Dbench.records=1000000} (narrow with {@code -Dbench.sizes=1000 -Dbench.keys=10000}). One line
 * per scenario:
 * <pre>BENCH compaction record_bytes=.. records=.. keys=.. stored_mb=.. elapsed_s=.. mb_per_s=.. records_per_s=.. batches_rewritten=.. records_after=.. mb_after=..</pre>
 * MB/s: MiB of the log (as stored) compacted per second.
 */
@Tag("bench")
class CompactionBenchmark {
  static final int BATCH_BYTES = 16 * 1024;
  static final int IN_FLIGHT = 8;

  @Test
  void compactionThroughput() throws Exception {
    long records = Long.getLong("bench.records", 1_000_000L);
    int keys = Integer.getInteger("bench.keys", 10_000);
    run(100, Math.min(records, 100_000), keys, false); // JIT warm-up
    for (String size : System.getProperty("bench.sizes", "100,1000").split(",")) {
      run(Integer.parseInt(size), records, keys, true);
    }
  }

  private void run(int recordBytes, long records, int keys, boolean print) throws Exception {
    Path dir = Files.createTempDirectory("sluice-bench");
    Path conf = dir.resolve("bench.conf");
    Files.writeString(conf, "pekko.loglevel = WARNING\nsluice.partition.compaction-check-interval = 1 h\n");
    NodeSettings settings =
        new NodeSettings(dir.resolve("node"), OptionalInt.empty(), OptionalInt.of(0), OptionalInt.of(0), Optional.of(conf));
    try (SluiceNode node = SluiceNode.start(settings)) {
      EntityRef<PartitionEntity.Command> ref = node.partition("compacted", 0);
      TopicConfig config = TopicConfig.defaults().with(Map.of("cleanup.policy", "compact"));
      PartitionEntity.Ack ack =
          ref.<PartitionEntity.Ack>ask(r -> new PartitionEntity.Create("compacted", 0, "bench-id", config, r), Duration.ofSeconds(30))
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      if (ack.error() != PartitionError.NONE) {
        throw new IllegalStateException("create failed: " + ack);
      }
      int perBatch = Math.max(1, BATCH_BYTES / (recordBytes + 20));
      byte[] value = new byte[recordBytes];
      ThreadLocalRandom.current().nextBytes(value);
      ArrayDeque<CompletableFuture<PartitionEntity.AppendResult>> inFlight = new ArrayDeque<>();
      long stored = 0;
      long next = 0;
      while (next < records) {
        List<LogRecord> batch = new ArrayList<>(perBatch);
        for (int i = 0; i < perBatch && next < records; i++, next++) {
          batch.add(LogRecord.of(System.currentTimeMillis(), ("key-" + (next % keys)).getBytes(StandardCharsets.UTF_8), value));
        }
        byte[] bytes = RecordBatches.build(batch);
        stored += bytes.length;
        inFlight.add(ref.<PartitionEntity.AppendResult>ask(r -> new PartitionEntity.Append(bytes, r), Duration.ofSeconds(60)).toCompletableFuture());
        if (inFlight.size() >= IN_FLIGHT) {
          check(inFlight.poll().get(60, TimeUnit.SECONDS));
        }
      }
      for (CompletableFuture<PartitionEntity.AppendResult> f : inFlight) {
        check(f.get(60, TimeUnit.SECONDS));
      }

      long start = System.nanoTime();
      PartitionEntity.CompactionResult r =
          ref.<PartitionEntity.CompactionResult>ask(PartitionEntity.Compact::new, Duration.ofMinutes(30))
              .toCompletableFuture()
              .get(31, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (r.error() != PartitionError.NONE || r.recordsAfter() != Math.min(keys, records)) {
        throw new IllegalStateException("compaction did not leave one record per key: " + r);
      }
      if (print) {
        System.out.printf(
            Locale.ROOT,
            "BENCH compaction record_bytes=%d records=%d keys=%d stored_mb=%.1f elapsed_s=%.2f mb_per_s=%.1f records_per_s=%.0f"
                + " batches_rewritten=%d records_after=%d mb_after=%.1f%n",
            recordBytes, records, keys, stored / 1048576.0, seconds, stored / 1048576.0 / seconds, records / seconds,
            r.batchesRewritten(), r.recordsAfter(), r.bytesAfter() / 1048576.0);
      }
    } finally {
      TestSystems.deleteRecursively(dir);
    }
  }

  private static void check(PartitionEntity.AppendResult r) {
    if (r.error() != PartitionError.NONE) {
      throw new IllegalStateException("append failed: " + r);
    }
  }
}
