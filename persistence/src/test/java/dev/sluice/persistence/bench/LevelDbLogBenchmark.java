package dev.sluice.persistence.bench;

import dev.sluice.persistence.journal.FsyncPolicy;
import dev.sluice.persistence.journal.LevelDbLog;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The journal's log alone (no actors): 16 KiB entries from 1 and 6 writers, 8 writes in flight
 * each. Separates the storage cost from the actor path measured by the engine's AppendBenchmark.
 * Prints {@code BENCH leveldb-log fsync=.. writers=.. entry_bytes=.. mb_per_s=..}.
 */
@Tag("bench")
class LevelDbLogBenchmark {
  @Test
  void groupCommitThroughput() throws Exception {
    long totalBytes = Long.getLong("bench.log-bytes", 1L << 30);
    for (String fsync : System.getProperty("bench.fsync", "never,always").split(",")) {
      for (int writers : new int[] {1, 6}) {
        run(FsyncPolicy.parse(fsync), writers, 16 * 1024, totalBytes);
      }
    }
  }

  private void run(FsyncPolicy fsync, int writers, int entryBytes, long totalBytes) throws Exception {
    Path dir = Files.createTempDirectory("sluice-log-bench");
    try (LevelDbLog log = LevelDbLog.open(dir.resolve("journal"), LevelDbLog.Settings.defaults(fsync))) {
      byte[] value = new byte[entryBytes];
      ThreadLocalRandom.current().nextBytes(value);
      long perWriter = totalBytes / entryBytes / writers;
      Thread[] threads = new Thread[writers];
      long start = System.nanoTime();
      for (int w = 0; w < writers; w++) {
        String pid = "bench-" + w;
        threads[w] =
            new Thread(
                () -> {
                  Semaphore inFlight = new Semaphore(8);
                  CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
                  for (long seq = 1; seq <= perWriter; seq++) {
                    inFlight.acquireUninterruptibly();
                    last = log.write(List.of(new LevelDbLog.Entry(pid, seq, value.clone())));
                    last.whenComplete((v, e) -> inFlight.release());
                  }
                  last.join();
                });
        threads[w].start();
      }
      for (Thread t : threads) {
        t.join();
      }
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "BENCH leveldb-log fsync=%s writers=%d entry_bytes=%d entries=%d elapsed_s=%.2f mb_per_s=%.1f%n",
          fsync.name().toLowerCase(Locale.ROOT), writers, entryBytes, perWriter * writers, s,
          perWriter * writers * (double) entryBytes / s / (1 << 20));
    } finally {
      TestSystems.deleteRecursively(dir);
    }
  }
}
