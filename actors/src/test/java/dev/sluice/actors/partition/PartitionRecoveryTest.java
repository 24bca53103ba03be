package dev.sluice.actors.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.TopicConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A partition's log survives an ActorSystem restart on the same data directory. */
class PartitionRecoveryTest {
  @TempDir Path dataDir;

  // A small cache and frequent snapshots, so reads after restart come from the journal and
  // recovery goes through snapshot + replay.
  static final String CONFIG = "sluice.partition.cache-size = 64 KiB\nsluice.partition.snapshot-every = 100\n";

  static byte[] value(long i) {
    return ByteBuffer.allocate(16).putLong(i).putLong(~i).array();
  }

  @Test
  void hundredThousandRecordsComeBackInOrderWithTheSameOffsets() {
    int batches = 1000;
    int perBatch = 100;
    try (PartitionNode node = new PartitionNode(dataDir, CONFIG, Clock.systemUTC())) {
      node.create("rec", 0, TopicConfig.defaults());
      for (int b = 0; b < batches; b++) {
        List<LogRecord> records = new ArrayList<>(perBatch);
        for (int i = 0; i < perBatch; i++) {
          long n = (long) b * perBatch + i;
          records.add(LogRecord.of(1_000_000 + n, ByteBuffer.allocate(8).putLong(n).array(), value(n)));
        }
        PartitionEntity.AppendResult r = node.append("rec", 0, records);
        assertEquals(PartitionError.NONE, r.error());
        assertEquals((long) b * perBatch, r.baseOffset(), "dense offsets");
      }
    }

    try (PartitionNode node = new PartitionNode(dataDir, CONFIG, Clock.systemUTC())) {
      PartitionEntity.PartitionInfo info = node.describe("rec", 0);
      assertEquals(100_000, info.highWatermark(), "high watermark after restart");
      assertEquals(batches, info.batchCount());
      long next = 0;
      while (next < 100_000) {
        PartitionEntity.FetchResult f = node.fetch("rec", 0, next, 256 * 1024);
        assertEquals(PartitionError.NONE, f.error(), "fetch at " + next);
        List<LogRecord> records = f.records(next);
        assertTrue(!records.isEmpty(), "fetch at " + next + " returned nothing");
        for (LogRecord r : records) {
          assertEquals(next, r.offset(), "offsets come back in order without gaps");
          assertEquals(next, ByteBuffer.wrap(r.key()).getLong(), "key of offset " + next);
          assertEquals(ByteBuffer.wrap(value(next)), ByteBuffer.wrap(r.value()), "value of offset " + next);
          assertEquals(1_000_000 + next, r.timestamp());
          next++;
        }
      }
      // and the log goes on where it stopped
      assertEquals(100_000, node.append("rec", 0, List.of(LogRecord.of(1, null, value(1)))).baseOffset());
    }
  }
}
