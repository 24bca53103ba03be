package dev.sluice.persistence.journal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.persistence.leveldb.LevelDbLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests of {@link LevelDbLog} on a real native LevelDB in a temporary directory. */
class LevelDbLogTest {
  private static final long WAIT_SECONDS = 10;

  @TempDir Path tempDir;

  /** Every log a test opened; closed after the test (close is idempotent). */
  private final List<LevelDbLog> opened = new ArrayList<>();

  @AfterEach
  void closeLogs() {
    opened.forEach(LevelDbLog::close);
  }

  private LevelDbLog open(Path dir, FsyncPolicy fsync) throws Exception {
    // Small memtable and cache: tests open many logs; group size as in production.
    LevelDbLog log = LevelDbLog.open(dir, new LevelDbLog.Settings(fsync, 1 << 20, 1L << 20, false, 8 << 20, 1000));
    opened.add(log);
    return log;
  }

  private LevelDbLog open() throws Exception {
    return open(tempDir.resolve("journal"), FsyncPolicy.NEVER);
  }

  private static byte[] value(String persistenceId, long sequenceNr) {
    return (persistenceId + "#" + sequenceNr).getBytes(UTF_8);
  }

  private static byte[] value(String persistenceId, long sequenceNr, int size) {
    byte[] tag = value(persistenceId, sequenceNr);
    byte[] out = Arrays.copyOf(tag, Math.max(size, tag.length));
    Arrays.fill(out, tag.length, out.length, (byte) '.');
    return Arrays.copyOf(out, size);
  }

  private static LevelDbLog.Entry entry(String persistenceId, long sequenceNr) {
    return new LevelDbLog.Entry(persistenceId, sequenceNr, value(persistenceId, sequenceNr));
  }

  private static <T> T await(CompletableFuture<T> future, String what) throws Exception {
    try {
      return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      return fail(what + " did not complete within " + WAIT_SECONDS + " s");
    }
  }

  /** Writes {@code from..to} for the entity, one atomic write, and waits for it. */
  private static void writeRange(LevelDbLog log, String persistenceId, long from, long to) throws Exception {
    List<LevelDbLog.Entry> entries = new ArrayList<>();
    for (long seq = from; seq <= to; seq++) {
      entries.add(entry(persistenceId, seq));
    }
    await(log.write(entries), "write of " + persistenceId + " " + from + ".." + to);
  }

  private static List<Long> sequenceNrs(List<LevelDbLog.StoredEntry> entries) {
    return entries.stream().map(LevelDbLog.StoredEntry::sequenceNr).toList();
  }

  private static List<Long> range(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  /** Asserts the entity holds exactly {@code expected}, each with the value {@link #value} wrote. */
  private static void assertHolds(LevelDbLog log, String persistenceId, List<Long> expected) {
    List<LevelDbLog.StoredEntry> all = log.read(persistenceId, 0, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
    assertEquals(expected, sequenceNrs(all), "sequence numbers stored for '" + persistenceId + "'");
    for (LevelDbLog.StoredEntry e : all) {
      assertArrayEquals(
          value(persistenceId, e.sequenceNr()), e.value(),
          "value of '" + persistenceId + "' #" + e.sequenceNr() + " belongs to another entry: "
              + new String(e.value(), UTF_8));
    }
  }

  @Test
  void opensInADirectoryWhoseParentsDoNotExistYet() throws Exception {
    Path dir = tempDir.resolve("not").resolve("there").resolve("yet").resolve("journal");
    assertFalse(Files.exists(dir.getParent()), "test setup: parent must not exist");

    LevelDbLog log = open(dir, FsyncPolicy.NEVER);

    assertTrue(Files.isDirectory(dir), "open() did not create " + dir);
    assertEquals(dir, log.directory());
    writeRange(log, "p", 1, 3);
    assertHolds(log, "p", range(1, 3));
  }

  @ParameterizedTest
  @EnumSource(FsyncPolicy.class)
  void writesAndReadsBackSeveralEntitiesUnderEitherFsyncPolicy(FsyncPolicy fsync) throws Exception {
    LevelDbLog log = open(tempDir.resolve("journal"), fsync);
    assertEquals(fsync, log.fsync());

    // Interleaved writes, one of them spanning two entities atomically.
    writeRange(log, "orders-0", 1, 5);
    writeRange(log, "orders-1", 1, 2);
    await(log.write(List.of(entry("orders-0", 6), entry("orders-1", 3))), "two-entity write");
    writeRange(log, "payments-0", 1, 4);

    assertHolds(log, "orders-0", range(1, 6));
    assertHolds(log, "orders-1", range(1, 3));
    assertHolds(log, "payments-0", range(1, 4));
    assertEquals(6, log.highestSequenceNr("orders-0"));
    assertEquals(3, log.highestSequenceNr("orders-1"));
    assertEquals(4, log.countEntries("payments-0"));

    assertEquals(2, await(log.deleteUpTo("orders-0", 2), "deleteUpTo"), "entries deleted");
    assertHolds(log, "orders-0", range(3, 6));
  }

  /**
   * Entity "p" holds 1..10, each value exactly 100 bytes. {@code expected} is "first..last" or
   * "" for nothing.
   */
  @ParameterizedTest(name = "read(from={0}, to={1}, maxEntries={2}, maxBytes={3}) = [{4}]")
  @CsvSource({
    "1,   10, 1000, 100000, 1..10",
    "0,   10, 1000, 100000, 1..10",
    "-5,  10, 1000, 100000, 1..10",
    "3,    7, 1000, 100000, 3..7",
    "5,    5, 1000, 100000, 5..5",
    "10,  99, 1000, 100000, 10..10",
    "11,  99, 1000, 100000, ''",
    "7,    3, 1000, 100000, ''",
    "1,   10,    4, 100000, 1..4",
    "4,   10,    1, 100000, 4..4",
    "1,   10,    0, 100000, ''",
    // stops after the entry that makes the total reach maxBytes
    "1,   10, 1000,    250, 1..3",
    "1,   10, 1000,    300, 1..3",
    "1,   10, 1000,    301, 1..4",
    "1,   10,    2,    250, 1..2",
    // at least one entry when one exists, however small maxBytes is
    "1,   10, 1000,      1, 1..1",
    "6,   10, 1000,      1, 6..6",
    "1,   10, 1000,      0, 1..1",
  })
  void readHonoursItsBounds(long from, long to, long maxEntries, long maxBytes, String expected) throws Exception {
    LevelDbLog log = open();
    List<LevelDbLog.Entry> entries = new ArrayList<>();
    for (long seq = 1; seq <= 10; seq++) {
      entries.add(new LevelDbLog.Entry("p", seq, value("p", seq, 100)));
    }
    await(log.write(entries), "write");
    // neighbours on both sides in key order must not leak into the range
    writeRange(log, "o", 1, 3);
    writeRange(log, "q", 1, 3);

    List<Long> expectedSeqs;
    if (expected.isEmpty()) {
      expectedSeqs = List.of();
    } else {
      String[] bounds = expected.split("\\.\\.");
      expectedSeqs = range(Long.parseLong(bounds[0]), Long.parseLong(bounds[1]));
    }
    List<LevelDbLog.StoredEntry> read = log.read("p", from, to, maxEntries, maxBytes);
    assertEquals(expectedSeqs, sequenceNrs(read), "sequence numbers read");
    for (LevelDbLog.StoredEntry e : read) {
      assertArrayEquals(value("p", e.sequenceNr(), 100), e.value(), "value of #" + e.sequenceNr());
    }
  }

  @Test
  void readReturnsOneEntryLargerThanMaxBytesWhole() throws Exception {
    LevelDbLog log = open();
    byte[] big = value("p", 1, 200_000);
    await(log.write(List.of(new LevelDbLog.Entry("p", 1, big), entry("p", 2))), "write");

    List<LevelDbLog.StoredEntry> read = log.read("p", 1, Long.MAX_VALUE, Long.MAX_VALUE, 1024);

    assertEquals(List.of(1L), sequenceNrs(read), "exactly the oversized first entry should be returned");
    assertArrayEquals(big, read.get(0).value(), "the oversized entry must come back whole");
  }

  @Test
  void readsSequenceNumbersAtTheTopOfTheRange() throws Exception {
    LevelDbLog log = open();
    await(
        log.write(List.of(entry("p", Long.MAX_VALUE - 1), entry("p", Long.MAX_VALUE), entry("p", 1))),
        "write");

    assertHolds(log, "p", List.of(1L, Long.MAX_VALUE - 1, Long.MAX_VALUE));
    assertEquals(Long.MAX_VALUE, log.highestSequenceNr("p"));
    assertEquals(
        List.of(Long.MAX_VALUE), sequenceNrs(log.read("p", Long.MAX_VALUE, Long.MAX_VALUE, 10, 1000)),
        "read of the very last sequence number");
    assertEquals(3, await(log.deleteUpTo("p", Long.MAX_VALUE), "deleteUpTo(MAX)"), "entries deleted");
    assertHolds(log, "p", List.of());
  }

  @Test
  void purgeForgetsAnEntityEntirelySoACopyCanBeLaidDownAgain() throws Exception {
    Path dir = tempDir.resolve("journal");
    LevelDbLog log = open(dir, FsyncPolicy.NEVER);
    writeRange(log, "p", 1, 9);
    writeRange(log, "q", 1, 3);
    assertEquals(9, await(log.purge("p"), "purge"), "entries purged");
    assertEquals(0, log.highestSequenceNr("p"), "a purged entity has no highest sequence number");
    assertEquals(3, log.highestSequenceNr("q"), "a neighbour is untouched");
    writeRange(log, "p", 4, 6); // a copy that starts past a deleted prefix
    assertEquals(6, log.highestSequenceNr("p"));
    log.close();
    LevelDbLog reopened = open(dir, FsyncPolicy.NEVER);
    assertHolds(reopened, "p", List.of(4L, 5L, 6L));
    assertEquals(6, reopened.highestSequenceNr("p"));
    reopened.close();
  }

  @Test
  void replaceGivesStoredEntriesNewValuesAndNeverBringsBackADeletedOne() throws Exception {
    Path dir = tempDir.resolve("journal");
    LevelDbLog log = open(dir, FsyncPolicy.NEVER);
    writeRange(log, "p", 1, 6);
    writeRange(log, "q", 1, 3);
    await(log.deleteUpTo("p", 2), "delete");
    byte[] two = "two, compacted".getBytes(UTF_8);
    byte[] four = "four, compacted".getBytes(UTF_8);
    long replaced =
        await(
            log.replace("p", List.of(new LevelDbLog.StoredEntry(2, two), new LevelDbLog.StoredEntry(4, four), new LevelDbLog.StoredEntry(9, four))),
            "replace");
    assertEquals(1, replaced, "only #4 is stored: #2 was deleted, #9 never written");
    writeRange(log, "p", 7, 7); // appends go on after a replace
    for (LevelDbLog reading : new LevelDbLog[] {log, null}) {
      if (reading == null) {
        log.close();
        reading = open(dir, FsyncPolicy.NEVER); // and it all survives a reopen
      }
      List<LevelDbLog.StoredEntry> p = reading.read("p", 0, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
      assertEquals(List.of(3L, 4L, 5L, 6L, 7L), sequenceNrs(p));
      assertArrayEquals(four, p.get(1).value());
      assertArrayEquals(value("p", 5), p.get(2).value());
      assertEquals(7, reading.highestSequenceNr("p"));
      assertHolds(reading, "q", List.of(1L, 2L, 3L));
    }
  }

  @Test
  void aReadDuringReplacesSeesEveryEntryOnceWithTheOldOrTheNewValue() throws Exception {
    LevelDbLog log = open();
    writeRange(log, "p", 1, 50);
    java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicReference<String> problem = new java.util.concurrent.atomic.AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              while (!done.get() && problem.get() == null) {
                List<LevelDbLog.StoredEntry> all = log.read("p", 0, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);
                if (!sequenceNrs(all).equals(range(1, 50))) {
                  problem.set("a read saw " + sequenceNrs(all));
                }
              }
            });
    reader.start();
    try {
      // each round gives every entry a new value: old values go while the reader reads
      for (int round = 0; round < 200 && problem.get() == null; round++) {
        List<LevelDbLog.StoredEntry> next = new ArrayList<>();
        for (long seq = 1; seq <= 50; seq++) {
          next.add(new LevelDbLog.StoredEntry(seq, ("round " + round + " #" + seq).getBytes(UTF_8)));
        }
        assertEquals(50, await(log.replace("p", next), "replace"));
      }
    } finally {
      done.set(true);
      reader.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    }
    assertEquals(null, problem.get());
    assertArrayEquals("round 199 #7".getBytes(UTF_8), log.read("p", 7, 7, 1, Long.MAX_VALUE).get(0).value());
  }

  @Test
  void highestSequenceNrIsZeroForUnknownIdsAndSurvivesDeletionAndReopen() throws Exception {
    Path dir = tempDir.resolve("journal");
    LevelDbLog log = open(dir, FsyncPolicy.NEVER);
    assertEquals(0, log.highestSequenceNr("never-written"), "unknown id");

    writeRange(log, "p", 1, 7);
    writeRange(log, "pp", 1, 2);
    assertEquals(7, log.highestSequenceNr("p"));

    assertEquals(7, await(log.deleteUpTo("p", Long.MAX_VALUE), "deleteUpTo"), "entries deleted");
    assertEquals(0, log.countEntries("p"), "every entry of p should be gone");
    assertEquals(
        7, log.highestSequenceNr("p"),
        "deleting every entry must not forget the highest sequence number (Pekko must never reuse one)");

    log.close();
    LevelDbLog reopened = open(dir, FsyncPolicy.NEVER);
    assertEquals(7, reopened.highestSequenceNr("p"), "highest sequence number after reopen");
    assertEquals(2, reopened.highestSequenceNr("pp"), "highest sequence number of a neighbour after reopen");
    assertEquals(0, reopened.highestSequenceNr("never-written"), "unknown id after reopen");
    assertEquals(0, reopened.countEntries("p"), "deleted entries came back after reopen");
  }

  @ParameterizedTest(name = "deleteUpTo({0}) deletes {1}")
  @CsvSource({
    "0,                   0",
    "1,                   1",
    "5,                   5",
    "9,                   9",
    "10,                 10",
    "11,                 10",
    "9223372036854775807, 10",
  })
  void deleteUpToRemovesExactlyThatPrefixAndReturnsTheCount(long toSequenceNr, long expectedDeleted)
      throws Exception {
    LevelDbLog log = open();
    writeRange(log, "p", 1, 10);
    writeRange(log, "o", 1, 10);
    writeRange(log, "q", 1, 10);

    long deleted = await(log.deleteUpTo("p", toSequenceNr), "deleteUpTo");

    assertEquals(expectedDeleted, deleted, "count returned by deleteUpTo(" + toSequenceNr + ")");
    assertHolds(log, "p", range(expectedDeleted + 1, 10));
    assertHolds(log, "o", range(1, 10));
    assertHolds(log, "q", range(1, 10));
    assertEquals(10, log.highestSequenceNr("p"));
    assertEquals(0, await(log.deleteUpTo("p", toSequenceNr), "repeated deleteUpTo"), "second deletion of the same prefix");
  }

  @Test
  void deleteUpToOfAnUnknownEntityDeletesNothing() throws Exception {
    LevelDbLog log = open();
    writeRange(log, "p", 1, 3);

    assertEquals(0, await(log.deleteUpTo("nobody", Long.MAX_VALUE), "deleteUpTo"), "entries deleted");
    assertHolds(log, "p", range(1, 3));
  }

  @Test
  void deletionStartsAfterAGapLeftByAnEarlierDeletion() throws Exception {
    LevelDbLog log = open();
    writeRange(log, "p", 1, 10);
    assertEquals(3, await(log.deleteUpTo("p", 3), "first deleteUpTo"));

    assertEquals(4, await(log.deleteUpTo("p", 7), "second deleteUpTo"), "only 4..7 were left to delete");
    assertHolds(log, "p", range(8, 10));
  }

  /**
   * Ids that are prefixes of one another ("a", "ab", "abc"), ids of equal length ("ab", "ac",
   * "ba"), and one whose UTF-8 form has the same length as a two-letter id ("ä").
   */
  @Test
  void entitiesWhoseIdsShareAPrefixOrALengthAreIsolated() throws Exception {
    LevelDbLog log = open();
    List<String> ids = List.of("a", "ab", "abc", "ac", "ba", "b", "ä", "a\u0000");
    for (int i = 0; i < ids.size(); i++) {
      writeRange(log, ids.get(i), 1, i + 2); // a different length per id, so leaks change counts
    }

    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      assertHolds(log, id, range(1, i + 2));
      assertEquals(i + 2, log.highestSequenceNr(id), "highest sequence number of '" + id + "'");
      assertEquals(i + 2, log.countEntries(id), "entries of '" + id + "'");
    }
    assertEquals(0, log.highestSequenceNr("abcd"), "highest of an id that only extends a stored one");
    assertEquals(List.of(), log.read("", 0, Long.MAX_VALUE, 100, 1 << 20), "the empty id holds nothing");

    assertEquals(2, await(log.deleteUpTo("a", Long.MAX_VALUE), "deleteUpTo(a)"), "entries of 'a' deleted");
    assertEquals(2, await(log.deleteUpTo("ab", 2), "deleteUpTo(ab)"), "entries of 'ab' deleted");
    assertHolds(log, "a", List.of());
    assertHolds(log, "ab", range(3, 3));
    for (int i = 2; i < ids.size(); i++) {
      assertHolds(log, ids.get(i), range(1, i + 2));
    }
  }

  @Test
  void writesOfTheSameKeyApplyInTheOrderTheyWereQueued() throws Exception {
    LevelDbLog log = open();
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    // Queued back to back without waiting, so most of them share a group commit.
    for (int round = 0; round < 200; round++) {
      writes.add(log.write(List.of(new LevelDbLog.Entry("p", 1, ("v" + round).getBytes(UTF_8)))));
    }
    await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)), "200 writes");

    List<LevelDbLog.StoredEntry> read = log.read("p", 1, 1, 10, 1 << 20);
    assertEquals(1, read.size(), "entries under sequence number 1");
    assertEquals("v199", new String(read.get(0).value(), UTF_8), "the last queued write must win");
  }

  @Test
  void concurrentWritersAllLandAndEveryFutureCompletes() throws Exception {
    LevelDbLog log = open();
    int threads = 4;
    int writesPerThread = 2000;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<CompletableFuture<Void>>>> submitted = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int writer = t;
        String own = "writer-" + t;
        submitted.add(
            pool.submit(
                () -> {
                  start.await();
                  List<CompletableFuture<Void>> futures = new ArrayList<>(writesPerThread);
                  for (long seq = 1; seq <= writesPerThread; seq++) {
                    // every thread also writes into one shared entity, under its own sequence numbers
                    long shared = seq * threads + writer;
                    futures.add(log.write(List.of(entry(own, seq), entry("shared", shared))));
                  }
                  return futures;
                }));
      }
      start.countDown();
      List<CompletableFuture<Void>> all = new ArrayList<>();
      for (Future<List<CompletableFuture<Void>>> f : submitted) {
        all.addAll(f.get(WAIT_SECONDS, TimeUnit.SECONDS));
      }
      await(CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)), "all concurrent writes");
      assertEquals(threads * writesPerThread, all.size());
      assertTrue(
          all.stream().allMatch(f -> f.isDone() && !f.isCompletedExceptionally()),
          "every write's future must complete successfully");
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS), "writer threads did not stop");
    }

    for (int t = 0; t < threads; t++) {
      String own = "writer-" + t;
      assertHolds(log, own, range(1, writesPerThread));
      assertEquals(writesPerThread, log.highestSequenceNr(own), "highest of " + own);
    }
    List<Long> sharedExpected =
        LongStream.rangeClosed(threads, (long) writesPerThread * threads + threads - 1).boxed().toList();
    assertHolds(log, "shared", sharedExpected);
    assertEquals(
        (long) writesPerThread * threads + threads - 1, log.highestSequenceNr("shared"),
        "highest of the shared entity must be the largest sequence number any writer used");
  }

  /**
   * Writes queued behind a deletion, before the writer thread picks the deletion up, must still
   * be committed (retention deletes one partition's prefix while others append).
   */
  @Test
  void writesQueuedBehindADeletionAreCommitted() throws Exception {
    LevelDbLog log = open();
    writeRange(log, "retained", 1, 1000);
    List<CompletableFuture<?>> pending = new ArrayList<>();
    for (int round = 1; round <= 50; round++) {
      // A big write keeps the writer thread busy while the deletion and the small writes queue up.
      pending.add(log.write(List.of(new LevelDbLog.Entry("busy", round, new byte[256 * 1024]))));
      pending.add(log.deleteUpTo("retained", round * 10L));
      pending.add(log.write(List.of(entry("appender", round))));
      pending.add(log.write(List.of(entry("other-appender", round))));
    }
    for (int i = 0; i < pending.size(); i++) {
      try {
        pending.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        fail("operation " + i + " of " + pending.size() + " (" + (i % 4 == 1 ? "deletion" : "write")
            + ") never completed: a write queued behind a deletion was dropped");
      }
    }
    assertHolds(log, "appender", range(1, 50));
    assertHolds(log, "other-appender", range(1, 50));
    assertHolds(log, "retained", range(501, 1000));
    assertEquals(50, log.countEntries("busy"));
  }

  @Test
  void closeFinishesQueuedWritesAndLaterOperationsFailClearly() throws Exception {
    Path dir = tempDir.resolve("journal");
    LevelDbLog log = open(dir, FsyncPolicy.NEVER);
    List<CompletableFuture<Void>> queued = new ArrayList<>();
    for (long seq = 1; seq <= 500; seq++) {
      queued.add(log.write(List.of(entry("p", seq))));
    }

    log.close();

    for (int i = 0; i < queued.size(); i++) {
      CompletableFuture<Void> f = queued.get(i);
      assertTrue(f.isDone(), "write " + (i + 1) + " queued before close() was not finished when close() returned");
      assertFalse(f.isCompletedExceptionally(), "write " + (i + 1) + " queued before close() failed");
    }

    CompletableFuture<Void> late = log.write(List.of(entry("p", 501)));
    ExecutionException writeError =
        assertThrows(ExecutionException.class, () -> late.get(WAIT_SECONDS, TimeUnit.SECONDS), "write after close");
    assertInstanceOf(IllegalStateException.class, writeError.getCause(), "write after close");
    assertTrue(
        writeError.getCause().getMessage().contains("closed") && writeError.getCause().getMessage().contains(dir.toString()),
        "the error should say the journal (and which) is closed: " + writeError.getCause().getMessage());

    CompletableFuture<Long> lateDelete = log.deleteUpTo("p", 10);
    ExecutionException deleteError =
        assertThrows(ExecutionException.class, () -> lateDelete.get(WAIT_SECONDS, TimeUnit.SECONDS), "delete after close");
    assertInstanceOf(IllegalStateException.class, deleteError.getCause(), "delete after close");

    log.close(); // idempotent

    LevelDbLog reopened = open(dir, FsyncPolicy.NEVER);
    assertHolds(reopened, "p", range(1, 500));
    assertEquals(500, reopened.highestSequenceNr("p"), "a write refused after close must not have landed");
  }

  @Test
  void reopenSeesEverythingWrittenAndDeletedBefore() throws Exception {
    Path dir = tempDir.resolve("journal");
    LevelDbLog log = open(dir, FsyncPolicy.ALWAYS);
    writeRange(log, "a", 1, 20);
    writeRange(log, "b", 1, 5);
    await(log.deleteUpTo("a", 4), "deleteUpTo");
    log.close();

    LevelDbLog reopened = open(dir, FsyncPolicy.NEVER);
    assertHolds(reopened, "a", range(5, 20));
    assertHolds(reopened, "b", range(1, 5));
    assertEquals(20, reopened.highestSequenceNr("a"));

    writeRange(reopened, "a", 21, 22);
    assertHolds(reopened, "a", range(5, 22));
  }

  @Test
  void concurrentWritersWithFsyncAlways() throws Exception {
    LevelDbLog log = open(tempDir.resolve("journal"), FsyncPolicy.ALWAYS);
    int threads = 4;
    int writesPerThread = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<CompletableFuture<Void>>>> submitted = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String id = "fsynced-" + t;
        submitted.add(
            pool.submit(
                () -> {
                  List<CompletableFuture<Void>> futures = new ArrayList<>();
                  for (long seq = 1; seq <= writesPerThread; seq++) {
                    futures.add(log.write(List.of(entry(id, seq))));
                  }
                  return futures;
                }));
      }
      for (Future<List<CompletableFuture<Void>>> f : submitted) {
        List<CompletableFuture<Void>> futures = f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        await(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)), "fsynced writes");
      }
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS), "writer threads did not stop");
    }
    for (int t = 0; t < threads; t++) {
      assertHolds(log, "fsynced-" + t, range(1, writesPerThread));
    }
  }

  @Test
  void aLostIndexIsRebuiltFromTheDataOnOpen() throws Exception {
    LevelDbLog log = open();
    writeRange(log, "p", 1, 100);
    writeRange(log, "q", 1, 7);
    log.close();
    dev.sluice.persistence.testkit.TestSystems.deleteRecursively(log.directory().resolve("index"));
    LevelDbLog reopened = LevelDbLog.open(log.directory(), LevelDbLog.Settings.defaults(FsyncPolicy.NEVER));
    try {
      assertHolds(reopened, "p", range(1, 100));
      assertHolds(reopened, "q", range(1, 7));
      assertEquals(100, reopened.highestSequenceNr("p"), "highest sequence number rebuilt from the data");
      writeRange(reopened, "p", 101, 110);
      assertHolds(reopened, "p", range(1, 110));
    } finally {
      reopened.close();
    }
  }

  @Test
  void settingsRejectTooSmallBuffers() {
    IllegalArgumentException buffer =
        assertThrows(
            IllegalArgumentException.class,
            () -> new LevelDbLog.Settings(FsyncPolicy.NEVER, (1 << 20) - 1, 0, false, 1 << 16, 1000));
    assertTrue(buffer.getMessage().contains("write buffer"), buffer.getMessage());
    IllegalArgumentException group =
        assertThrows(
            IllegalArgumentException.class,
            () -> new LevelDbLog.Settings(FsyncPolicy.NEVER, 1 << 20, 0, false, (1 << 16) - 1, 1000));
    assertTrue(group.getMessage().contains("group commit"), group.getMessage());
    IllegalArgumentException files =
        assertThrows(
            IllegalArgumentException.class,
            () -> new LevelDbLog.Settings(FsyncPolicy.NEVER, 1 << 20, 0, false, 1 << 16, LevelDbLog.MIN_OPEN_FILES - 1));
    assertTrue(files.getMessage().contains("max open files"), files.getMessage());
  }

  /**
   * Sluice's LevelDB reads table files with pread, so none stays mapped. The bundled LevelDB
   * reads through memory maps that stay until the table leaves its table cache: with
   * max-open-files at its minimum, reading back more tables than that keeps at most 64 of them
   * mapped (with the default of 1000, every table read stays mapped).
   */
  @Test
  void readingBackManyTablesKeepsFewOrNoneOfThemMapped() throws Exception {
    Path smaps = Path.of("/proc/self/smaps");
    assumeTrue(Files.isReadable(smaps), "needs Linux /proc");
    Path dir = tempDir.resolve("bounded");
    LevelDbLog log =
        LevelDbLog.open(dir, new LevelDbLog.Settings(FsyncPolicy.NEVER, 1 << 20, 1L << 20, false, 8 << 20, LevelDbLog.MIN_OPEN_FILES));
    opened.add(log);
    int entries = 2000; // 64 KiB each: 125 MiB, about 100 table files of the 1 MiB memtable
    for (long seq = 1; seq <= entries; seq += 20) {
      List<LevelDbLog.Entry> batch = new ArrayList<>();
      for (long s = seq; s < seq + 20; s++) {
        batch.add(new LevelDbLog.Entry("p", s, value("p", s, 64 * 1024)));
      }
      log.write(batch).get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
    long tables;
    try (var files = Files.list(dir.resolve("data"))) {
      tables = files.filter(f -> f.toString().endsWith(".sst") || f.toString().endsWith(".ldb")).count();
    }
    assertTrue(tables > 64, "the test needs more than 64 table files, has " + tables);
    long read = 0;
    for (long seq = 1; seq <= entries; seq += 100) {
      for (LevelDbLog.StoredEntry e : log.read("p", seq, seq + 99, 100, Long.MAX_VALUE)) {
        assertArrayEquals(value("p", e.sequenceNr(), 64 * 1024), e.value());
        read++;
      }
    }
    assertEquals(entries, read);
    String dataDir = dir.resolve("data").toString();
    long mapped =
        Files.readAllLines(smaps).stream()
            .filter(l -> l.contains(dataDir) && (l.endsWith(".sst") || l.endsWith(".ldb")))
            .map(l -> l.substring(l.lastIndexOf(' ') + 1))
            .distinct()
            .count();
    long bound = LevelDbLibrary.sluiceBuildLoaded() ? 0 : 64;
    assertTrue(mapped <= bound, mapped + " of " + tables + " table files mapped after reading them all, on " + LevelDbLibrary.description());
  }

  @ParameterizedTest
  @CsvSource({
    "always, ALWAYS", "ALWAYS, ALWAYS", "Always, ALWAYS", "' always ', ALWAYS",
    "never, NEVER", "NEVER, NEVER", "nEvEr, NEVER",
  })
  void fsyncPolicyParsesAlwaysAndNeverInAnyCase(String text, FsyncPolicy expected) {
    assertEquals(expected, FsyncPolicy.parse(text), "FsyncPolicy.parse(\"" + text + "\")");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "on", "off", "true", "sometimes", "alway", "never!", "interval"})
  void fsyncPolicyRejectsOtherValuesNamingTheSetting(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FsyncPolicy.parse(text));
    assertTrue(e.getMessage().contains("sluice.log.fsync"), "message should name the setting: " + e.getMessage());
    assertTrue(e.getMessage().contains("'" + text + "'"), "message should quote the bad value: " + e.getMessage());
  }
}
