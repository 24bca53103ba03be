package dev.sluice.engine.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.batch.RecordBatches;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** A Fetch response whose records are several uncopied buffers encodes to the same bytes Kafka reads. */
class BatchRopeTest {

  private static byte[] batch(long baseOffset, String... values) {
    List<LogRecord> records = new ArrayList<>();
    for (String v : values) {
      records.add(LogRecord.of(1000, null, v.getBytes(UTF_8)));
    }
    byte[] b = RecordBatches.build(records);
    RecordBatches.assignBaseOffset(b, baseOffset);
    return b;
  }

  @Test
  void buffersAreWrittenBackToBackAndClientsReadEveryRecord() {
    byte[] first = batch(0, "a", "b");
    byte[] second = batch(2, "c");
    byte[] third = batch(3, "d", "e", "f");
    // the second batch is a region inside a larger array, as journal reads return them
    byte[] entry = new byte[second.length + 11];
    System.arraycopy(second, 0, entry, 9, second.length);
    List<ByteBuffer> parts =
        List.of(ByteBuffer.wrap(first), ByteBuffer.wrap(entry, 9, second.length).slice(), ByteBuffer.wrap(third));
    var rope = BatchRope.of(parts);
    assertEquals(first.length + second.length + third.length, rope.sizeInBytes());

    for (short version : new short[] {4, 11, 12}) {
      List<String> values = new ArrayList<>();
      List<Long> offsets = new ArrayList<>();
      for (Record r : decodeOneResponse(rope, version).records()) {
        offsets.add(r.offset());
        values.add(UTF_8.decode(r.value()).toString());
      }
      assertEquals(List.of("a", "b", "c", "d", "e", "f"), values, "v" + version);
      assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), offsets, "v" + version);
    }
    // encoding consumed nothing: the rope and its buffers can be encoded again
    assertEquals(9, parts.get(1).arrayOffset());
    assertEquals(second.length, parts.get(1).remaining());
  }

  @Test
  void aSingleBufferIsPlainMemoryRecords() {
    byte[] only = batch(7, "x");
    var records = BatchRope.of(List.of(ByteBuffer.wrap(only)));
    assertInstanceOf(MemoryRecords.class, records);
    RecordBatch b = ((MemoryRecords) records).batches().iterator().next();
    assertEquals(7, b.baseOffset());
  }

  private static MemoryRecords decodeOneResponse(org.apache.kafka.common.record.internal.BaseRecords records, short version) {
    FetchResponseData body = new FetchResponseData().setSessionId(0);
    FetchResponseData.FetchableTopicResponse topic = new FetchResponseData.FetchableTopicResponse().setTopic("t");
    topic.partitions().add(new FetchResponseData.PartitionData().setPartitionIndex(0).setHighWatermark(6).setRecords(records));
    body.responses().add(topic);
    RequestHeader header = new RequestHeader(ApiKeys.FETCH, version, "test", 42);
    ByteString frame = KafkaApis.encode(header, body);
    ByteBuffer buf = frame.toByteBuffer();
    assertEquals(frame.size() - 4, buf.getInt(), "length prefix");
    assertEquals(42, buf.getInt(), "correlation id");
    if (version >= 12) {
      assertEquals(0, org.apache.kafka.common.utils.ByteUtils.readUnsignedVarint(buf), "no tagged fields (header v1)");
    }
    FetchResponse parsed = FetchResponse.parse(new org.apache.kafka.common.protocol.ByteBufferAccessor(buf), version);
    FetchResponseData.PartitionData pd = parsed.data().responses().get(0).partitions().get(0);
    return (MemoryRecords) pd.records();
  }
}
