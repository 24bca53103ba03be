package dev.sluice.persistence.partition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.batch.RecordBatches;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests of the in-memory cache of a partition's newest batches. */
class RecentBatchesTest {
  private static final int RECORDS_PER_BATCH = 5;
  /** Size of every batch built by {@link #batch(long)}: same records, so the same bytes. */
  private static final int SIZE = batch(0).sizeInBytes();

  /** A real v2 batch of five 100-byte records with its base offset assigned. */
  private static BatchAppended batch(long baseOffset) {
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < RECORDS_PER_BATCH; i++) {
      records.add(LogRecord.of(1_700_000_000_000L + i, null, new byte[100]));
    }
    byte[] bytes = RecordBatches.build(records);
    RecordBatches.assignBaseOffset(bytes, baseOffset);
    return new BatchAppended(1_700_000_000_000L, bytes);
  }

  /** Batches at offsets 0, 5, 10, ... ({@code count} of them). */
  private static List<BatchAppended> batches(int count) {
    List<BatchAppended> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(batch((long) i * RECORDS_PER_BATCH));
    }
    return out;
  }

  private static RecentBatches cacheWith(long maxBytes, List<BatchAppended> batches) {
    RecentBatches cache = new RecentBatches(maxBytes);
    batches.forEach(cache::add);
    return cache;
  }

  private static List<Long> baseOffsets(List<BatchAppended> batches) {
    return batches.stream().map(BatchAppended::baseOffset).toList();
  }

  @Test
  void keepsBatchesWithinTheByteBoundEvictingTheOldestFirst() {
    List<BatchAppended> all = batches(10);
    RecentBatches cache = new RecentBatches(3L * SIZE);

    for (int i = 0; i < all.size(); i++) {
      cache.add(all.get(i));
      int expected = Math.min(i + 1, 3);
      assertEquals(expected, cache.batches(), "batches cached after adding " + (i + 1));
      assertEquals((long) expected * SIZE, cache.bytes(), "bytes cached after adding " + (i + 1));
    }

    assertEquals(List.of(35L, 40L, 45L), baseOffsets(cache.from(35, Integer.MAX_VALUE)), "the three newest remain");
    assertNull(cache.from(34, Integer.MAX_VALUE), "offset 34 lives in an evicted batch");
    assertNull(cache.from(0, Integer.MAX_VALUE), "the oldest batch must have been evicted first");
  }

  @ParameterizedTest(name = "maxBytes = 3 batches + ({0}) bytes")
  @CsvSource({"0, 3", "-1, 2", "1, 3", "-1000000, 1"})
  void evictsOnlyBeyondTheBound(long delta, int expectedBatches) {
    RecentBatches cache = cacheWith(3L * SIZE + delta, batches(6));

    assertEquals(expectedBatches, cache.batches(), "batches kept under maxBytes = 3 * " + SIZE + " + " + delta);
    assertEquals((long) expectedBatches * SIZE, cache.bytes(), "bytes accounted");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1, 100})
  void alwaysKeepsTheNewestBatchEvenIfItAloneExceedsTheBound(long maxBytes) {
    RecentBatches cache = new RecentBatches(maxBytes);
    for (BatchAppended b : batches(4)) {
      cache.add(b);
      assertEquals(1, cache.batches(), "batches cached with maxBytes " + maxBytes);
      assertEquals(SIZE, cache.bytes(), "bytes cached with maxBytes " + maxBytes);
      List<BatchAppended> newest = cache.from(b.baseOffset(), Integer.MAX_VALUE);
      assertNotNull(newest, "the newest batch at " + b.baseOffset() + " must be cached");
      assertEquals(b, newest.get(0), "the cached batch must be the newest");
    }
  }

  @Test
  void fromReturnsNullWhenTheBatchIsNotCached() {
    assertNull(new RecentBatches(1 << 20).from(0, Integer.MAX_VALUE), "empty cache");

    RecentBatches cache = cacheWith(2L * SIZE, batches(4)); // keeps 10..19
    assertNull(cache.from(9, Integer.MAX_VALUE), "below the oldest cached batch");
    assertNull(cache.from(20, Integer.MAX_VALUE), "at the next offset, not written yet");
    assertNull(cache.from(1000, Integer.MAX_VALUE), "far beyond the newest batch");
    assertNull(cache.from(-1, Integer.MAX_VALUE), "negative offset");
  }

  @ParameterizedTest(name = "from({0}) starts at the batch at {1}")
  @CsvSource({"0, 0", "3, 0", "4, 0", "5, 5", "7, 5", "9, 5", "10, 10", "19, 15"})
  void fromStartsAtTheBatchContainingTheOffset(long offset, long expectedBase) {
    RecentBatches cache = cacheWith(Long.MAX_VALUE, batches(4));

    List<BatchAppended> out = cache.from(offset, Integer.MAX_VALUE);

    assertNotNull(out, "offset " + offset + " is cached");
    List<Long> expected = new ArrayList<>();
    for (long base = expectedBase; base < 20; base += RECORDS_PER_BATCH) {
      expected.add(base);
    }
    assertEquals(expected, baseOffsets(out), "batches returned from offset " + offset);
  }

  @ParameterizedTest(name = "maxBytes {0} -> {1} batches")
  @CsvSource({
    "0, 1", "1, 1", "SIZE, 1", "SIZE+1, 1", "2SIZE-1, 1", "2SIZE, 2", "2SIZE+1, 2", "3SIZE, 3", "MAX, 4"
  })
  void fromRespectsMaxBytesButAlwaysReturnsTheFirstBatch(String maxBytesExpr, int expectedBatches) {
    int maxBytes =
        switch (maxBytesExpr) {
          case "SIZE" -> SIZE;
          case "SIZE+1" -> SIZE + 1;
          case "2SIZE-1" -> 2 * SIZE - 1;
          case "2SIZE" -> 2 * SIZE;
          case "2SIZE+1" -> 2 * SIZE + 1;
          case "3SIZE" -> 3 * SIZE;
          case "MAX" -> Integer.MAX_VALUE;
          default -> Integer.parseInt(maxBytesExpr);
        };
    RecentBatches cache = cacheWith(Long.MAX_VALUE, batches(4));

    List<BatchAppended> out = cache.from(2, maxBytes);

    assertNotNull(out, "offset 2 is cached");
    assertEquals(expectedBatches, out.size(), "batches returned with maxBytes " + maxBytes + " (batch size " + SIZE + ")");
    assertEquals(0L, out.get(0).baseOffset(), "the first batch is the one containing offset 2");
  }

  @Test
  void evictBelowDropsBatchesEndingBelowTheLogStart() {
    RecentBatches cache = cacheWith(Long.MAX_VALUE, batches(4)); // 0-4, 5-9, 10-14, 15-19

    cache.evictBelow(0);
    assertEquals(4, cache.batches(), "evictBelow(0) must keep everything");

    cache.evictBelow(7); // 0-4 ends below 7; 5-9 contains it and stays
    assertEquals(3, cache.batches(), "batches after evictBelow(7)");
    assertEquals(3L * SIZE, cache.bytes(), "bytes after evictBelow(7)");
    assertNull(cache.from(4, Integer.MAX_VALUE), "offset 4 was evicted");
    assertEquals(List.of(5L, 10L, 15L), baseOffsets(cache.from(7, Integer.MAX_VALUE)));

    cache.evictBelow(15); // exactly a batch's base: the batch before it goes, it stays
    assertEquals(List.of(15L), baseOffsets(cache.from(15, Integer.MAX_VALUE)));
    assertEquals(SIZE, cache.bytes(), "bytes after evictBelow(15)");

    cache.evictBelow(20);
    assertEquals(0, cache.batches(), "evictBelow(next offset) empties the cache");
    assertEquals(0, cache.bytes(), "bytes of an emptied cache");

    cache.add(batch(20));
    assertEquals(List.of(20L), baseOffsets(cache.from(20, Integer.MAX_VALUE)), "the cache keeps working after eviction");
  }

  @Test
  void clearForgetsEverything() {
    RecentBatches cache = cacheWith(Long.MAX_VALUE, batches(3));

    cache.clear();

    assertEquals(0, cache.batches());
    assertEquals(0, cache.bytes());
    assertNull(cache.from(0, Integer.MAX_VALUE), "from() after clear()");
  }
}
