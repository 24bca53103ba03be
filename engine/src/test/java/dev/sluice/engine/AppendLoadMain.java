package dev.sluice.engine;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.TopicConfig;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * Child process of {@link CrashRecoveryTest}: runs a node on {@code args[0]} and appends batches
 * to partition {@code load-0} forever (8 in flight), printing {@code ACK batch baseOffset count}
 * for every acknowledged append. Each record's value is (batch, index), so the parent can check
 * what it finds after a crash.
 */
public final class AppendLoadMain {
  static final String TOPIC = "load";
  static final int RECORDS_PER_BATCH = 20;

  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true);
    SluiceNode node = SluiceNode.start(NodeSettings.of(Path.of(args[0])).withClusterPort(0).withKafkaPort(0));
    Duration timeout = Duration.ofSeconds(30);
    PartitionEntity.Ack created =
        node.partition(TOPIC, 0)
            .<PartitionEntity.Ack>ask(r -> new PartitionEntity.Create(TOPIC, 0, "load-id", TopicConfig.defaults(), r), timeout)
            .toCompletableFuture()
            .get();
    if (created.error() != PartitionError.NONE) {
      throw new IllegalStateException("create failed: " + created);
    }
    out.println("READY");
    Semaphore inFlight = new Semaphore(8);
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos(); // the parent kills us long before
    for (long batch = 0; System.nanoTime() < deadline; batch++) {
      inFlight.acquire();
      List<LogRecord> records = new ArrayList<>(RECORDS_PER_BATCH);
      for (int i = 0; i < RECORDS_PER_BATCH; i++) {
        records.add(LogRecord.of(System.currentTimeMillis(), null, ByteBuffer.allocate(12).putLong(batch).putInt(i).array()));
      }
      long b = batch;
      node.partition(TOPIC, 0)
          .<PartitionEntity.AppendResult>ask(r -> PartitionEntity.Append.of(records, r), timeout)
          .whenComplete(
              (res, err) -> {
                inFlight.release();
                if (err == null && res.error() == PartitionError.NONE) {
                  synchronized (out) {
                    out.println("ACK " + b + " " + res.baseOffset() + " " + RECORDS_PER_BATCH);
                  }
                }
              });
    }
  }
}
