package dev.sluice.actors.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.TopicConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads from the journal with read-ahead: a fetch served from the journal starts the read of what
 * follows it, and the next fetch at that offset is answered from it. Whatever the fetch sizes,
 * consumers see every record once, in order, and a read-ahead never serves what retention removed.
 */
class PartitionReadAheadTest {
  // A cache of one small batch, so reads go to the journal; 8 KiB read ahead.
  static final String CONFIG =
      "sluice.partition.cache-size = 1 KiB\nsluice.partition.read-ahead = 8 KiB\n"
          + "sluice.partition.retention-check-interval = 1 h\n";
  static final int BATCHES = 300;
  static final int PER_BATCH = 10;

  @TempDir Path dataDir;
  final MutableClock clock = new MutableClock(1_700_000_000_000L);
  PartitionNode node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  static byte[] value(long n) {
    return ByteBuffer.allocate(100).putLong(0, n).array();
  }

  void fill(String topic, TopicConfig config) {
    node = new PartitionNode(dataDir, CONFIG, clock);
    node.create(topic, 0, config);
    for (int b = 0; b < BATCHES; b++) {
      List<LogRecord> records = new ArrayList<>(PER_BATCH);
      for (int i = 0; i < PER_BATCH; i++) {
        long n = (long) b * PER_BATCH + i;
        records.add(LogRecord.of(clock.millis(), null, value(n)));
      }
      assertEquals(PartitionError.NONE, node.append(topic, 0, records).error());
    }
  }

  @Test
  void consecutiveFetchesOfChangingSizesSeeEveryRecordOnceInOrder() {
    fill("ahead", TopicConfig.defaults());
    int batchSize = node.fetch("ahead", 0, 0, 1).sizeInBytes();
    // sizes below, at and above what is read ahead; 1: only the first batch
    int[] sizes = {8 * 1024, 2 * 1024, 1, 32 * 1024, 3 * batchSize, 8 * 1024, 100};
    long next = 0;
    int fetches = 0;
    while (next < (long) BATCHES * PER_BATCH) {
      assertTrue(fetches < 10_000, "no progress at offset " + next);
      int maxBytes = sizes[fetches++ % sizes.length];
      PartitionEntity.FetchResult f = node.fetch("ahead", 0, next, maxBytes);
      assertEquals(PartitionError.NONE, f.error(), "fetch at " + next);
      assertTrue(
          f.sizeInBytes() <= Math.max(maxBytes, batchSize + 16),
          "fetch of at most " + maxBytes + " B at " + next + " returned " + f.sizeInBytes() + " B");
      List<LogRecord> records = f.records(next);
      assertFalse(records.isEmpty(), "fetch at " + next + " returned nothing");
      for (LogRecord r : records) {
        assertEquals(next, r.offset(), "offsets in order, without gaps or repeats");
        assertEquals(next, ByteBuffer.wrap(r.value()).getLong(0), "value of offset " + next);
        next++;
      }
    }
    assertEquals(PartitionError.NONE, node.fetch("ahead", 0, next, 1024).error());
    assertTrue(node.fetch("ahead", 0, next, 1024).batches().isEmpty(), "nothing after the high watermark");
  }

  @Test
  void twoReadersAtDifferentOffsetsEachReadOnInOrder() {
    fill("two", TopicConfig.defaults());
    long end = (long) BATCHES * PER_BATCH;
    long[] next = {0, end / 2};
    long[] stop = {end / 2, end};
    for (int turn = 0; turn < 10_000 && (next[0] < stop[0] || next[1] < stop[1]); turn++) {
      int reader = turn % 2;
      if (next[reader] >= stop[reader]) {
        continue;
      }
      PartitionEntity.FetchResult f = node.fetch("two", 0, next[reader], 4 * 1024);
      assertEquals(PartitionError.NONE, f.error(), "reader " + reader + " at " + next[reader]);
      for (LogRecord r : f.records(next[reader])) {
        assertEquals(next[reader], r.offset(), "reader " + reader + ": offsets in order, without gaps");
        assertEquals(next[reader], ByteBuffer.wrap(r.value()).getLong(0));
        next[reader]++;
      }
    }
    assertTrue(next[0] >= stop[0] && next[1] >= stop[1], "both readers got to their end: " + next[0] + ", " + next[1]);
  }

  @Test
  void aReadAheadDoesNotServeOffsetsThatRetentionRemoved() throws Exception {
    fill("retained", TopicConfig.defaults().with(Map.of("retention.bytes", "20000")));
    PartitionEntity.FetchResult first = node.fetch("retained", 0, 0, 4 * 1024);
    List<LogRecord> records = first.records(0);
    long following = records.get(records.size() - 1).offset() + 1;
    Thread.sleep(200); // let the read-ahead from `following` finish
    TestProbe<PartitionEntity.Ack> probe = node.probe();
    node.partition("retained", 0).tell(new PartitionEntity.EnforceRetention(probe.getRef()));
    assertEquals(PartitionError.NONE, probe.expectMessageClass(PartitionEntity.Ack.class, PartitionNode.TIMEOUT).error());
    long start = node.describe("retained", 0).logStartOffset();
    assertTrue(start > following, "retention moved the log start (" + start + ") past " + following);

    assertEquals(PartitionError.OFFSET_OUT_OF_RANGE, node.fetch("retained", 0, following, 4 * 1024).error());
    PartitionEntity.FetchResult after = node.fetch("retained", 0, start, 4 * 1024);
    assertEquals(PartitionError.NONE, after.error());
    assertEquals(start, after.records(start).get(0).offset(), "reading on from the new log start");
  }

  @Test
  void readAheadSizeMustBeAByteCountOfAtMost2GiB() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new PartitionSettings(0, 1, Duration.ofMinutes(1), Duration.ofSeconds(1), "j", Duration.ofMinutes(1), -1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new PartitionSettings(0, 1, Duration.ofMinutes(1), Duration.ofSeconds(1), "j", Duration.ofMinutes(1), 1L << 32));
  }
}
