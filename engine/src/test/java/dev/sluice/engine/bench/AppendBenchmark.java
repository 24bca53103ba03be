package dev.sluice.engine.bench;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.batch.RecordBatches;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Append throughput through {@link PartitionEntity} on one node: producer-sized batches
 * (~16 KiB) of 100 B and 1 KB records, 1 and 6 partitions, fsync never and always, on Sluice's
 * group-commit journal and, for comparison in the same run, on Pekko's stock LevelDB journal.
 *
 * <p>Run: {@code mvn -B -Pbench -pl engine -am test -Dbench.records=1000000}; narrow it with
 * {@code -Dbench.journals=sluice -Dbench.fsync=never -Dbench.partitions=6 -Dbench.sizes=1000}.
 * One line per scenario:
 * <pre>BENCH append journal=.. fsync=.. partitions=.. record_bytes=.. records=.. elapsed_s=.. records_per_s=.. mb_per_s=..</pre>
 * MB/s counts MiB of record values, as Kafka's ProducerPerformance does.
 */
@Tag("bench")
class AppendBenchmark {
  static final int BATCH_BYTES = 16 * 1024;
  static final int IN_FLIGHT_PER_PARTITION = 8;

  record Scenario(String journal, String fsync, int partitions, int recordBytes) {}

  @Test
  void appendThroughput() throws Exception {
    long records = Long.getLong("bench.records", 1_000_000L);
    String journals = System.getProperty("bench.journals", "sluice,pekko-leveldb");
    List<Scenario> scenarios = new ArrayList<>();
    for (String fsync : System.getProperty("bench.fsync", "never,always").split(",")) {
      for (String partitions : System.getProperty("bench.partitions", "1,6").split(",")) {
        for (String size : System.getProperty("bench.sizes", "100,1000").split(",")) {
          for (String journal : journals.split(",")) {
            scenarios.add(new Scenario(journal, fsync, Integer.parseInt(partitions), Integer.parseInt(size)));
          }
        }
      }
    }
    run(new Scenario("sluice", "never", 6, 1000), Math.min(records, 200_000), false); // JIT warm-up
    for (Scenario s : scenarios) {
      run(s, records, true);
    }
  }

  private void run(Scenario s, long records, boolean print) throws Exception {
    Path dir = Files.createTempDirectory("sluice-bench");
    Path conf = dir.resolve("bench.conf");
    String journalConf =
        s.journal().equals("sluice")
            ? ""
            : "pekko.persistence.journal.plugin = \"pekko.persistence.journal.leveldb\"\n"
                + "pekko.persistence.journal.leveldb.dir = \"" + dir.resolve("stock-journal") + "\"\n"
                + "pekko.persistence.journal.leveldb.native = on\n"
                + "pekko.persistence.journal.leveldb.fsync = " + (s.fsync().equals("always") ? "on" : "off") + "\n";
    Files.writeString(conf, "sluice.log.fsync = " + s.fsync() + "\npekko.loglevel = WARNING\n" + journalConf);
    Files.createDirectories(dir.resolve("stock-journal"));
    NodeSettings settings =
        new NodeSettings(dir.resolve("node"), OptionalInt.empty(), OptionalInt.of(0), OptionalInt.of(0), Optional.of(conf));
    try (SluiceNode node = SluiceNode.start(settings)) {
      int perBatch = Math.max(1, BATCH_BYTES / (s.recordBytes() + 12));
      long batchesPerPartition = (records / s.partitions() + perBatch - 1) / perBatch;
      List<EntityRef<PartitionEntity.Command>> refs = new ArrayList<>();
      List<byte[]> templates = new ArrayList<>();
      for (int p = 0; p < s.partitions(); p++) {
        EntityRef<PartitionEntity.Command> ref = node.partition("bench", p);
        int partition = p;
        PartitionEntity.Ack ack =
            ref.<PartitionEntity.Ack>ask(r -> new PartitionEntity.Create("bench", partition, "bench-id", TopicConfig.defaults(), r), Duration.ofSeconds(30))
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        if (ack.error() != PartitionError.NONE) {
          throw new IllegalStateException("create failed: " + ack);
        }
        refs.add(ref);
        List<LogRecord> batch = new ArrayList<>(perBatch);
        for (int i = 0; i < perBatch; i++) {
          byte[] value = new byte[s.recordBytes()];
          ThreadLocalRandom.current().nextBytes(value);
          batch.add(LogRecord.of(System.currentTimeMillis(), null, value));
        }
        templates.add(RecordBatches.build(batch));
      }
      CountDownLatch done = new CountDownLatch(s.partitions());
      AtomicReference<Throwable> failure = new AtomicReference<>();
      AtomicLong storedBytes = new AtomicLong();
      long start = System.nanoTime();
      for (int p = 0; p < s.partitions(); p++) {
        new PartitionDriver(refs.get(p), templates.get(p), batchesPerPartition, done, failure, storedBytes, node.system().executionContext()).start();
      }
      if (!done.await(30, TimeUnit.MINUTES)) {
        throw new IllegalStateException("benchmark did not finish in 30 minutes");
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (failure.get() != null) {
        throw new IllegalStateException("append failed", failure.get());
      }
      long total = batchesPerPartition * perBatch * s.partitions();
      if (print) {
        System.out.printf(
            Locale.ROOT,
            "BENCH append journal=%s fsync=%s partitions=%d record_bytes=%d records=%d elapsed_s=%.2f records_per_s=%.0f mb_per_s=%.1f stored_mb_per_s=%.1f%n",
            s.journal(), s.fsync(), s.partitions(), s.recordBytes(), total, seconds, total / seconds,
            total * (double) s.recordBytes() / seconds / (1 << 20), storedBytes.get() / seconds / (1 << 20));
      }
    } finally {
      TestSystems.deleteRecursively(dir);
    }
  }

  /** Keeps {@link #IN_FLIGHT_PER_PARTITION} appends in flight on one partition until all are sent. */
  private static final class PartitionDriver {
    private final EntityRef<PartitionEntity.Command> ref;
    private final byte[] template;
    private final long batches;
    private final CountDownLatch done;
    private final AtomicReference<Throwable> failure;
    private final AtomicLong storedBytes;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final Executor executor;

    PartitionDriver(EntityRef<PartitionEntity.Command> ref, byte[] template, long batches, CountDownLatch done,
        AtomicReference<Throwable> failure, AtomicLong storedBytes, Executor executor) {
      this.executor = executor;
      this.ref = ref;
      this.template = template;
      this.batches = batches;
      this.done = done;
      this.failure = failure;
      this.storedBytes = storedBytes;
    }

    void start() {
      for (int i = 0; i < IN_FLIGHT_PER_PARTITION; i++) {
        sendNext();
      }
    }

    private void sendNext() {
      if (sent.incrementAndGet() > batches) {
        return;
      }
      byte[] batch = Arrays.copyOf(template, template.length); // the partition owns what it is sent
      ref.<PartitionEntity.AppendResult>ask(r -> new PartitionEntity.Append(batch, r), Duration.ofSeconds(60))
          // an explicit executor: the stage's default async executor on a 2-core machine starts a
          // thread per callback (ForkJoinPool common parallelism 1)
          .whenCompleteAsync(
              (res, err) -> {
                if (err != null || res.error() != PartitionError.NONE) {
                  failure.compareAndSet(null, err != null ? err : new IllegalStateException(res.toString()));
                }
                storedBytes.addAndGet(batch.length);
                if (acked.incrementAndGet() == batches) {
                  done.countDown();
                } else {
                  sendNext();
                }
              },
              executor);
    }
  }
}
