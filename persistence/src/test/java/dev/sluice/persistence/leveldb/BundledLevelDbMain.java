package dev.sluice.persistence.leveldb;

import dev.sluice.persistence.journal.FsyncPolicy;
import dev.sluice.persistence.journal.LevelDbLog;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The second JVM of {@link LevelDbLibraryTest}, run with {@code -Dsluice.leveldb.bundled=true}:
 * {@code write DIR N} writes the test's first N journal entries, {@code verify DIR N} checks them.
 */
public final class BundledLevelDbMain {
  private BundledLevelDbMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    int count = Integer.parseInt(args[2]);
    System.out.println("running " + LevelDbLibrary.description());
    try (LevelDbLog log = LevelDbLog.open(dir, LevelDbLog.Settings.defaults(FsyncPolicy.NEVER))) {
      if (args[0].equals("write")) {
        log.write(LevelDbLibraryTest.entries(0, count)).get(30, TimeUnit.SECONDS);
        System.out.println("wrote " + count);
      } else {
        LevelDbLibraryTest.assertEntries(log, count);
        System.out.println("verified " + count);
      }
    }
  }
}
