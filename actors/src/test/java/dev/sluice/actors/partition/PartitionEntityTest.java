package dev.sluice.actors.partition;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.batch.RecordBatches;
import dev.sluice.persistence.partition.TopicConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Append / fetch / list-offsets semantics of a partition on a real journal. */
class PartitionEntityTest {
  @TempDir Path dataDir;
  PartitionNode node;

  @BeforeEach
  void start() {
    node = new PartitionNode(dataDir, "", Clock.systemUTC());
    assertEquals(PartitionError.NONE, node.create("t", 0, TopicConfig.defaults()).error());
  }

  @AfterEach
  void stop() {
    node.close();
  }

  static List<LogRecord> records(int from, int n, long timestamp) {
    List<LogRecord> out = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      out.add(
          LogRecord.of(
              timestamp,
              ("k" + i).getBytes(UTF_8),
              ("v" + i).getBytes(UTF_8),
              List.of(new LogRecord.Header("h", ("x" + i).getBytes(UTF_8)))));
    }
    return out;
  }

  @Test
  void aDeleteForAnotherIncarnationLeavesThePartitionAlone() {
    assertEquals(0, node.append("t", 0, records(0, 3, 100)).baseOffset());
    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<PartitionEntity.Ack> acks = node.probe();

    node.partition("t", 0).tell(new PartitionEntity.Delete("an old topic id", "id-of-an-earlier-t", acks.getRef()));
    PartitionEntity.Ack stale = acks.expectMessageClass(PartitionEntity.Ack.class, PartitionNode.TIMEOUT);
    assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, stale.error(), "not this incarnation: " + stale.message());
    assertEquals(3, node.describe("t", 0).highWatermark(), "the log is untouched");

    node.partition("t", 0).tell(new PartitionEntity.Create("t", 0, "id-of-a-later-t", TopicConfig.defaults(), acks.getRef()));
    PartitionEntity.Ack refused = acks.expectMessageClass(PartitionEntity.Ack.class, PartitionNode.TIMEOUT);
    assertEquals(PartitionError.INVALID_REQUEST, refused.error(), "another incarnation lives here: " + refused.message());
    assertEquals("id-t", refused.topicId(), "the refusal names the incarnation it holds, for its replacement's Delete");

    node.partition("t", 0).tell(new PartitionEntity.Delete("its own id", "id-t", acks.getRef()));
    assertEquals(PartitionError.NONE, acks.expectMessageClass(PartitionEntity.Ack.class, PartitionNode.TIMEOUT).error());
    assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.describe("t", 0).error(), "deleted");
  }

  @Test
  void appendsAssignDenseOffsetsAndFetchReturnsWholeBatches() {
    assertEquals(0, node.append("t", 0, records(0, 10, 1000)).baseOffset());
    assertEquals(10, node.append("t", 0, records(10, 5, 1000)).baseOffset());
    assertEquals(15, node.append("t", 0, records(15, 1, 1000)).baseOffset());

    PartitionEntity.FetchResult all = node.fetch("t", 0, 0, 1 << 20);
    assertEquals(PartitionError.NONE, all.error());
    assertEquals(16, all.highWatermark());
    assertEquals(3, all.batches().size(), "every batch fits in 1 MiB");
    List<LogRecord> got = all.records(0);
    assertEquals(16, got.size());
    for (int i = 0; i < 16; i++) {
      assertEquals(i, got.get(i).offset());
      assertArrayEquals(("v" + i).getBytes(UTF_8), got.get(i).value(), "value of offset " + i);
      assertEquals("x" + i, new String(got.get(i).headers().get(0).value(), UTF_8));
    }

    // A fetch inside a batch returns the whole batch containing it, as Kafka does.
    PartitionEntity.FetchResult mid = node.fetch("t", 0, 12, 1);
    assertEquals(1, mid.batches().size(), "maxBytes=1 still returns the first batch");
    assertEquals(10, RecordBatches.baseOffset(mid.batches().get(0)));
    assertEquals(List.of(12L, 13L, 14L), mid.records(12).stream().map(LogRecord::offset).toList());
  }

  @Test
  void fetchAtHighWatermarkWaitsThenTimesOutEmpty() {
    node.append("t", 0, records(0, 3, 1000));
    TestProbe<PartitionEntity.FetchResult> probe = node.probe();
    node.partition("t", 0).tell(new PartitionEntity.Fetch(3, 1 << 20, 1, 500, probe.getRef()));
    probe.expectNoMessage(Duration.ofMillis(300));
    PartitionEntity.FetchResult r = probe.expectMessageClass(PartitionEntity.FetchResult.class, Duration.ofSeconds(5));
    assertEquals(PartitionError.NONE, r.error());
    assertTrue(r.batches().isEmpty(), "nothing arrived: empty answer after the wait");
    assertEquals(3, r.highWatermark());
  }

  @Test
  void longPollIsAnsweredAsSoonAsDataArrives() {
    TestProbe<PartitionEntity.FetchResult> probe = node.probe();
    node.partition("t", 0).tell(new PartitionEntity.Fetch(0, 1 << 20, 1, 20_000, probe.getRef()));
    probe.expectNoMessage(Duration.ofMillis(200));
    node.append("t", 0, records(0, 2, 1000));
    PartitionEntity.FetchResult r = probe.expectMessageClass(PartitionEntity.FetchResult.class, Duration.ofSeconds(5));
    assertEquals(2, r.records(0).size(), "the waiting fetch got the new batch long before its 20 s wait ended");
  }

  @Test
  void offsetsOutsideTheLogAreOutOfRange() {
    node.append("t", 0, records(0, 3, 1000));
    assertEquals(PartitionError.OFFSET_OUT_OF_RANGE, node.fetch("t", 0, 4, 1024).error());
    assertEquals(PartitionError.OFFSET_OUT_OF_RANGE, node.fetch("t", 0, -1, 1024).error());
    PartitionEntity.FetchResult atHw = node.fetch("t", 0, 3, 1024);
    assertEquals(PartitionError.NONE, atHw.error());
    assertTrue(atHw.batches().isEmpty());
  }

  @Test
  void badBatchesAreRejectedAndLeaveTheLogUnchanged() {
    node.append("t", 0, records(0, 2, 1000));
    byte[] corrupt = RecordBatches.build(records(0, 2, 1000));
    corrupt[corrupt.length - 1] ^= 0x5a;
    assertEquals(PartitionError.CORRUPT_MESSAGE, node.append("t", 0, corrupt).error());
    assertEquals(PartitionError.CORRUPT_MESSAGE, node.append("t", 0, new byte[10]).error());
    byte[] twoBatches = concat(RecordBatches.build(records(0, 1, 1)), RecordBatches.build(records(1, 1, 1)));
    assertEquals(PartitionError.INVALID_RECORD, node.append("t", 0, twoBatches).error());
    PartitionEntity.PartitionInfo info = node.describe("t", 0);
    assertEquals(2, info.highWatermark(), "rejected batches must not move the high watermark");
    assertEquals(1, info.batchCount());
  }

  @Test
  void oversizedBatchIsRejected() {
    assertEquals(PartitionError.NONE, node.create("small", 0, TopicConfig.defaults().with(Map.of("max.message.bytes", "200"))).error());
    List<LogRecord> big = List.of(LogRecord.of(1, null, new byte[500]));
    assertEquals(PartitionError.MESSAGE_TOO_LARGE, node.append("small", 0, big).error());
  }

  @Test
  void unknownPartitionAnswersUnknown() {
    assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.append("nope", 0, records(0, 1, 1)).error());
    assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.fetch("nope", 0, 0, 100).error());
    assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.describe("nope", 0).error());
    assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, node.listOffsets("nope", 0, PartitionEntity.LATEST).error());
  }

  @Test
  void anUnknownPartitionStopsAfterItsIdleTime() throws Exception {
    try (PartitionNode quick = new PartitionNode(dataDir.resolve("quick"), "sluice.partition.unknown-partition-idle = 300 ms\n", Clock.systemUTC())) {
      assertEquals(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, quick.fetch("ghost", 7, 0, 100).error());
      assertEquals(PartitionError.NONE, quick.create("real", 0, TopicConfig.defaults()).error());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      java.util.Set<String> running = runningEntities(quick);
      while (running.contains("ghost-7") && System.nanoTime() < deadline) {
        Thread.sleep(100);
        running = runningEntities(quick);
      }
      assertTrue(!running.contains("ghost-7"), "the unknown partition should have stopped: " + running);
      assertTrue(running.contains("real-0"), "an existing partition keeps running: " + running);
    }
  }

  static java.util.Set<String> runningEntities(PartitionNode n) {
    TestProbe<org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState> probe = n.probe();
    org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(n.kit.system())
        .shardState()
        .tell(new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(PartitionEntity.ENTITY_TYPE_KEY, probe.getRef()));
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (org.apache.pekko.cluster.sharding.ShardRegion.ShardState shard : probe.receiveMessage(PartitionNode.TIMEOUT).getShards()) {
      ids.addAll(shard.getEntityIds());
    }
    return ids;
  }

  @Test
  void listOffsetsEarliestLatestAndByTimestamp() {
    node.append("t", 0, records(0, 3, 1000)); // offsets 0..2 at t=1000
    List<LogRecord> mixed = new ArrayList<>();
    mixed.add(LogRecord.of(2000, null, "a".getBytes(UTF_8)));
    mixed.add(LogRecord.of(1500, null, "b".getBytes(UTF_8)));
    mixed.add(LogRecord.of(3000, null, "c".getBytes(UTF_8)));
    node.append("t", 0, mixed); // offsets 3 (2000), 4 (1500), 5 (3000)
    assertEquals(0, node.listOffsets("t", 0, PartitionEntity.EARLIEST).offset());
    assertEquals(6, node.listOffsets("t", 0, PartitionEntity.LATEST).offset());
    assertEquals(0, node.listOffsets("t", 0, 500).offset(), "before everything: the first record");
    assertEquals(0, node.listOffsets("t", 0, 1000).offset());
    assertEquals(3, node.listOffsets("t", 0, 1001).offset(), "first record with timestamp >= 1001");
    assertEquals(5, node.listOffsets("t", 0, 2500).offset());
    assertEquals(-1, node.listOffsets("t", 0, 3001).offset(), "no record that late");
  }

  private PartitionEntity.OffsetResult deleteRecords(long beforeOffset) {
    TestProbe<PartitionEntity.OffsetResult> probe = node.probe();
    node.partition("t", 0).tell(new PartitionEntity.DeleteRecords(beforeOffset, probe.getRef()));
    return probe.expectMessageClass(PartitionEntity.OffsetResult.class, PartitionNode.TIMEOUT);
  }

  @Test
  void deleteRecordsMovesTheLogStartEvenInsideABatchAndSurvivesARestart() {
    node.append("t", 0, records(0, 3, 1000)); // batch 0..2
    node.append("t", 0, records(3, 4, 1000)); // batch 3..6
    node.append("t", 0, records(7, 2, 1000)); // batch 7..8

    assertEquals(PartitionError.OFFSET_OUT_OF_RANGE, deleteRecords(10).error(), "beyond the high watermark (9)");
    assertEquals(PartitionError.OFFSET_OUT_OF_RANGE, deleteRecords(-2).error(), "a negative offset other than -1");
    assertEquals(0, node.listOffsets("t", 0, PartitionEntity.EARLIEST).offset(), "refused requests change nothing");

    PartitionEntity.OffsetResult inside = deleteRecords(5);
    assertEquals(PartitionError.NONE, inside.error(), String.valueOf(inside.message()));
    assertEquals(5, inside.offset(), "the low watermark is the offset asked for, inside the second batch");
    assertEquals(5, node.listOffsets("t", 0, PartitionEntity.EARLIEST).offset());
    assertEquals(PartitionError.OFFSET_OUT_OF_RANGE, node.fetch("t", 0, 4, 1 << 20).error(), "below the new start");
    PartitionEntity.FetchResult fromStart = node.fetch("t", 0, 5, 1 << 20);
    assertEquals(5, fromStart.logStartOffset());
    assertEquals(3, RecordBatches.baseOffset(fromStart.batches().get(0)), "the batch holding the start stays whole");
    assertEquals(List.of(5L, 6L, 7L, 8L), fromStart.records(5).stream().map(LogRecord::offset).toList());
    assertEquals(2, node.describe("t", 0).batchCount(), "the first batch is gone");

    assertEquals(5, deleteRecords(2).offset(), "below the start: nothing changes, the start is the answer");

    node.close();
    node = new PartitionNode(dataDir, "", Clock.systemUTC());
    assertEquals(5, node.listOffsets("t", 0, PartitionEntity.EARLIEST).offset(), "the new start is journaled");
    assertEquals(PartitionError.OFFSET_OUT_OF_RANGE, node.fetch("t", 0, 4, 1 << 20).error(), "after the restart too");

    PartitionEntity.OffsetResult all = deleteRecords(PartitionEntity.LATEST);
    assertEquals(9, all.offset(), "-1: up to the high watermark");
    assertTrue(node.fetch("t", 0, 9, 1 << 20).batches().isEmpty(), "nothing left to read");
    assertEquals(9, node.append("t", 0, records(9, 1, 1000)).baseOffset(), "the log goes on from the high watermark");
  }

  @Test
  void aLongPollBelowTheNewStartIsAnsweredAtOnce() {
    node.append("t", 0, records(0, 3, 1000));
    TestProbe<PartitionEntity.FetchResult> probe = node.probe();
    // waits: it wants more bytes than the log holds after offset 1
    node.partition("t", 0).tell(new PartitionEntity.Fetch(1, 1 << 20, 1 << 20, 20_000, probe.getRef()));
    probe.expectNoMessage(Duration.ofMillis(200));
    assertEquals(3, deleteRecords(3).offset());
    PartitionEntity.FetchResult r = probe.expectMessageClass(PartitionEntity.FetchResult.class, Duration.ofSeconds(5));
    assertEquals(PartitionError.OFFSET_OUT_OF_RANGE, r.error(), "long before its 20 s wait ends");
  }

  @Test
  void listOffsetsByTimestampSeesOnlyWhatDeleteRecordsLeft() {
    List<LogRecord> first = new ArrayList<>();
    first.add(LogRecord.of(1000, null, "a".getBytes(UTF_8))); // offset 0
    first.add(LogRecord.of(3000, null, "b".getBytes(UTF_8))); // offset 1, the latest record
    first.add(LogRecord.of(1000, null, "c".getBytes(UTF_8))); // offset 2
    node.append("t", 0, first);
    List<LogRecord> second = new ArrayList<>();
    second.add(LogRecord.of(2000, null, "d".getBytes(UTF_8))); // offset 3
    second.add(LogRecord.of(2500, null, "e".getBytes(UTF_8))); // offset 4
    node.append("t", 0, second);
    assertEquals(1, node.listOffsets("t", 0, 2800).offset(), "before the deletion: offset 1 (t=3000)");

    assertEquals(2, deleteRecords(2).offset(), "the start is now inside the first batch");
    PartitionEntity.OffsetResult early = node.listOffsets("t", 0, 500);
    assertEquals(PartitionError.NONE, early.error(), String.valueOf(early.message()));
    assertEquals(2, early.offset(), "the first record left, not one below the start");
    assertEquals(3, node.listOffsets("t", 0, 1500).offset(), "offset 2 (t=1000) is too early: the next batch's first");
    assertEquals(-1, node.listOffsets("t", 0, 2800).offset(), "the only record that late (offset 1) is deleted");
    assertEquals(-1, node.listOffsets("t", 0, 3001).offset());
  }

  @Test
  void describeReportsTheLog() {
    byte[] b1 = RecordBatches.build(records(0, 4, 1));
    int size = b1.length;
    node.append("t", 0, b1);
    PartitionEntity.PartitionInfo info = node.describe("t", 0);
    assertEquals(0, info.logStartOffset());
    assertEquals(4, info.highWatermark());
    assertEquals(size, info.sizeInBytes());
    assertEquals(1, info.batchCount());
    assertEquals("t", info.topic());
  }

  @Test
  void pipelinedAppendsAreWrittenTogetherAndKeepTheirOrder() {
    TestProbe<PartitionEntity.AppendResult> probe = node.probe();
    for (int i = 0; i < 300; i++) {
      node.partition("t", 0).tell(PartitionEntity.Append.of(records(i * 2, 2, 1000), probe.getRef()));
    }
    for (int i = 0; i < 300; i++) {
      PartitionEntity.AppendResult r = probe.expectMessageClass(PartitionEntity.AppendResult.class, PartitionNode.TIMEOUT);
      assertEquals(PartitionError.NONE, r.error());
      assertEquals(2L * i, r.baseOffset(), "appends from one sender get offsets in the order they were sent");
    }
    assertEquals(600, node.describe("t", 0).highWatermark());
    List<LogRecord> all = node.fetch("t", 0, 0, 1 << 20).records(0);
    assertEquals("v599", new String(all.get(599).value(), UTF_8));
  }

  static byte[] idempotent(long producerId, short epoch, int sequence, String value) {
    org.apache.kafka.common.record.internal.MemoryRecords m =
        org.apache.kafka.common.record.internal.MemoryRecords.withIdempotentRecords(
            org.apache.kafka.common.compress.Compression.NONE, producerId, epoch, sequence,
            new org.apache.kafka.common.record.internal.SimpleRecord(1000L, null, value.getBytes(UTF_8)));
    byte[] out = new byte[m.sizeInBytes()];
    m.buffer().duplicate().get(out);
    return out;
  }

  @Test
  void idempotentRetriesAreAnsweredWithTheOriginalOffsetEvenWithinOneWrite() {
    TestProbe<PartitionEntity.AppendResult> probe = node.probe();
    // seq 0, its retry, seq 1, seq 3 (a gap), an older epoch: all queued together
    node.partition("t", 0).tell(new PartitionEntity.Append(idempotent(7, (short) 1, 0, "a"), probe.getRef()));
    node.partition("t", 0).tell(new PartitionEntity.Append(idempotent(7, (short) 1, 0, "a"), probe.getRef()));
    node.partition("t", 0).tell(new PartitionEntity.Append(idempotent(7, (short) 1, 1, "b"), probe.getRef()));
    node.partition("t", 0).tell(new PartitionEntity.Append(idempotent(7, (short) 1, 3, "d"), probe.getRef()));
    node.partition("t", 0).tell(new PartitionEntity.Append(idempotent(7, (short) 0, 2, "c"), probe.getRef()));
    Map<PartitionError, List<Long>> byError = new java.util.HashMap<>();
    for (int i = 0; i < 5; i++) {
      PartitionEntity.AppendResult r = probe.expectMessageClass(PartitionEntity.AppendResult.class, PartitionNode.TIMEOUT);
      byError.computeIfAbsent(r.error(), k -> new ArrayList<>()).add(r.baseOffset());
    }
    assertEquals(List.of(0L, 0L, 1L), byError.get(PartitionError.NONE).stream().sorted().toList(), "the retry got offset 0 again");
    assertEquals(1, byError.get(PartitionError.OUT_OF_ORDER_SEQUENCE_NUMBER).size());
    assertEquals(1, byError.get(PartitionError.INVALID_PRODUCER_EPOCH).size());
    assertEquals(2, node.describe("t", 0).highWatermark(), "stored once each: a and b");
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
