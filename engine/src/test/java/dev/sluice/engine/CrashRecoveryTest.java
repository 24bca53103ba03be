package dev.sluice.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.persistence.batch.LogRecord;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node in its own JVM, killed with SIGKILL during a steady append load: after a restart every
 * acknowledged append is there at the offsets it was acknowledged with, offsets are dense, and
 * no batch is stored twice.
 */
class CrashRecoveryTest {
  @TempDir Path dataDir;

  @Test
  void everyAcknowledgedAppendSurvivesSigkill() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), AppendLoadMain.class.getName(), dataDir.toString())
            .redirectErrorStream(true);
    Process child = pb.start();
    Map<Long, long[]> acked = new ConcurrentHashMap<>(); // batch -> {baseOffset, count}
    CountDownLatch enough = new CountDownLatch(1000);
    StringBuilder childLog = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  if (line.startsWith("ACK ")) {
                    String[] p = line.split(" ");
                    acked.put(Long.parseLong(p[1]), new long[] {Long.parseLong(p[2]), Long.parseLong(p[3])});
                    enough.countDown();
                  } else if (childLog.length() < 20_000) {
                    childLog.append(line).append('\n');
                  }
                }
              } catch (Exception ignored) {
                // the child died: that is the point
              }
            });
    reader.start();
    try {
      assertTrue(enough.await(90, TimeUnit.SECONDS), "child acknowledged only " + acked.size() + " appends; its log:\n" + childLog);
    } finally {
      child.destroyForcibly(); // SIGKILL on Linux
      assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
      reader.join(10_000);
    }
    Map<Long, long[]> ackedAtKill = new HashMap<>(acked);
    assertTrue(ackedAtKill.size() >= 1000);

    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      PartitionEntity.PartitionInfo info =
          node.partition(AppendLoadMain.TOPIC, 0)
              .<PartitionEntity.PartitionInfo>ask(PartitionEntity.Describe::new, Duration.ofSeconds(30))
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      assertEquals(PartitionError.NONE, info.error());
      long hw = info.highWatermark();
      assertEquals(0, hw % AppendLoadMain.RECORDS_PER_BATCH, "only whole batches are stored");

      // Read the whole log: dense offsets, each batch at most once.
      Map<Long, Long> batchAt = new HashMap<>(); // batch -> base offset found
      long next = 0;
      while (next < hw) {
        long from = next;
        PartitionEntity.FetchResult f =
            node.partition(AppendLoadMain.TOPIC, 0)
                .<PartitionEntity.FetchResult>ask(r -> new PartitionEntity.Fetch(from, 1 << 20, 1, 0, r), Duration.ofSeconds(30))
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
        assertEquals(PartitionError.NONE, f.error(), "fetch at " + from);
        List<LogRecord> records = f.records(from);
        assertTrue(!records.isEmpty(), "no records at " + from + " below high watermark " + hw);
        for (LogRecord r : records) {
          assertEquals(next, r.offset(), "offsets are dense");
          ByteBuffer v = ByteBuffer.wrap(r.value());
          long batch = v.getLong();
          int index = v.getInt();
          if (index == 0) {
            assertTrue(batchAt.put(batch, r.offset()) == null, "batch " + batch + " stored twice");
          } else {
            assertNotNull(batchAt.get(batch), "record " + index + " of batch " + batch + " without its start");
            assertEquals(batchAt.get(batch) + index, r.offset(), "records of batch " + batch + " are contiguous");
          }
          next++;
        }
      }
      for (Map.Entry<Long, long[]> a : ackedAtKill.entrySet()) {
        Long found = batchAt.get(a.getKey());
        assertNotNull(found, "acknowledged batch " + a.getKey() + " (offset " + a.getValue()[0] + ") is missing after the crash");
        assertEquals(a.getValue()[0], found.longValue(), "acknowledged batch " + a.getKey() + " moved");
      }
      // and appends continue after the recovered end
      PartitionEntity.AppendResult more =
          node.partition(AppendLoadMain.TOPIC, 0)
              .<PartitionEntity.AppendResult>ask(
                  r -> PartitionEntity.Append.of(List.of(LogRecord.of(1, null, new byte[] {1})), r), Duration.ofSeconds(30))
              .toCompletableFuture()
              .get(60, TimeUnit.SECONDS);
      assertEquals(hw, more.baseOffset());
    }
  }
}
