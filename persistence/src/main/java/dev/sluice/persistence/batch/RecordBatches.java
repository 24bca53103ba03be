package dev.sluice.persistence.batch;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

/**
 * Codec for Kafka v2 record batches, the unit a partition stores: builds them from
 * {@link LogRecord}s, validates what producers send, stamps offsets, and decodes them back.
 *
 * <p>The v2 batch header (Kafka's {@code DefaultRecordBatch}), all big-endian:
 * <pre>
 *   0 baseOffset:i64 | 8 length:i32 | 12 partitionLeaderEpoch:i32 | 16 magic:i8 | 17 crc:u32
 *  21 attributes:i16 | 23 lastOffsetDelta:i32 | 27 baseTimestamp:i64 | 35 maxTimestamp:i64
 *  43 producerId:i64 | 51 producerEpoch:i16 | 53 baseSequence:i32 | 57 recordCount:i32 | 61 records...
 * </pre>
 * The CRC covers bytes 21.. only, so stamping the base offset (and the leader epoch) never
 * invalidates it: a stored batch is exactly what the producer sent, with its offsets assigned.
 *
 * <p>Stateless and thread-safe.
 */
public final class RecordBatches {
  /** Size of the v2 batch header in bytes. */
  public static final int HEADER_SIZE = DefaultRecordBatch.RECORD_BATCH_OVERHEAD;

  private static final int BASE_OFFSET_OFFSET = 0;
  private static final int LENGTH_OFFSET = 8;
  private static final int MAGIC_OFFSET = 16;
  private static final int MAX_TIMESTAMP_OFFSET = 35;
  private static final int PRODUCER_ID_OFFSET = 43;
  private static final int PRODUCER_EPOCH_OFFSET = 51;
  private static final int BASE_SEQUENCE_OFFSET = 53;
  private static final int RECORDS_COUNT_OFFSET = DefaultRecordBatch.RECORDS_COUNT_OFFSET;
  private static final int LAST_OFFSET_DELTA_OFFSET = DefaultRecordBatch.LAST_OFFSET_DELTA_OFFSET;

  private RecordBatches() {}

  /** Why a batch was refused; maps one to one onto Kafka error codes at the gateway. */
  public enum Problem {
    /** Truncated, wrong magic, CRC mismatch, inconsistent header: Kafka's CORRUPT_MESSAGE. */
    CORRUPT,
    /** A batch without records: Kafka's INVALID_RECORD. */
    EMPTY,
    /** More than one batch where exactly one is expected: Kafka's INVALID_RECORD. */
    NOT_ONE_BATCH,
    /** Larger than the topic's max.message.bytes: Kafka's MESSAGE_TOO_LARGE. */
    TOO_LARGE
  }

  /** Thrown by {@link #validate} with the problem and a message that says what is wrong. */
  public static final class InvalidBatchException extends RuntimeException {
    private final Problem problem;

    public InvalidBatchException(Problem problem, String message) {
      super(message);
      this.problem = problem;
    }

    public Problem problem() {
      return problem;
    }
  }

  /** Header facts of a validated batch. */
  public record BatchInfo(
      int sizeInBytes,
      int recordCount,
      long maxTimestamp,
      long producerId,
      short producerEpoch,
      int baseSequence,
      boolean compressed) {}

  /**
   * Builds one uncompressed v2 batch (CreateTime timestamps, base offset 0) from the records.
   *
   * @throws IllegalArgumentException if {@code records} is empty
   */
  public static byte[] build(List<LogRecord> records) {
    return build(records, Compression.NONE);
  }

  /** Builds one v2 batch with the given compression. */
  public static byte[] build(List<LogRecord> records, Compression compression) {
    if (records.isEmpty()) {
      throw new IllegalArgumentException("a record batch needs at least one record");
    }
    int estimate = HEADER_SIZE;
    for (LogRecord r : records) {
      estimate += 32 + len(r.key()) + len(r.value());
      for (LogRecord.Header h : r.headers()) {
        estimate += 8 + h.key().length() * 3 + len(h.value());
      }
    }
    ByteBuffer buf = ByteBuffer.allocate(estimate);
    try (MemoryRecordsBuilder b = MemoryRecords.builder(buf, compression, TimestampType.CREATE_TIME, 0L)) {
      for (LogRecord r : records) {
        org.apache.kafka.common.header.Header[] headers = new org.apache.kafka.common.header.Header[r.headers().size()];
        for (int i = 0; i < headers.length; i++) {
          LogRecord.Header h = r.headers().get(i);
          headers[i] = new RecordHeader(h.key(), h.value());
        }
        b.append(r.timestamp(), r.key(), r.value(), headers);
      }
      ByteBuffer out = b.build().buffer();
      byte[] bytes = new byte[out.remaining()];
      out.get(bytes);
      return bytes;
    }
  }

  private static int len(byte[] b) {
    return b == null ? 0 : b.length;
  }

  /**
   * Checks that {@code batch} is exactly one well-formed v2 batch: complete, magic 2, a header
   * consistent with its length, at least one record, and a matching CRC.
   *
   * @throws InvalidBatchException saying what is wrong
   */
  public static BatchInfo validate(byte[] batch, int maxBytes) {
    if (batch == null || batch.length < HEADER_SIZE) {
      throw new InvalidBatchException(
          Problem.CORRUPT, "record batch of " + (batch == null ? 0 : batch.length) + " bytes is shorter than the v2 header (" + HEADER_SIZE + ")");
    }
    ByteBuffer buf = ByteBuffer.wrap(batch);
    byte magic = buf.get(MAGIC_OFFSET);
    if (magic != RecordBatch.MAGIC_VALUE_V2) {
      throw new InvalidBatchException(Problem.CORRUPT, "record batch magic is " + magic + ", only v2 batches are stored");
    }
    int size = buf.getInt(LENGTH_OFFSET) + LENGTH_OFFSET + 4;
    if (size != batch.length) {
      throw new InvalidBatchException(
          size < batch.length ? Problem.NOT_ONE_BATCH : Problem.CORRUPT,
          "record batch header says " + size + " bytes but " + batch.length + " were sent");
    }
    if (batch.length > maxBytes) {
      throw new InvalidBatchException(
          Problem.TOO_LARGE, "record batch of " + batch.length + " bytes exceeds max.message.bytes=" + maxBytes);
    }
    int count = buf.getInt(RECORDS_COUNT_OFFSET);
    if (count <= 0) {
      throw new InvalidBatchException(Problem.EMPTY, "record batch has no records");
    }
    if (buf.getInt(LAST_OFFSET_DELTA_OFFSET) != count - 1) {
      throw new InvalidBatchException(
          Problem.CORRUPT,
          "record batch has " + count + " records but lastOffsetDelta " + buf.getInt(LAST_OFFSET_DELTA_OFFSET));
    }
    MutableRecordBatch parsed = single(buf);
    if (!parsed.isValid()) {
      throw new InvalidBatchException(
          Problem.CORRUPT, "record batch CRC mismatch (stored " + parsed.checksum() + ")");
    }
    checkRecords(parsed, count);
    boolean compressed = parsed.compressionType() != CompressionType.NONE;
    return new BatchInfo(
        batch.length,
        count,
        buf.getLong(MAX_TIMESTAMP_OFFSET),
        buf.getLong(PRODUCER_ID_OFFSET),
        buf.getShort(PRODUCER_EPOCH_OFFSET),
        buf.getInt(BASE_SEQUENCE_OFFSET),
        compressed);
  }

  /**
   * Walks the records (decompressing if needed, skipping key and value bodies): the batch must
   * hold exactly {@code count} records with offset deltas 0, 1, 2, ... — what Kafka's broker
   * checks too, so a batch that cannot be read back is never stored.
   */
  private static void checkRecords(MutableRecordBatch batch, int count) {
    int seen = 0;
    try (CloseableIterator<Record> it = batch.skipKeyValueIterator(BufferSupplier.NO_CACHING)) {
      while (it.hasNext()) {
        Record r = it.next();
        if (r.offset() != batch.baseOffset() + seen) {
          throw new InvalidBatchException(
              Problem.CORRUPT, "record " + seen + " of the batch has offset delta " + (r.offset() - batch.baseOffset()));
        }
        seen++;
      }
    } catch (InvalidBatchException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new InvalidBatchException(Problem.CORRUPT, "record batch cannot be read: " + e.getMessage());
    }
    if (seen != count) {
      throw new InvalidBatchException(Problem.CORRUPT, "record batch declares " + count + " records but holds " + seen);
    }
  }

  private static MutableRecordBatch single(ByteBuffer buf) {
    Iterator<MutableRecordBatch> it = MemoryRecords.readableRecords(buf.duplicate()).batches().iterator();
    if (!it.hasNext()) {
      throw new InvalidBatchException(Problem.CORRUPT, "no complete record batch in " + buf.remaining() + " bytes");
    }
    return it.next();
  }

  /** Stamps the batch's base offset in place (the CRC does not cover it). */
  public static void assignBaseOffset(byte[] batch, long baseOffset) {
    ByteBuffer.wrap(batch).putLong(BASE_OFFSET_OFFSET, baseOffset);
  }

  /**
   * Sets LogAppendTime as the batch's timestamp type with {@code appendTime} as its max
   * timestamp, in place (this changes the attributes, so the CRC is recomputed).
   */
  public static void stampLogAppendTime(byte[] batch, long appendTime) {
    single(ByteBuffer.wrap(batch)).setMaxTimestamp(TimestampType.LOG_APPEND_TIME, appendTime);
  }

  public static long baseOffset(byte[] batch) {
    return ByteBuffer.wrap(batch).getLong(BASE_OFFSET_OFFSET);
  }

  /** The base offset of the batch that starts at {@code batch}'s position. */
  public static long baseOffset(ByteBuffer batch) {
    return batch.getLong(batch.position() + BASE_OFFSET_OFFSET);
  }

  /**
   * The offset after the last record of the batches stored back to back in {@code batches},
   * between its position and limit (whole v2 batches, as a fetch serves them).
   */
  public static long nextOffsetAfter(ByteBuffer batches) {
    long next = -1;
    for (MutableRecordBatch b : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
      next = b.nextOffset();
    }
    if (next < 0) {
      throw new IllegalArgumentException("no whole record batch between position " + batches.position() + " and limit " + batches.limit());
    }
    return next;
  }

  public static long producerId(byte[] batch) {
    return ByteBuffer.wrap(batch).getLong(PRODUCER_ID_OFFSET);
  }

  public static short producerEpoch(byte[] batch) {
    return ByteBuffer.wrap(batch).getShort(PRODUCER_EPOCH_OFFSET);
  }

  public static int baseSequence(byte[] batch) {
    return ByteBuffer.wrap(batch).getInt(BASE_SEQUENCE_OFFSET);
  }

  public static int recordCount(byte[] batch) {
    return ByteBuffer.wrap(batch).getInt(RECORDS_COUNT_OFFSET);
  }

  /** The record count of the batch that starts at {@code batch}'s position. */
  public static int recordCount(ByteBuffer batch) {
    return batch.getInt(batch.position() + RECORDS_COUNT_OFFSET);
  }

  /**
   * The last offset of the batch minus its base offset. For a batch as a producer sent it, its
   * record count minus one; a compacted batch keeps it while holding fewer records (or none).
   */
  public static int lastOffsetDelta(byte[] batch) {
    return ByteBuffer.wrap(batch).getInt(LAST_OFFSET_DELTA_OFFSET);
  }

  /**
   * The offset of the first record of the batch that has no key, or -1 if every record has one
   * (a compacted topic refuses records without a key, as Kafka does).
   */
  public static long firstRecordWithoutKey(byte[] batch) {
    MutableRecordBatch parsed = single(ByteBuffer.wrap(batch));
    try (CloseableIterator<Record> it = parsed.streamingIterator(BufferSupplier.NO_CACHING)) {
      while (it.hasNext()) {
        Record r = it.next();
        if (!r.hasKey()) {
          return r.offset();
        }
      }
    }
    return -1;
  }

  public static long maxTimestamp(byte[] batch) {
    return ByteBuffer.wrap(batch).getLong(MAX_TIMESTAMP_OFFSET);
  }

  /** Decodes every record of the batch (decompressing if needed), with absolute offsets. */
  public static List<LogRecord> decode(byte[] batch) {
    return decode(ByteBuffer.wrap(batch));
  }

  /**
   * Decodes every record of the batches between {@code batches}' position and limit (its
   * position is left as it was).
   */
  public static List<LogRecord> decode(ByteBuffer batches) {
    List<LogRecord> out = new ArrayList<>();
    for (MutableRecordBatch b : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
      for (Record r : b) {
        List<LogRecord.Header> headers = new ArrayList<>(r.headers().length);
        for (org.apache.kafka.common.header.Header h : r.headers()) {
          headers.add(new LogRecord.Header(h.key(), h.value()));
        }
        out.add(new LogRecord(r.offset(), r.timestamp(), bytes(r.key()), bytes(r.value()), headers));
      }
    }
    return out;
  }

  private static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return null;
    }
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
