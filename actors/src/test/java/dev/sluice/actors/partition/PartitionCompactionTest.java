package dev.sluice.actors.partition;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.partition.TopicConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Log compaction of a partition (cleanup.policy=compact): the newest record of each key stays
 * at its offset, tombstones go after delete.retention.ms, and all of it survives a restart.
 */
class PartitionCompactionTest {
  @TempDir Path dataDir;
  final MutableClock clock = new MutableClock(1_700_000_000_000L);
  PartitionNode node;

  static final TopicConfig COMPACT = TopicConfig.defaults().with(Map.of("cleanup.policy", "compact", "delete.retention.ms", "60000"));

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  void start(String config) {
    node = new PartitionNode(dataDir, "sluice.partition.retention-check-interval = 1 h\n" + config, clock);
  }

  void start() {
    start("sluice.partition.compaction-check-interval = 1 h\n");
  }

  static LogRecord rec(String key, String value) {
    return LogRecord.of(1_000L, key == null ? null : key.getBytes(UTF_8), value == null ? null : value.getBytes(UTF_8));
  }

  PartitionEntity.CompactionResult compact(String topic) {
    TestProbe<PartitionEntity.CompactionResult> probe = node.probe();
    node.partition(topic, 0).tell(new PartitionEntity.Compact(probe.getRef()));
    return probe.expectMessageClass(PartitionEntity.CompactionResult.class, PartitionNode.TIMEOUT);
  }

  /** Every record readable from the log start, as "offset:key=value" ("~": a tombstone). */
  List<String> log(String topic) {
    PartitionEntity.PartitionInfo info = node.describe(topic, 0);
    List<String> out = new ArrayList<>();
    long offset = info.logStartOffset();
    for (int i = 0; i < 100 && offset < info.highWatermark(); i++) {
      PartitionEntity.FetchResult r = node.fetch(topic, 0, offset, 1 << 20);
      assertEquals(PartitionError.NONE, r.error(), r.message());
      for (LogRecord rec : r.records(offset)) {
        out.add(rec.offset() + ":" + new String(rec.key(), UTF_8) + "=" + (rec.value() == null ? "~" : new String(rec.value(), UTF_8)));
      }
      for (java.nio.ByteBuffer b : r.batches()) {
        offset = Math.max(offset, dev.sluice.persistence.batch.RecordBatches.nextOffsetAfter(b));
      }
    }
    return out;
  }

  @Test
  void keepsTheNewestRecordOfEachKeyAtItsOffsetAcrossARestart() {
    start();
    node.create("latest", 0, COMPACT);
    node.append("latest", 0, List.of(rec("k1", "a"), rec("k2", "b")));
    node.append("latest", 0, List.of(rec("k1", "c"), rec("k3", "d")));
    node.append("latest", 0, List.of(rec("k2", null)));
    node.append("latest", 0, List.of(rec("k4", "e")));

    PartitionEntity.CompactionResult r = compact("latest");
    assertEquals(PartitionError.NONE, r.error(), r.message());
    assertEquals(0, r.fromOffset());
    assertEquals(6, r.endOffset());
    assertEquals(2, r.batchesRewritten(), "the first batch loses k1=a and k2=b; the tombstone's gets its delete horizon");
    assertEquals(6, r.recordsBefore());
    assertEquals(4, r.recordsAfter());
    assertTrue(r.bytesAfter() < r.bytesBefore());
    List<String> compacted = List.of("2:k1=c", "3:k3=d", "4:k2=~", "5:k4=e");
    assertEquals(compacted, log("latest"));
    PartitionEntity.PartitionInfo info = node.describe("latest", 0);
    assertEquals(0, info.logStartOffset());
    assertEquals(6, info.highWatermark(), "offsets never change");
    assertEquals(6, node.append("latest", 0, List.of(rec("k1", "f"))).baseOffset(), "appends go on at the end");

    node.close();
    node = null;
    start();
    assertEquals(List.of("2:k1=c", "3:k3=d", "4:k2=~", "5:k4=e", "6:k1=f"), log("latest"), "after a restart");

    // the tombstone goes once delete.retention.ms has passed since compaction first saw it
    assertEquals(List.of("3:k3=d", "4:k2=~", "5:k4=e", "6:k1=f"), records(compact("latest"), "latest"));
    clock.advanceMillis(60_001);
    assertEquals(List.of("3:k3=d", "5:k4=e", "6:k1=f"), records(compact("latest"), "latest"));
    assertEquals(7, node.describe("latest", 0).highWatermark());
  }

  private List<String> records(PartitionEntity.CompactionResult r, String topic) {
    assertEquals(PartitionError.NONE, r.error(), r.message());
    return log(topic);
  }

  @Test
  void aCompactedTopicRefusesRecordsWithoutAKeyAndRetentionDoesNotDeleteIt() {
    start();
    node.create("keyed", 0, COMPACT.with(Map.of("retention.ms", "1")));
    PartitionEntity.AppendResult refused = node.append("keyed", 0, List.of(rec("k", "v"), rec(null, "no key")));
    assertEquals(PartitionError.INVALID_RECORD, refused.error());
    assertTrue(refused.message().contains("without a key"), refused.message());
    assertEquals(0, node.append("keyed", 0, List.of(rec("k", "v"))).baseOffset(), "nothing of the refused batch was stored");

    clock.advanceMillis(3_600_000);
    TestProbe<PartitionEntity.Ack> probe = node.probe();
    node.partition("keyed", 0).tell(new PartitionEntity.EnforceRetention(probe.getRef()));
    probe.expectMessageClass(PartitionEntity.Ack.class, PartitionNode.TIMEOUT);
    assertEquals(0, node.describe("keyed", 0).logStartOffset(), "cleanup.policy=compact alone: retention.ms deletes nothing");

    node.create("plain", 0, TopicConfig.defaults());
    assertEquals(PartitionError.NONE, node.append("plain", 0, List.of(rec(null, "no key"))).error(), "a delete topic takes keyless records");
    PartitionEntity.CompactionResult notCompacted = compact("plain");
    assertEquals(PartitionError.INVALID_REQUEST, notCompacted.error());
    assertTrue(notCompacted.message().contains("cleanup.policy=delete"), notCompacted.message());
  }

  static byte[] idempotent(long producerId, int baseSequence, SimpleRecord... records) {
    MemoryRecords m = MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, (short) 0, baseSequence, records);
    byte[] out = new byte[m.sizeInBytes()];
    m.buffer().duplicate().get(out);
    return out;
  }

  static SimpleRecord simple(String key, String value) {
    return new SimpleRecord(1_000L, key.getBytes(UTF_8), value.getBytes(UTF_8));
  }

  @Test
  void anIdempotentProducerGoesOnAfterItsBatchesWereCompactedAndTheNodeRestarted() {
    start();
    node.create("idem", 0, COMPACT);
    assertEquals(0, node.append("idem", 0, idempotent(7, 0, simple("k", "1"), simple("k", "2"))).baseOffset());
    byte[] last = idempotent(7, 2, simple("k", "3"), simple("k", "4"));
    assertEquals(2, node.append("idem", 0, last.clone()).baseOffset());
    assertEquals(PartitionError.NONE, compact("idem").error());
    assertEquals(List.of("3:k=4"), log("idem"), "the first batch is emptied, the second keeps its last record");

    node.close();
    node = null;
    start();
    PartitionEntity.AppendResult retry = node.append("idem", 0, last.clone());
    assertEquals(PartitionError.NONE, retry.error());
    assertEquals(2, retry.baseOffset(), "a retry of the compacted batch is still recognised");
    assertEquals(4, node.append("idem", 0, idempotent(7, 4, simple("k", "5"))).baseOffset(), "the next sequence follows on");
    assertEquals(PartitionError.OUT_OF_ORDER_SEQUENCE_NUMBER, node.append("idem", 0, idempotent(7, 9, simple("k", "6"))).error());
  }

  @Test
  void aLogWithMoreKeysThanOneCompactionHoldsIsCompactedAPartAtATime() {
    start("sluice.partition.compaction-check-interval = 1 h\nsluice.partition.compaction-max-keys = 3\n");
    node.create("many", 0, COMPACT);
    for (int round = 0; round < 2; round++) {
      for (int k = 0; k < 6; k++) {
        node.append("many", 0, List.of(rec("k" + k, "r" + round)));
      }
    }
    // 6 keys, 3 at a time: each compaction takes the keys of the batches after the last one
    PartitionEntity.CompactionResult first = compact("many");
    assertEquals(3, first.endOffset(), "the first three batches' keys fill the index");
    List<Long> ends = new ArrayList<>(List.of(first.endOffset()));
    for (int i = 0; i < 5 && ends.get(ends.size() - 1) < 12; i++) {
      ends.add(compact("many").endOffset());
    }
    assertEquals(List.of(3L, 6L, 9L, 12L), ends, "each compaction goes on where the last stopped");
    assertEquals(List.of("6:k0=r1", "7:k1=r1", "8:k2=r1", "9:k3=r1", "10:k4=r1", "11:k5=r1"), log("many"));
  }

  @Test
  void listOffsetsByTimestampFindsARecordThatCompactionLeft() {
    start();
    node.create("timed", 0, COMPACT);
    node.append("timed", 0, List.of(LogRecord.of(100, "a".getBytes(UTF_8), "1".getBytes(UTF_8)), LogRecord.of(200, "b".getBytes(UTF_8), "1".getBytes(UTF_8))));
    node.append("timed", 0, List.of(LogRecord.of(150, "b".getBytes(UTF_8), "2".getBytes(UTF_8)), LogRecord.of(300, "c".getBytes(UTF_8), "1".getBytes(UTF_8))));
    assertEquals(1, node.listOffsets("timed", 0, 180).offset(), "before: b=1 at 200");
    compact("timed");
    // b=1 (200) went: the first record at or after 180 is now c=1 (300) in the next batch
    PartitionEntity.OffsetResult r = node.listOffsets("timed", 0, 180);
    assertEquals(3, r.offset());
    assertEquals(300, r.timestamp());
    assertEquals(-1, node.listOffsets("timed", 0, 301).offset(), "no record that late");
  }

  @Test
  void theNewestBatchesWaitForMinCompactionLag() {
    start();
    node.create("lagging", 0, COMPACT.with(Map.of("min.compaction.lag.ms", "60000")));
    long now = clock.millis();
    node.append("lagging", 0, List.of(LogRecord.of(now - 120_000, "k".getBytes(UTF_8), "old".getBytes(UTF_8))));
    node.append("lagging", 0, List.of(LogRecord.of(now - 90_000, "k".getBytes(UTF_8), "older-than-lag".getBytes(UTF_8))));
    node.append("lagging", 0, List.of(LogRecord.of(now - 10_000, "k".getBytes(UTF_8), "recent".getBytes(UTF_8))));
    PartitionEntity.CompactionResult r = compact("lagging");
    assertEquals(2, r.endOffset(), "the batch younger than the lag is left out");
    assertEquals(List.of("1:k=older-than-lag", "2:k=recent"), log("lagging"));
    clock.advanceMillis(60_000);
    compact("lagging");
    assertEquals(List.of("2:k=recent"), log("lagging"));
  }

  @Test
  void compactsByItselfOnceEnoughOfTheLogIsNew() throws Exception {
    start("sluice.partition.compaction-check-interval = 100 ms\n");
    // one-record batches shrink little (an emptied batch keeps its header), so a low ratio
    node.create("auto", 0, COMPACT.with(Map.of("min.cleanable.dirty.ratio", "0.01")));
    for (int i = 0; i < 20; i++) {
      node.append("auto", 0, List.of(rec("k" + (i % 2), "v" + i)));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    List<String> log = log("auto");
    while (log.size() > 2 && System.nanoTime() < deadline) {
      Thread.sleep(100);
      log = log("auto");
    }
    assertEquals(List.of("18:k0=v18", "19:k1=v19"), log);
  }
}
