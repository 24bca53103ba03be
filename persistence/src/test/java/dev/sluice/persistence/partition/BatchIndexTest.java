package dev.sluice.persistence.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests of the chunked, immutable offset index. */
class BatchIndexTest {
  private static final int N = 1300; // more than five chunks of BatchIndex.CHUNK (256)
  private static final long FIRST_OFFSET = 1000;

  /**
   * {@code n} contiguous batches from {@code FIRST_OFFSET}: 1..5 records each, growing sizes,
   * journal sequence numbers with gaps (other events in between), and batch timestamps that go
   * back and forth, with {@code maxTimestampSoFar} their running maximum.
   */
  private static List<BatchRef> batches(int n) {
    List<BatchRef> out = new ArrayList<>(n);
    long offset = FIRST_OFFSET;
    long position = 0;
    long soFar = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      BatchRef r = next(offset, position, soFar, i);
      out.add(r);
      offset = r.nextOffset();
      position = r.endPosition();
      soFar = r.maxTimestampSoFar();
    }
    return out;
  }

  private static BatchRef next(long offset, long position, long soFar, int i) {
    int records = 1 + i % 5;
    long timestamp = 1_000_000L + i * 10L + (i % 3 == 0 ? -25 : 0); // every third batch is older
    return new BatchRef(offset, records, 2L * i + 3, 100 + i, timestamp, position, Math.max(soFar, timestamp));
  }

  private static BatchRef following(BatchRef last, int i) {
    return next(last.nextOffset(), last.endPosition(), last.maxTimestampSoFar(), i);
  }

  private static BatchIndex indexOf(List<BatchRef> refs) {
    BatchIndex index = BatchIndex.empty();
    for (BatchRef r : refs) {
      index = index.append(r);
    }
    return index;
  }

  /** Checks every accessor of {@code index} against the plain list it should hold. */
  private static void assertHolds(List<BatchRef> expected, BatchIndex index, String what) {
    assertEquals(expected.size(), index.size(), what + ": size");
    assertEquals(expected.isEmpty(), index.isEmpty(), what + ": isEmpty");
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(expected.get(i), index.get(i), what + ": get(" + i + ")");
    }
    assertEquals(expected, index.entries(), what + ": entries()");
    if (!expected.isEmpty()) {
      assertEquals(expected.get(0), index.first(), what + ": first()");
      assertEquals(expected.get(expected.size() - 1), index.last(), what + ": last()");
      assertEquals(
          index.last().endPosition() - index.first().position(), index.sizeInBytes(), what + ": sizeInBytes");
    } else {
      assertEquals(0, index.sizeInBytes(), what + ": sizeInBytes of an empty index");
    }
    assertThrows(IndexOutOfBoundsException.class, () -> index.get(-1), what + ": get(-1)");
    assertThrows(IndexOutOfBoundsException.class, () -> index.get(expected.size()), what + ": get(size)");
  }

  @Test
  void appendsAcrossSeveralChunkBoundaries() {
    List<BatchRef> refs = batches(N);
    BatchIndex index = BatchIndex.empty();
    for (int i = 0; i < N; i++) {
      index = index.append(refs.get(i));
      assertEquals(i + 1, index.size(), "size after " + (i + 1) + " appends");
      assertEquals(refs.get(i), index.last(), "last() after appending batch " + i);
    }

    assertHolds(refs, index, "index of " + N);
    assertEquals(refs, BatchIndex.of(refs).entries(), "BatchIndex.of(entries)");
  }

  @Test
  void emptyIndex() {
    BatchIndex empty = BatchIndex.empty();
    assertHolds(List.of(), empty, "empty index");
    assertEquals(-1, empty.indexOf(0), "indexOf in an empty index");
    assertEquals(-1, empty.indexOfTimestamp(0), "indexOfTimestamp in an empty index");
    assertThrows(IndexOutOfBoundsException.class, empty::first, "first() of an empty index");
  }

  @Test
  void indexOfFindsTheBatchHoldingTheFirstMiddleAndLastOffsetOfEveryBatch() {
    List<BatchRef> refs = batches(N);
    BatchIndex index = indexOf(refs);

    for (int i = 0; i < N; i++) {
      BatchRef r = refs.get(i);
      assertEquals(i, index.indexOf(r.baseOffset()), "indexOf(base offset of batch " + i + ")");
      assertEquals(i, index.indexOf(r.baseOffset() + r.recordCount() / 2), "indexOf(middle offset of batch " + i + ")");
      assertEquals(i, index.indexOf(r.lastOffset()), "indexOf(last offset of batch " + i + ")");
    }
  }

  @ParameterizedTest
  @ValueSource(longs = {Long.MIN_VALUE, -1, 0, FIRST_OFFSET - 1})
  void indexOfBelowTheRangeIsTheFirstBatch(long offset) {
    assertEquals(0, indexOf(batches(N)).indexOf(offset), "indexOf(" + offset + ") below the first offset");
  }

  @Test
  void indexOfAboveTheRangeIsMinusOne() {
    BatchIndex index = indexOf(batches(N));
    long next = index.last().nextOffset();
    assertEquals(-1, index.indexOf(next), "indexOf(next offset)");
    assertEquals(-1, index.indexOf(next + 1000), "indexOf(far past the end)");
    assertEquals(-1, index.indexOf(Long.MAX_VALUE), "indexOf(Long.MAX_VALUE)");
  }

  @Test
  void indexOfTimestampUsesTheMonotonicMaxSoFar() {
    // batch max timestamps 10, 50, 30, 60 -> so far 10, 50, 50, 60
    BatchIndex index =
        BatchIndex.empty()
            .append(new BatchRef(0, 1, 1, 10, 10, 0, 10))
            .append(new BatchRef(1, 1, 2, 10, 50, 10, 50))
            .append(new BatchRef(2, 1, 3, 10, 30, 20, 50))
            .append(new BatchRef(3, 1, 4, 10, 60, 30, 60));

    assertEquals(0, index.indexOfTimestamp(Long.MIN_VALUE), "before everything");
    assertEquals(0, index.indexOfTimestamp(10), "exactly the first batch's timestamp");
    assertEquals(1, index.indexOfTimestamp(11), "just after the first batch");
    assertEquals(
        1, index.indexOfTimestamp(30),
        "30: batch 1 (max 50) is the first holding a record at or after 30, not batch 2 (max 30)");
    assertEquals(1, index.indexOfTimestamp(50), "exactly batch 1's max");
    assertEquals(3, index.indexOfTimestamp(51), "after 50 only batch 3 qualifies");
    assertEquals(3, index.indexOfTimestamp(60), "exactly the last max");
    assertEquals(-1, index.indexOfTimestamp(61), "after every timestamp");
  }

  @Test
  void indexOfTimestampAgreesWithALinearScanAcrossChunks() {
    List<BatchRef> refs = batches(N);
    BatchIndex index = indexOf(refs);
    List<Long> probes = new ArrayList<>(List.of(Long.MIN_VALUE, 0L, Long.MAX_VALUE));
    for (BatchRef r : refs) {
      probes.add(r.maxTimestamp() - 1);
      probes.add(r.maxTimestamp());
      probes.add(r.maxTimestamp() + 1);
    }
    for (long t : probes) {
      int expected = -1;
      for (int i = 0; i < refs.size(); i++) {
        if (refs.get(i).maxTimestampSoFar() >= t) {
          expected = i;
          break;
        }
      }
      assertEquals(expected, index.indexOfTimestamp(t), "indexOfTimestamp(" + t + ")");
    }
  }

  @Test
  void lastWithinAgreesWithALinearScanAcrossChunksAndAfterADrop() {
    List<BatchRef> refs = batches(N);
    for (int drop : new int[] {0, 300}) {
      List<BatchRef> live = refs.subList(drop, refs.size());
      BatchIndex index = indexOf(refs).dropFirst(drop);
      for (int from : new int[] {0, 1, 255, 256, 600, live.size() - 2, live.size() - 1}) {
        long three = live.subList(from, Math.min(from + 3, live.size())).stream().mapToLong(BatchRef::sizeInBytes).sum();
        for (long maxBytes : new long[] {-1, 0, 99, live.get(from).sizeInBytes(), three - 1, three, 1_000, 20_000, 1L << 40, Long.MAX_VALUE}) {
          int expected = from; // the first batch always, even when it alone is over maxBytes
          long used = live.get(from).sizeInBytes();
          for (int i = from + 1; i < live.size() && used + live.get(i).sizeInBytes() <= maxBytes; i++) {
            used += live.get(i).sizeInBytes();
            expected = i;
          }
          assertEquals(expected, index.lastWithin(from, maxBytes), "drop " + drop + ", lastWithin(" + from + ", " + maxBytes + ")");
        }
      }
    }
  }

  @ParameterizedTest(name = "dropFirst({0})")
  @ValueSource(ints = {1, 2, 255, 256, 257, 511, 512, 700, 1024, 1299})
  void dropFirstKeepsEveryRemainingEntryReachableAndTheOlderVersionUnchanged(int n) {
    List<BatchRef> refs = batches(N);
    BatchIndex full = indexOf(refs);

    BatchIndex dropped = full.dropFirst(n);

    List<BatchRef> rest = refs.subList(n, N);
    assertHolds(rest, dropped, "after dropFirst(" + n + ")");
    for (int i = 0; i < rest.size(); i++) {
      assertEquals(i, dropped.indexOf(rest.get(i).baseOffset()), "indexOf(base of remaining batch " + i + ")");
      assertEquals(i, dropped.indexOf(rest.get(i).lastOffset()), "indexOf(last of remaining batch " + i + ")");
    }
    assertEquals(0, dropped.indexOf(refs.get(0).baseOffset()), "a dropped offset maps to the first remaining batch");
    assertHolds(refs, full, "original after dropFirst(" + n + ")");
  }

  @ParameterizedTest
  @ValueSource(ints = {N, N + 1, Integer.MAX_VALUE})
  void droppingEverythingLeavesAnEmptyIndex(int n) {
    BatchIndex full = indexOf(batches(N));
    assertHolds(List.of(), full.dropFirst(n), "after dropFirst(" + n + ")");
    assertEquals(N, full.size(), "original size");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void droppingNothingReturnsTheSameIndex(int n) {
    BatchIndex full = indexOf(batches(10));
    assertSame(full, full.dropFirst(n), "dropFirst(" + n + ")");
  }

  @Test
  void repeatedDropsAcrossChunksEqualOneDrop() {
    List<BatchRef> refs = batches(N);
    BatchIndex full = indexOf(refs);

    BatchIndex stepwise = full.dropFirst(100).dropFirst(200).dropFirst(300).dropFirst(1);

    assertHolds(refs.subList(601, N), stepwise, "after dropping 100, 200, 300 and 1");
    assertEquals(full.dropFirst(601), stepwise, "equals one dropFirst(601)");
  }

  @ParameterizedTest(name = "dropFirst({0}) then append")
  @ValueSource(ints = {1, 100, 255, 256, 300, 1299})
  void appendAfterDropFirstContinuesTheLog(int n) {
    List<BatchRef> refs = batches(N);
    BatchIndex full = indexOf(refs);
    List<BatchRef> expected = new ArrayList<>(refs.subList(n, N));
    BatchIndex index = full.dropFirst(n);
    List<BatchIndex> versions = new ArrayList<>();
    List<List<BatchRef>> versionContents = new ArrayList<>();

    for (int i = 0; i < 600; i++) { // crosses at least two more chunk boundaries
      BatchRef r = following(expected.get(expected.size() - 1), N + i);
      index = index.append(r);
      expected.add(r);
      if (i % 97 == 0) {
        versions.add(index);
        versionContents.add(List.copyOf(expected));
      }
    }

    assertHolds(expected, index, "after dropFirst(" + n + ") and 600 appends");
    for (int v = 0; v < versions.size(); v++) {
      assertHolds(versionContents.get(v), versions.get(v), "intermediate version " + v);
    }
    assertHolds(refs, full, "the index before dropFirst");
  }

  @ParameterizedTest(name = "branch at size {0}")
  @ValueSource(ints = {1, 100, 255, 256, 257, 512})
  void appendingTwiceToOneVersionGivesIndependentIndexes(int size) {
    List<BatchRef> refs = batches(size);
    BatchIndex base = indexOf(refs);
    BatchRef last = refs.get(size - 1);
    BatchRef small = new BatchRef(last.nextOffset(), 1, 9_001, 10, 1, last.endPosition(), last.maxTimestampSoFar());
    BatchRef large = new BatchRef(last.nextOffset(), 50, 9_002, 99, 2, last.endPosition(), last.maxTimestampSoFar());

    BatchIndex a = base.append(small);
    BatchIndex b = base.append(large);

    assertEquals(small, a.last(), "first branch's last entry was overwritten by the second branch");
    assertEquals(large, b.last(), "second branch's last entry");
    assertHolds(refs, base, "the shared base version");
    assertNotEquals(a, b, "the two branches");
  }

  @Test
  void appendRejectsABatchThatDoesNotFollowTheLast() {
    List<BatchRef> refs = batches(300);
    BatchIndex index = indexOf(refs).dropFirst(10);
    BatchRef last = index.last();

    for (long base : new long[] {last.nextOffset() + 1, last.nextOffset() - 1, last.baseOffset(), 0}) {
      BatchRef wrong = new BatchRef(base, 1, 999, 10, 1, last.endPosition(), last.maxTimestampSoFar());
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> index.append(wrong), "append at offset " + base);
      assertTrue(
          e.getMessage().contains(Long.toString(base)) && e.getMessage().contains(Long.toString(last.lastOffset())),
          "message should give the offending and the last offset: " + e.getMessage());
    }
    assertHolds(refs.subList(10, 300), index, "index after rejected appends");
  }

  @Test
  void anEmptyIndexAcceptsAnyFirstOffset() {
    BatchRef r = new BatchRef(123_456_789L, 3, 1, 10, 1, 0, 1);
    assertEquals(r, BatchIndex.empty().append(r).first());
    assertEquals(r, indexOf(batches(5)).dropFirst(5).append(r).first(), "after dropping everything");
  }

  @Test
  void equalityIsByContentNotByChunkLayout() {
    List<BatchRef> refs = batches(N);
    BatchIndex dropped = indexOf(refs).dropFirst(300); // head in the middle of a chunk
    BatchIndex fresh = indexOf(refs.subList(300, N)); // head at 0

    assertEquals(fresh, dropped, "same entries, different layout");
    assertEquals(fresh.hashCode(), dropped.hashCode(), "hashCode of equal indexes");
    assertNotEquals(fresh, indexOf(refs.subList(301, N)), "one entry fewer");
  }

  @ParameterizedTest(name = "{0} entries, {1} dropped")
  @CsvSource({"0, 0", "1, 0", "300, 0", "1300, 0", "1300, 300", "1300, 1299"})
  void jacksonCborRoundTrip(int size, int drop) throws Exception {
    ObjectMapper mapper = new ObjectMapper(new CBORFactory());
    List<BatchRef> refs = batches(size);
    BatchIndex index = indexOf(refs).dropFirst(drop);

    byte[] cbor = mapper.writeValueAsBytes(index);
    BatchIndex back = mapper.readValue(cbor, BatchIndex.class);

    assertHolds(refs.subList(drop, size), back, "index read back from CBOR");
    assertEquals(index, back, "round trip");
    if (!back.isEmpty()) {
      BatchRef extra = following(back.last(), size);
      assertEquals(extra, back.append(extra).last(), "a deserialized index must accept appends");
    }
  }

  @org.junit.jupiter.api.Test
  void packsAndUnpacksExactlyIncludingAfterADroppedPrefixAndOddValues() {
    List<BatchRef> refs = new java.util.ArrayList<>();
    long pos = 0;
    long maxSoFar = Long.MIN_VALUE;
    java.util.Random random = new java.util.Random(3);
    long offset = 0;
    for (int i = 0; i < 700; i++) {
      int count = 1 + random.nextInt(500);
      int size = 70 + random.nextInt(1 << 20);
      long ts = 1_700_000_000_000L + random.nextInt(1_000_000) - 500_000; // timestamps go back and forth
      maxSoFar = Math.max(maxSoFar, ts);
      refs.add(new BatchRef(offset, count, 2L + i * (1 + random.nextInt(3)), size, ts, pos, maxSoFar));
      offset += count;
      pos += size;
    }
    BatchIndex index = indexOf(refs);
    assertEquals(index, BatchIndex.unpack(index.pack()));
    BatchIndex dropped = index.dropFirst(301);
    assertEquals(dropped, BatchIndex.unpack(dropped.pack()));
    assertEquals(BatchIndex.empty(), BatchIndex.unpack(BatchIndex.empty().pack()));
    // snapshots written before the packed form (a list of entries) still load
    com.fasterxml.jackson.databind.ObjectMapper cbor =
        new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.cbor.CBORFactory());
    try {
      assertEquals(index, cbor.readValue(cbor.writeValueAsBytes(refs), BatchIndex.class));
      assertEquals(dropped, cbor.readValue(cbor.writeValueAsBytes(dropped), BatchIndex.class));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    // a few bytes per batch, not dozens
    org.junit.jupiter.api.Assertions.assertTrue(index.pack().length < 700 * 16, "packed size " + index.pack().length);
  }
}
