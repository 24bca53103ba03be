package dev.sluice.persistence.leveldb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.persistence.journal.FsyncPolicy;
import dev.sluice.persistence.journal.LevelDbLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which native LevelDB a node runs, and that Sluice's build of it is interchangeable with the
 * LevelDB bundled in leveldbjni: same checksums, same files.
 */
class LevelDbLibraryTest {
  private static final boolean LINUX_X86_64 =
      System.getProperty("os.name", "").startsWith("Linux") && System.getProperty("os.arch", "").equals("amd64");

  @TempDir Path tempDir;

  @Test
  void sluicesBuildIsTheOneLoadedWhereItIsBuilt() {
    assumeTrue(LINUX_X86_64, "Sluice's LevelDB is built for Linux x86_64 only");
    assumeTrue(
        !"off".equals(System.getProperty("sluice.leveldb.native")),
        "built with -Dsluice.leveldb.native=off: nodes run leveldbjni's bundled LevelDB");
    assertNotNull(
        getClass().getClassLoader().getResource(LevelDbLibrary.RESOURCE_DIR + LevelDbLibrary.JNI_LIBRARY),
        "Sluice's LevelDB was not built: see the [sluice-leveldb] lines of the persistence module's build");
    assertTrue(LevelDbLibrary.sluiceBuildLoaded(), "loaded instead: " + LevelDbLibrary.description());
    assertTrue(LevelDbLibrary.description().startsWith("LevelDB 1.2"), LevelDbLibrary.description());
    String mapped = LevelDbLibrary.mappedJniLibrary().orElseThrow();
    assertTrue(mapped.contains("/sluice-leveldb-"), "mapped from " + mapped);
  }

  /**
   * Every record of LevelDB's write-ahead log carries a masked CRC32C of its type and data
   * (log_format.h): recomputed here with the JDK's CRC32C, over records that span LevelDB's
   * 32 KiB blocks and start at every alignment, so Sluice's CRC32C is checked against the
   * standard, not against itself.
   */
  @Test
  void logRecordsCarryStandardCrc32cChecksums() throws Exception {
    Path dir = tempDir.resolve("db");
    Files.createDirectories(dir);
    Random random = new Random(42);
    DB db = LevelDbLibrary.open(dir, new Options().createIfMissing(true));
    try {
      for (int i = 0; i < 200; i++) {
        byte[] value = new byte[1 + random.nextInt(i % 10 == 0 ? 100_000 : 3_000)];
        random.nextBytes(value);
        db.put(("key-" + i).getBytes(StandardCharsets.UTF_8), value);
      }
    } finally {
      db.close();
    }
    Path log;
    try (Stream<Path> files = Files.list(dir)) {
      log = files.filter(p -> p.toString().endsWith(".log")).findFirst().orElseThrow();
    }
    ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(log)).order(ByteOrder.LITTLE_ENDIAN);
    int records = 0;
    int blockSize = 32 * 1024;
    while (buf.remaining() >= 7) {
      int leftInBlock = blockSize - buf.position() % blockSize;
      if (leftInBlock < 7) {
        buf.position(buf.position() + leftInBlock); // trailer of zeros
        continue;
      }
      int stored = buf.getInt();
      int length = Short.toUnsignedInt(buf.getShort());
      byte type = buf.get();
      if (type == 0 && length == 0 && stored == 0) {
        break; // preallocated, never written
      }
      CRC32C crc = new CRC32C();
      crc.update(type);
      crc.update(buf.array(), buf.position(), length);
      assertEquals(mask((int) crc.getValue()), stored, "checksum of log record " + records + " at " + (buf.position() - 7));
      buf.position(buf.position() + length);
      records++;
    }
    assertTrue(records > 200, "expected a record per put and fragments of the large ones, found " + records);
  }

  private static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
  }

  /**
   * A journal written by leveldbjni's bundled LevelDB 1.8 (an older Sluice, in a second JVM)
   * reads back whole here, and the other way round: upgrading or going back
   * ({@code -Dsluice.leveldb.bundled=true}) needs no migration.
   */
  @Test
  void aJournalMovesBetweenTheBundledLevelDbAndThisOne() throws Exception {
    assumeTrue(LevelDbLibrary.sluiceBuildLoaded(), "only one LevelDB here: " + LevelDbLibrary.description());
    Path older = tempDir.resolve("written-by-bundled");
    String childSays = runBundled("write", older, 300);
    assertTrue(childSays.contains("LevelDB 1.8 (bundled with leveldbjni)"), childSays);
    try (LevelDbLog log = LevelDbLog.open(older, LevelDbLog.Settings.defaults(FsyncPolicy.NEVER))) {
      assertEntries(log, 300);
      log.write(entries(300, 400)).get(10, TimeUnit.SECONDS);
    }
    try (Stream<Path> files = Files.list(older.resolve("data"))) {
      assertTrue(files.anyMatch(f -> f.toString().endsWith(".ldb")), "LevelDB 1.23 wrote .ldb tables, which the bundled one reads once renamed");
    }
    assertTrue(runBundled("verify", older, 400).contains("verified 400"), "the bundled LevelDB read back what this one added");
  }

  static List<LevelDbLog.Entry> entries(int from, int to) {
    List<LevelDbLog.Entry> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(new LevelDbLog.Entry("partition-" + (i % 3), i / 3 + 1, valueOf(i)));
    }
    return out;
  }

  static byte[] valueOf(int i) {
    byte[] v = new byte[500 + i * 37 % 20_000];
    new Random(i).nextBytes(v);
    return v;
  }

  static void assertEntries(LevelDbLog log, int count) {
    for (int i = 0; i < count; i++) {
      String pid = "partition-" + (i % 3);
      long seq = i / 3 + 1;
      List<LevelDbLog.StoredEntry> read = log.read(pid, seq, seq, 1, Long.MAX_VALUE);
      assertEquals(1, read.size(), pid + " #" + seq + " is missing");
      assertArrayEquals(valueOf(i), read.get(0).value(), pid + " #" + seq + " differs");
    }
  }

  private static String runBundled(String what, Path dir, int count) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java, "-Xmx256m", "-D" + LevelDbLibrary.BUNDLED_PROPERTY + "=true",
                "-cp", System.getProperty("java.class.path"),
                BundledLevelDbMain.class.getName(), what, dir.toString(), Integer.toString(count))
            .redirectErrorStream(true)
            .start();
    boolean ended = child.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      child.destroyForcibly();
    }
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(ended, "the second JVM did not end within 60 s:\n" + out);
    assertEquals(0, child.exitValue(), "the second JVM failed:\n" + out);
    return out;
  }
}
