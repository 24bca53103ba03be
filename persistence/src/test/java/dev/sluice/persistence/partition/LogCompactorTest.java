package dev.sluice.persistence.partition;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.persistence.batch.RecordBatches;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

class LogCompactorTest {
  private static final long DAY = 24L * 3600 * 1000;

  private static SimpleRecord rec(String key, String value) {
    return new SimpleRecord(1_000L, key == null ? null : key.getBytes(UTF_8), value == null ? null : value.getBytes(UTF_8));
  }

  private static ByteBuffer batch(long baseOffset, Compression compression, SimpleRecord... records) {
    MemoryRecords m = MemoryRecords.withRecords(compression, records);
    byte[] bytes = new byte[m.sizeInBytes()];
    m.buffer().duplicate().get(bytes);
    RecordBatches.assignBaseOffset(bytes, baseOffset);
    return ByteBuffer.wrap(bytes);
  }

  /** The batch's records as "offset:key=value" ("~" for a tombstone). */
  private static List<String> records(ByteBuffer batch) {
    List<String> out = new ArrayList<>();
    for (MutableRecordBatch b : MemoryRecords.readableRecords(batch.duplicate()).batches()) {
      for (Record r : b) {
        String key = r.hasKey() ? UTF_8.decode(r.key()).toString() : "-";
        String value = r.hasValue() ? UTF_8.decode(r.value()).toString() : "~";
        out.add(r.offset() + ":" + key + "=" + value);
      }
    }
    return out;
  }

  private static MutableRecordBatch only(ByteBuffer batch) {
    return MemoryRecords.readableRecords(batch.duplicate()).batches().iterator().next();
  }

  @Test
  void keepsTheNewestRecordOfEachKeyAndEveryOffsetRange() {
    ByteBuffer a = batch(0, Compression.gzip().build(), rec("k1", "a1"), rec("k2", "b1"), rec("k1", "a2"), rec(null, "x"));
    MemoryRecords idem = MemoryRecords.withIdempotentRecords(Compression.NONE, 42L, (short) 3, 7, rec("k2", "b2"), rec("k3", "c1"), rec("k1", null));
    byte[] bBytes = new byte[idem.sizeInBytes()];
    idem.buffer().duplicate().get(bBytes);
    RecordBatches.assignBaseOffset(bBytes, 4);
    ByteBuffer b = ByteBuffer.wrap(bBytes);
    ByteBuffer c = batch(7, Compression.NONE, rec("k3", "c2"), rec("k4", "d1"));
    ByteBuffer d = batch(9, Compression.NONE, rec("k4", "d2"));

    LogCompactor.KeyIndex keys = new LogCompactor.KeyIndex(100);
    for (ByteBuffer batch : List.of(a, b, c, d)) {
      LogCompactor.record(batch, keys);
    }
    assertEquals(4, keys.size());
    long now = 5_000_000L;

    ByteBuffer a2 = ByteBuffer.wrap(LogCompactor.compact(a, keys, now, DAY));
    assertEquals(List.of("3:-=x"), records(a2), "a record without a key stays; k1 and k2 are superseded");
    assertEquals(0, only(a2).baseOffset());
    assertEquals(3, only(a2).lastOffset(), "the batch keeps its offsets");
    assertEquals(org.apache.kafka.common.record.internal.CompressionType.GZIP, only(a2).compressionType());
    assertTrue(only(a2).isValid(), "a fresh CRC");

    ByteBuffer b2 = ByteBuffer.wrap(LogCompactor.compact(b, keys, now, DAY));
    assertEquals(List.of("4:k2=b2", "6:k1=~"), records(b2), "k3's first value goes, the tombstone stays");
    MutableRecordBatch rb = only(b2);
    assertEquals(42L, rb.producerId());
    assertEquals(3, rb.producerEpoch());
    assertEquals(7, rb.baseSequence());
    assertEquals(9, rb.lastSequence(), "the producer's sequence range is kept");
    assertEquals(now + DAY, rb.deleteHorizonMs().getAsLong(), "the tombstone's delete horizon is set when first compacted");

    assertEquals(List.of("7:k3=c2"), records(ByteBuffer.wrap(LogCompactor.compact(c, keys, now, DAY))), "k4=d1 is superseded by d");
    assertNull(LogCompactor.compact(d, keys, now, DAY), "the newest batch loses nothing");
  }

  @Test
  void aTombstoneGoesOnlyAfterItsDeleteHorizon() {
    ByteBuffer a = batch(0, Compression.NONE, rec("k", "v1"), rec("k", null), rec("j", "w"));
    LogCompactor.KeyIndex keys = new LogCompactor.KeyIndex(100);
    LogCompactor.record(a, keys);
    ByteBuffer first = ByteBuffer.wrap(LogCompactor.compact(a, keys, 1_000, 500));
    assertEquals(List.of("1:k=~", "2:j=w"), records(first));

    LogCompactor.KeyIndex again = new LogCompactor.KeyIndex(100);
    LogCompactor.record(first, again);
    assertNull(LogCompactor.compact(first, again, 1_499, 500), "before the horizon nothing changes");
    assertEquals(1_500, LogCompactor.deleteHorizon(first), "its tombstone may go at the horizon");
    ByteBuffer second = ByteBuffer.wrap(LogCompactor.compact(first, again, 1_500, 500));
    assertEquals(List.of("2:j=w"), records(second), "at the horizon the tombstone goes");
    assertEquals(Long.MAX_VALUE, LogCompactor.deleteHorizon(second), "no tombstone left to wait for");
    assertEquals(Long.MAX_VALUE, LogCompactor.deleteHorizon(a), "never compacted: no horizon");
    assertEquals(0, only(second).baseOffset());
    assertEquals(2, only(second).lastOffset());
  }

  @Test
  void aBatchThatLosesEveryRecordStaysAsAnEmptyBatchCoveringItsOffsets() {
    ByteBuffer a = batch(10, Compression.NONE, rec("k", "v1"), rec("j", "w1"));
    ByteBuffer b = batch(12, Compression.NONE, rec("k", "v2"), rec("j", "w2"));
    LogCompactor.KeyIndex keys = new LogCompactor.KeyIndex(100);
    LogCompactor.record(a, keys);
    LogCompactor.record(b, keys);
    byte[] empty = LogCompactor.compact(a, keys, 0, DAY);
    assertNotNull(empty);
    assertEquals(List.of(), records(ByteBuffer.wrap(empty)));
    assertEquals(0, RecordBatches.recordCount(empty));
    assertEquals(10, RecordBatches.baseOffset(empty));
    assertEquals(1, RecordBatches.lastOffsetDelta(empty), "still spans offsets 10..11");
    assertEquals(12, RecordBatches.nextOffsetAfter(ByteBuffer.wrap(empty)));
    assertNull(LogCompactor.compact(b, keys, 0, DAY));
  }

  @Test
  void theKeyIndexSaysWhenABatchMightNotFit() {
    LogCompactor.KeyIndex keys = new LogCompactor.KeyIndex(3);
    LogCompactor.record(batch(0, Compression.NONE, rec("a", "1"), rec("b", "1")), keys);
    assertTrue(keys.full(2));
    assertEquals(false, keys.full(1));
  }
}
