package dev.sluice.persistence.batch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.persistence.batch.RecordBatches.BatchInfo;
import dev.sluice.persistence.batch.RecordBatches.InvalidBatchException;
import dev.sluice.persistence.batch.RecordBatches.Problem;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.kafka.common.compress.Compression;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests of the Kafka v2 record batch codec. */
class RecordBatchesTest {
  // The v2 header layout, spelled out here independently of the code under test.
  private static final int BASE_OFFSET = 0;
  private static final int LENGTH = 8;
  private static final int LEADER_EPOCH = 12;
  private static final int MAGIC = 16;
  private static final int CRC = 17;
  private static final int ATTRIBUTES = 21;
  private static final int LAST_OFFSET_DELTA = 23;
  private static final int BASE_TIMESTAMP = 27;
  private static final int MAX_TIMESTAMP = 35;
  private static final int PRODUCER_ID = 43;
  private static final int BASE_SEQUENCE = 53;
  private static final int RECORD_COUNT = 57;
  private static final int RECORDS = 61;
  private static final int COMPRESSION_MASK = 0x07;
  private static final int LOG_APPEND_TIME_FLAG = 0x08;
  private static final int NO_LIMIT = Integer.MAX_VALUE;

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  /** Records covering null/empty/non-null keys and values, headers, and out-of-order timestamps. */
  private static List<LogRecord> mixedRecords() {
    return List.of(
        LogRecord.of(1_700_000_000_000L, bytes("key-1"), bytes("value-1")),
        LogRecord.of(1_700_000_000_500L, null, bytes("value without key")),
        LogRecord.of(1_699_999_999_000L, bytes("key without value"), null), // older than the first
        LogRecord.of(1_700_000_009_999L, null, null),
        LogRecord.of(1_700_000_001_000L, new byte[0], new byte[0]),
        LogRecord.of(
            1_700_000_002_000L,
            bytes("with headers"),
            bytes("v"),
            List.of(
                new LogRecord.Header("trace", bytes("abc")),
                new LogRecord.Header("trace", bytes("def")), // duplicate key
                new LogRecord.Header("nothing", null), // null value
                new LogRecord.Header("empty", new byte[0]),
                new LogRecord.Header("ünïcode ✓", bytes("ö")))));
  }

  private static long maxTimestampOf(List<LogRecord> records) {
    return records.stream().mapToLong(LogRecord::timestamp).max().orElseThrow();
  }

  /** The records as decode() should return them from a batch whose base offset is {@code base}. */
  private static List<LogRecord> withOffsets(List<LogRecord> records, long base) {
    List<LogRecord> out = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      LogRecord r = records.get(i);
      out.add(new LogRecord(base + i, r.timestamp(), r.key(), r.value(), r.headers()));
    }
    return out;
  }

  private static void assertRecords(List<LogRecord> expected, List<LogRecord> actual) {
    assertEquals(expected.size(), actual.size(), "number of records decoded");
    for (int i = 0; i < expected.size(); i++) {
      LogRecord e = expected.get(i);
      LogRecord a = actual.get(i);
      assertEquals(e.offset(), a.offset(), "offset of record " + i);
      assertEquals(e.timestamp(), a.timestamp(), "timestamp of record " + i);
      assertArrayEquals(e.key(), a.key(), "key of record " + i + " (null must stay null, empty stay empty)");
      assertArrayEquals(e.value(), a.value(), "value of record " + i + " (null must stay null, empty stay empty)");
      assertEquals(e.headers(), a.headers(), "headers of record " + i + " (order, duplicates, null values)");
      assertEquals(e, a, "record " + i);
    }
  }

  private static Problem problemOf(byte[] batch, int maxBytes) {
    return assertThrows(InvalidBatchException.class, () -> RecordBatches.validate(batch, maxBytes), "validate()")
        .problem();
  }

  private static InvalidBatchException rejection(byte[] batch) {
    return assertThrows(InvalidBatchException.class, () -> RecordBatches.validate(batch, NO_LIMIT), "validate()");
  }

  private static byte[] validBatch() {
    return RecordBatches.build(mixedRecords());
  }

  @Test
  void buildValidateDecodeRoundTrip() {
    List<LogRecord> records = mixedRecords();
    byte[] batch = RecordBatches.build(records);

    BatchInfo info = RecordBatches.validate(batch, batch.length);

    assertEquals(batch.length, info.sizeInBytes(), "sizeInBytes");
    assertEquals(records.size(), info.recordCount(), "recordCount");
    assertEquals(maxTimestampOf(records), info.maxTimestamp(), "maxTimestamp must be the largest, not the last");
    assertEquals(-1L, info.producerId(), "producerId of a non-idempotent batch");
    assertEquals((short) -1, info.producerEpoch(), "producerEpoch of a non-idempotent batch");
    assertEquals(-1, info.baseSequence(), "baseSequence of a non-idempotent batch");
    assertFalse(info.compressed(), "build(records) must not compress");
    assertEquals(0L, RecordBatches.baseOffset(batch), "base offset of a freshly built batch");
    assertEquals(records.size(), RecordBatches.recordCount(batch), "recordCount()");
    assertEquals(maxTimestampOf(records), RecordBatches.maxTimestamp(batch), "maxTimestamp()");
    assertRecords(withOffsets(records, 0), RecordBatches.decode(batch));
  }

  @Test
  void nextOffsetAfterIsPastTheLastRecordOfTheLastBatch() {
    byte[] first = RecordBatches.build(List.of(LogRecord.of(1, null, new byte[10]), LogRecord.of(2, null, new byte[10])));
    byte[] second = RecordBatches.build(List.of(LogRecord.of(3, null, new byte[10]), LogRecord.of(4, null, new byte[10]), LogRecord.of(5, null, new byte[10])));
    RecordBatches.assignBaseOffset(first, 40);
    RecordBatches.assignBaseOffset(second, 42);
    assertEquals(42, RecordBatches.nextOffsetAfter(ByteBuffer.wrap(first)));
    ByteBuffer both = ByteBuffer.allocate(7 + first.length + second.length);
    both.put(new byte[7]).put(first).put(second).flip().position(7); // read from its position on
    assertEquals(45, RecordBatches.nextOffsetAfter(both));
    assertEquals(7, both.position(), "the buffer is left as it was");
    assertThrows(IllegalArgumentException.class, () -> RecordBatches.nextOffsetAfter(ByteBuffer.allocate(0)));
  }

  @Test
  void buildRejectsAnEmptyList() {
    assertThrows(IllegalArgumentException.class, () -> RecordBatches.build(List.of()));
  }

  @Test
  void buildGrowsBeyondItsSizeEstimate() {
    // Many tiny records with far-apart timestamps need more varint bytes than the estimate allows for.
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      long ts = i % 2 == 0 ? 0L : Long.MAX_VALUE / 4;
      records.add(
          LogRecord.of(
              ts, null, new byte[i % 7],
              List.of(new LogRecord.Header("h" + i, null), new LogRecord.Header("h", new byte[1]))));
    }
    records.add(LogRecord.of(5L, new byte[300_000], new byte[300_000]));

    byte[] batch = RecordBatches.build(records);

    assertEquals(records.size(), RecordBatches.validate(batch, NO_LIMIT).recordCount());
    assertRecords(withOffsets(records, 0), RecordBatches.decode(batch));
  }

  static Stream<Arguments> compressions() {
    return Stream.of(
        Arguments.of("none", Compression.NONE),
        Arguments.of("gzip", Compression.gzip().build()),
        Arguments.of("snappy", Compression.snappy().build()),
        Arguments.of("lz4", Compression.lz4().build()),
        Arguments.of("zstd", Compression.zstd().build()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("compressions")
  void everyCompressionTypeValidatesAndDecodesToTheSameRecords(String name, Compression compression) {
    List<LogRecord> records = new ArrayList<>(mixedRecords());
    byte[] compressible = new byte[4096];
    Arrays.fill(compressible, (byte) 'x');
    for (int i = 0; i < 20; i++) {
      records.add(LogRecord.of(1_700_000_003_000L + i, bytes("k" + i), compressible));
    }
    byte[] uncompressed = RecordBatches.build(records);

    byte[] batch = RecordBatches.build(records, compression);

    boolean compressed = compression.type() != Compression.NONE.type();
    assertEquals(
        compression.type().id, batch[ATTRIBUTES + 1] & COMPRESSION_MASK,
        "compression type in the batch attributes");
    if (compressed) {
      assertTrue(
          batch.length < uncompressed.length / 4,
          name + " batch of " + batch.length + " bytes is not compressed (uncompressed: " + uncompressed.length + ")");
    }
    BatchInfo info = RecordBatches.validate(batch, NO_LIMIT);
    assertEquals(compressed, info.compressed(), "BatchInfo.compressed");
    assertEquals(records.size(), info.recordCount(), "recordCount");
    assertEquals(maxTimestampOf(records), info.maxTimestamp(), "maxTimestamp");

    RecordBatches.assignBaseOffset(batch, 5000);
    RecordBatches.validate(batch, NO_LIMIT);
    assertRecords(withOffsets(records, 5000), RecordBatches.decode(batch));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 12, 60})
  void rejectsBatchesShorterThanTheHeaderAsCorrupt(int length) {
    byte[] batch = Arrays.copyOf(validBatch(), length);
    assertEquals(RecordBatches.HEADER_SIZE, RECORDS, "test setup: header size");

    InvalidBatchException e = rejection(batch);
    assertEquals(Problem.CORRUPT, e.problem(), e.getMessage());
    assertTrue(e.getMessage().contains("shorter than the v2 header"), e.getMessage());
  }

  @Test
  void rejectsNullAsCorrupt() {
    assertEquals(Problem.CORRUPT, problemOf(null, NO_LIMIT));
  }

  @ParameterizedTest
  @ValueSource(bytes = {0, 1, 3, -1})
  void rejectsOtherMagicValuesAsCorrupt(byte magic) {
    byte[] batch = validBatch();
    batch[MAGIC] = magic;

    InvalidBatchException e = rejection(batch);
    assertEquals(Problem.CORRUPT, e.problem(), e.getMessage());
    assertTrue(e.getMessage().contains("magic is " + magic), "message should give the magic: " + e.getMessage());
  }

  /** Byte positions covered by the CRC, other than the count fields validate() checks earlier. */
  static Stream<Arguments> crcCoveredPositions() {
    int length = validBatch().length;
    return Stream.of(
        Arguments.of("attributes", ATTRIBUTES + 1),
        Arguments.of("baseTimestamp", BASE_TIMESTAMP + 7),
        Arguments.of("maxTimestamp", MAX_TIMESTAMP + 7),
        Arguments.of("producerId", PRODUCER_ID + 3),
        Arguments.of("baseSequence", BASE_SEQUENCE + 3),
        Arguments.of("first record byte", RECORDS),
        Arguments.of("middle record byte", (RECORDS + length) / 2),
        Arguments.of("last record byte", length - 1));
  }

  @ParameterizedTest(name = "{0} (byte {1})")
  @MethodSource("crcCoveredPositions")
  void rejectsAnyChangeCoveredByTheCrcAsCorrupt(String what, int position) {
    byte[] batch = validBatch();
    batch[position] ^= 0x10;

    InvalidBatchException e = rejection(batch);
    assertEquals(Problem.CORRUPT, e.problem(), "changed " + what + ": " + e.getMessage());
    assertTrue(e.getMessage().contains("CRC"), "message should blame the CRC: " + e.getMessage());
  }

  @Test
  void rejectsACorruptedCrcField() {
    byte[] batch = validBatch();
    batch[CRC + 2] ^= 0x01;

    assertEquals(Problem.CORRUPT, problemOf(batch, NO_LIMIT));
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "0, 42", "9223372036854775807, 0", "123456789, 7"})
  void baseOffsetAndLeaderEpochAreOutsideTheCrc(long baseOffset, int leaderEpoch) {
    byte[] batch = validBatch();
    ByteBuffer.wrap(batch).putLong(BASE_OFFSET, baseOffset).putInt(LEADER_EPOCH, leaderEpoch);

    RecordBatches.validate(batch, NO_LIMIT);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 10, 40})
  void rejectsTruncatedBatchesAsCorrupt(int missing) {
    byte[] full = validBatch();
    byte[] batch = Arrays.copyOf(full, full.length - missing);
    assertTrue(batch.length >= RecordBatches.HEADER_SIZE, "test setup: keep the header");

    InvalidBatchException e = rejection(batch);
    assertEquals(Problem.CORRUPT, e.problem(), e.getMessage());
    assertTrue(
        e.getMessage().contains(full.length + " bytes but " + batch.length),
        "message should give both sizes: " + e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 8, 100})
  void rejectsTrailingBytesAsNotOneBatch(int extra) {
    byte[] batch = Arrays.copyOf(validBatch(), validBatch().length + extra);

    InvalidBatchException e = rejection(batch);
    assertEquals(Problem.NOT_ONE_BATCH, e.problem(), e.getMessage());
  }

  @Test
  void rejectsTwoConcatenatedBatchesAsNotOneBatch() {
    byte[] one = validBatch();
    byte[] two = Arrays.copyOf(one, one.length * 2);
    System.arraycopy(one, 0, two, one.length, one.length);

    assertEquals(Problem.NOT_ONE_BATCH, problemOf(two, NO_LIMIT));
  }

  /**
   * A header claiming no (or a negative number of) records. The CRC is left stale on purpose:
   * validate() checks the count before the CRC, so the documented EMPTY is what comes out.
   */
  @ParameterizedTest(name = "recordCount={0}, lastOffsetDelta={1}")
  @CsvSource({"0, -1", "0, 5", "-1, -2", "-2147483648, 0"})
  void rejectsBatchesWithoutRecordsAsEmpty(int count, int lastOffsetDelta) {
    byte[] batch = validBatch();
    ByteBuffer.wrap(batch).putInt(RECORD_COUNT, count).putInt(LAST_OFFSET_DELTA, lastOffsetDelta);

    InvalidBatchException e = rejection(batch);
    assertEquals(Problem.EMPTY, e.problem(), e.getMessage());
  }

  @ParameterizedTest(name = "recordCount={0}, lastOffsetDelta={1}")
  @CsvSource({"6, 4", "6, 6", "1, 5", "7, 6"})
  void rejectsACountInconsistentWithLastOffsetDeltaAsCorrupt(int count, int lastOffsetDelta) {
    byte[] batch = validBatch();
    ByteBuffer.wrap(batch).putInt(RECORD_COUNT, count).putInt(LAST_OFFSET_DELTA, lastOffsetDelta);

    InvalidBatchException e = rejection(batch);
    assertEquals(Problem.CORRUPT, e.problem(), e.getMessage());
  }

  @Test
  void rejectsAConsistentButAlteredCountThroughTheCrc() {
    byte[] batch = validBatch(); // 6 records
    ByteBuffer.wrap(batch).putInt(RECORD_COUNT, 5).putInt(LAST_OFFSET_DELTA, 4);

    InvalidBatchException e = rejection(batch);
    assertEquals(Problem.CORRUPT, e.problem(), e.getMessage());
    assertTrue(e.getMessage().contains("CRC"), e.getMessage());
  }

  @ParameterizedTest(name = "maxBytes = size {0}")
  @CsvSource({"-1, TOO_LARGE", "-1000, TOO_LARGE", "0, ", "1, "})
  void rejectsBatchesLargerThanMaxBytes(int delta, Problem expected) {
    byte[] batch = validBatch();
    int maxBytes = batch.length + delta;
    if (expected == null) {
      assertEquals(batch.length, RecordBatches.validate(batch, maxBytes).sizeInBytes(), "at the limit");
    } else {
      InvalidBatchException e = rejection(batch, maxBytes);
      assertEquals(expected, e.problem(), e.getMessage());
      assertTrue(
          e.getMessage().contains("max.message.bytes=" + maxBytes),
          "message should name the limit: " + e.getMessage());
    }
  }

  private static InvalidBatchException rejection(byte[] batch, int maxBytes) {
    return assertThrows(InvalidBatchException.class, () -> RecordBatches.validate(batch, maxBytes), "validate()");
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, 1L, 1000L, 2_147_483_648L, 1L << 40})
  void assignBaseOffsetKeepsTheCrcValidAndShiftsOffsets(long baseOffset) {
    List<LogRecord> records = mixedRecords();
    byte[] batch = RecordBatches.build(records);
    byte[] before = batch.clone();

    RecordBatches.assignBaseOffset(batch, baseOffset);

    assertEquals(baseOffset, RecordBatches.baseOffset(batch), "baseOffset()");
    assertArrayEquals(
        Arrays.copyOfRange(before, LENGTH, before.length), Arrays.copyOfRange(batch, LENGTH, batch.length),
        "assignBaseOffset must only touch the base offset field");
    RecordBatches.validate(batch, NO_LIMIT);
    assertRecords(withOffsets(records, baseOffset), RecordBatches.decode(batch));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("compressions")
  void stampLogAppendTimeKeepsTheBatchValidAndSetsTheMaxTimestamp(String name, Compression compression) {
    List<LogRecord> records = mixedRecords();
    byte[] batch = RecordBatches.build(records, compression);
    RecordBatches.assignBaseOffset(batch, 77);
    long appendTime = 1_800_000_000_000L;

    RecordBatches.stampLogAppendTime(batch, appendTime);

    assertTrue((batch[ATTRIBUTES + 1] & LOG_APPEND_TIME_FLAG) != 0, "timestamp type must be LogAppendTime");
    assertEquals(appendTime, RecordBatches.maxTimestamp(batch), "maxTimestamp()");
    BatchInfo info = RecordBatches.validate(batch, NO_LIMIT); // CRC recomputed
    assertEquals(appendTime, info.maxTimestamp(), "validated maxTimestamp");
    assertEquals(77L, RecordBatches.baseOffset(batch), "stamping must keep the base offset");
    List<LogRecord> decoded = RecordBatches.decode(batch);
    assertEquals(records.size(), decoded.size(), "records after stamping");
    for (int i = 0; i < decoded.size(); i++) {
      LogRecord r = decoded.get(i);
      assertEquals(appendTime, r.timestamp(), "with LogAppendTime every record reads the append time (record " + i + ")");
      assertEquals(77L + i, r.offset(), "offset of record " + i);
      assertArrayEquals(records.get(i).value(), r.value(), "value of record " + i);
    }
  }
}
