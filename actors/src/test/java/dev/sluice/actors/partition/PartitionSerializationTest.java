package dev.sluice.actors.partition;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.batch.RecordBatches;
import dev.sluice.persistence.partition.BatchAppended;
import dev.sluice.persistence.partition.ConfigChanged;
import dev.sluice.persistence.partition.LogTruncated;
import dev.sluice.persistence.partition.PartitionCreated;
import dev.sluice.persistence.partition.PartitionDeleted;
import dev.sluice.persistence.partition.TopicConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every partition command, reply, event and the snapshot state survive serialization. */
class PartitionSerializationTest {
  @TempDir static Path dataDir;
  static PartitionNode node;
  static SerializationTestKit ser;

  @BeforeAll
  static void start() {
    node = new PartitionNode(dataDir, "", Clock.systemUTC());
    ser = new SerializationTestKit(node.kit.system());
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static final TopicConfig CONFIG = TopicConfig.defaults().with(Map.of("retention.ms", "1000", "segment.bytes", "1024"));

  @Test
  void commandsRoundTrip() {
    TestProbe<PartitionEntity.Ack> ack = node.probe();
    TestProbe<PartitionEntity.AppendResult> app = node.probe();
    TestProbe<PartitionEntity.FetchResult> fetch = node.probe();
    TestProbe<PartitionEntity.OffsetResult> off = node.probe();
    TestProbe<PartitionEntity.PartitionInfo> info = node.probe();
    ser.verifySerialization(new PartitionEntity.Create("t", 1, "id", CONFIG, ack.getRef()), true);
    ser.verifySerialization(new PartitionEntity.UpdateConfig(CONFIG, ack.getRef()), true);
    ser.verifySerialization(new PartitionEntity.Delete("why", ack.getRef()), true);
    ser.verifySerialization(new PartitionEntity.Delete("why", "topic-id-1", ack.getRef()), true);
    ser.verifySerialization(new PartitionEntity.Fetch(5, 100, 1, 500, fetch.getRef()), true);
    ser.verifySerialization(new PartitionEntity.ListOffsets(-2, off.getRef()), true);
    ser.verifySerialization(new PartitionEntity.DeleteRecords(-1, off.getRef()), true);
    ser.verifySerialization(new PartitionEntity.Describe(info.getRef()), true);
    ser.verifySerialization(new PartitionEntity.EnforceRetention(ack.getRef()), true);
    ser.verifySerialization(new PartitionEntity.RetentionTick(), true);
    ser.verifySerialization(new PartitionEntity.Compact(node.<PartitionEntity.CompactionResult>probe().getRef()), true);
    ser.verifySerialization(new PartitionEntity.CompactionTick(), true);
    ser.verifySerialization(new PartitionEntity.TimestampLookup(12, 1_000, off.getRef()), true);
    ser.verifySerialization(
        new PartitionEntity.UpdateConfig(CONFIG.with(Map.of("cleanup.policy", "compact,delete", "delete.retention.ms", "5")), ack.getRef()), true);
    ser.verifySerialization(new PartitionEntity.WaitExpired(7), true);
    ser.verifySerialization(PartitionEntity.FlushAppends.INSTANCE, true);
    ser.verifySerialization(new PartitionEntity.ReadAheadFrom(42, 1 << 20), true);
    ser.verifySerialization(new PartitionEntity.PassivateIfUnknown(), true);
    byte[] batch = RecordBatches.build(List.of(LogRecord.of(1, "k".getBytes(UTF_8), "v".getBytes(UTF_8))));
    PartitionEntity.Append append = (PartitionEntity.Append) ser.verifySerialization(new PartitionEntity.Append(batch, app.getRef()), false);
    assertArrayEquals(batch, append.batch());
  }

  @Test
  void repliesRoundTrip() {
    ser.verifySerialization(new PartitionEntity.Ack(PartitionError.NONE, null), true);
    ser.verifySerialization(new PartitionEntity.Ack(PartitionError.INVALID_REQUEST, "another incarnation", "topic-id-0"), true);
    ser.verifySerialization(new PartitionEntity.AppendResult(PartitionError.NONE, null, 10, -1, 0), true);
    ser.verifySerialization(new PartitionEntity.OffsetResult(PartitionError.OFFSET_OUT_OF_RANGE, "m", -1, -1), true);
    ser.verifySerialization(new PartitionEntity.PartitionInfo(PartitionError.NONE, "t", 0, 1, 2, 3, 4, CONFIG), true);
    ser.verifySerialization(new PartitionEntity.CompactionResult(PartitionError.NONE, null, 0, 10, 2, 900, 300, 10, 4), true);
    byte[] batch = RecordBatches.build(List.of(LogRecord.of(1, null, "v".getBytes(UTF_8))));
    // a fetch carries views: of a cached array, and of a region inside a journal entry
    byte[] entry = new byte[batch.length + 7];
    System.arraycopy(batch, 0, entry, 5, batch.length);
    java.nio.ByteBuffer region = java.nio.ByteBuffer.wrap(entry, 5, batch.length).slice();
    PartitionEntity.FetchResult f =
        (PartitionEntity.FetchResult)
            ser.verifySerialization(
                new PartitionEntity.FetchResult(PartitionError.NONE, null, 9, 0, List.of(java.nio.ByteBuffer.wrap(batch), region)), false);
    assertEquals(2, f.batches().size());
    for (java.nio.ByteBuffer b : f.batches()) {
      byte[] got = new byte[b.remaining()];
      b.duplicate().get(got);
      assertArrayEquals(batch, got, "only the view's bytes travel");
    }
    assertEquals(2, f.records(0).size(), "the record of each of the two views");
  }

  @Test
  void eventsAndSnapshotRoundTripWithTheirBoundSerializers() {
    byte[] batch = RecordBatches.build(List.of(LogRecord.of(1, null, "v".getBytes(UTF_8))));
    var serialization = SerializationExtension.get(Adapter.toClassic(node.kit.system()));
    assertEquals(7301, serialization.findSerializerFor(new BatchAppended(5, batch)).identifier(), "batches are binary");
    ser.verifySerialization(new BatchAppended(5, batch), true);
    Object[] small = {
      new PartitionCreated("t", 0, "id", CONFIG), new ConfigChanged(CONFIG), new LogTruncated(7, "r"), new PartitionDeleted("d")
    };
    for (Object e : small) {
      Serializer s = serialization.findSerializerFor(e);
      assertEquals(7302, s.identifier(), "versioned CBOR for " + e.getClass().getSimpleName());
      ser.verifySerialization(e, true);
    }
    PartitionState state = PartitionState.empty().apply(new PartitionCreated("t", 0, "id", CONFIG));
    for (int i = 0; i < 300; i++) {
      byte[] b = RecordBatches.build(List.of(LogRecord.of(i, null, new byte[i % 7])));
      RecordBatches.assignBaseOffset(b, state.nextOffset());
      state = state.apply(new BatchAppended(i, b));
    }
    state = state.apply(new LogTruncated(10, "r"));
    assertEquals(7302, serialization.findSerializerFor(state).identifier());
    PartitionState back = (PartitionState) ser.verifySerialization(state, false);
    assertEquals(state, back, "snapshot state round trip (index of " + state.index().size() + " batches)");
  }
}
