package dev.sluice.persistence.leveldb;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.fusesource.leveldbjni.JniDBFactory;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBFactory;
import org.iq80.leveldb.Options;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native LevelDB every Sluice database (journal, metadata) is opened with.
 *
 * <p>leveldbjni's Java API stays what it is; its native part is Sluice's own build when this
 * jar carries one ({@code persistence/src/main/native/leveldb/build.sh}: leveldbjni 1.8's JNI
 * sources on LevelDB 1.23, which writes with {@code write()} instead of through {@code mmap},
 * and checksums with the CPU's CRC32C instruction). Otherwise, on other platforms or when the
 * build could not make it, leveldbjni loads the LevelDB 1.8 it bundles. Both read and write the
 * same file format, so a data directory moves freely between them.
 *
 * <p>The library is chosen once per JVM, on the first call of {@link #factory()}: the files are
 * copied from the jar to a directory under {@code java.io.tmpdir} named after their content
 * (reused by later JVMs of the same build), and leveldbjni's loader is pointed at it (its
 * {@code library.leveldbjni.path} property). A path the user set with that property is left
 * alone, and {@code -Dsluice.leveldb.bundled=true} keeps leveldbjni's bundled LevelDB.
 * Thread-safe.
 */
public final class LevelDbLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(LevelDbLibrary.class);
  /** Where build.sh puts the library inside the jar. */
  static final String RESOURCE_DIR = "dev/sluice/persistence/leveldb/linux-x86_64/";
  static final String JNI_LIBRARY = "libleveldbjni.so";
  private static final String[] FILES = {JNI_LIBRARY, "libsnappy.so.1"};
  private static final String PATH_PROPERTY = "library.leveldbjni.path";
  /** {@code -Dsluice.leveldb.bundled=true}: run leveldbjni's bundled LevelDB even where Sluice's is built. */
  public static final String BUNDLED_PROPERTY = "sluice.leveldb.bundled";

  private static String description;
  private static boolean sluiceBuild;

  private LevelDbLibrary() {}

  /** The factory to open LevelDB databases with; loads the native library on first use. */
  public static DBFactory factory() {
    load();
    return JniDBFactory.factory;
  }

  /**
   * Opens (or creates) the database in {@code dir}. LevelDB 1.23 names its table files
   * {@code .ldb}, the LevelDB bundled with leveldbjni only knows {@code .sst} (the same format),
   * so when the bundled one runs, table files are renamed back first: a data directory written
   * by Sluice's build opens after a switch to {@code -Dsluice.leveldb.bundled=true}.
   */
  public static DB open(Path dir, Options options) throws IOException {
    DBFactory factory = factory();
    if (!sluiceBuildLoaded() && Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path table : (Iterable<Path>) files.filter(f -> f.getFileName().toString().endsWith(".ldb"))::iterator) {
          String name = table.getFileName().toString();
          Files.move(table, table.resolveSibling(name.substring(0, name.length() - 4) + ".sst"));
        }
      }
    }
    return factory.open(dir.toFile(), options);
  }

  /** Which LevelDB this JVM runs, for logs: e.g. {@code LevelDB 1.23-4 (Sluice's build)}. */
  public static synchronized String description() {
    load();
    return description;
  }

  /** Whether Sluice's own build is the one loaded (false: leveldbjni's bundled LevelDB 1.8). */
  public static synchronized boolean sluiceBuildLoaded() {
    load();
    return sluiceBuild;
  }

  private static synchronized void load() {
    if (description != null) {
      return;
    }
    Optional<Properties> build = buildInfo();
    String userPath = System.getProperty(PATH_PROPERTY);
    Path extracted = null;
    boolean bundledAsked = Boolean.getBoolean(BUNDLED_PROPERTY);
    if (build.isPresent() && userPath == null && !bundledAsked && onLinuxX8664()) {
      try {
        extracted = extract();
        System.setProperty(PATH_PROPERTY, extracted.toString());
      } catch (IOException e) {
        LOG.warn("Cannot unpack Sluice's LevelDB, using leveldbjni's bundled one: {}", e.toString());
      }
    }
    try {
      JniDBFactory.factory.toString(); // JniDBFactory's static initialiser loads the library
    } finally {
      if (extracted != null) {
        System.clearProperty(PATH_PROPERTY);
      }
    }
    String loadedFrom = mappedJniLibrary().orElse("");
    sluiceBuild = extracted != null && loadedFrom.startsWith(extracted.toString());
    if (sluiceBuild) {
      description = "LevelDB " + build.get().getProperty("leveldb", "?") + " (Sluice's build)";
    } else if (userPath != null) {
      description = "the LevelDB of " + loadedFrom + " (" + PATH_PROPERTY + ")";
    } else {
      description = "LevelDB 1.8 (bundled with leveldbjni)";
      if (extracted != null) {
        LOG.warn("Sluice's LevelDB did not load, running {}: it writes through mmap, which costs more CPU per MB", description);
      }
    }
  }

  private static Optional<Properties> buildInfo() {
    try (InputStream in = LevelDbLibrary.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + "build-info.properties")) {
      if (in == null) {
        return Optional.empty();
      }
      Properties p = new Properties();
      p.load(in);
      return Optional.of(p);
    } catch (IOException e) {
      LOG.warn("Cannot read Sluice's LevelDB build info: {}", e.toString());
      return Optional.empty();
    }
  }

  private static boolean onLinuxX8664() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    return os.startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  /**
   * The library's files in {@code java.io.tmpdir/sluice-leveldb-<digest of their content>}: one
   * directory per build, shared by every JVM that runs it and kept (so profilers can read its
   * symbols), written to a private directory first and moved into place whole. A directory of
   * that name that is not this user's alone, or holds other bytes, is not used.
   */
  private static Path extract() throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
    for (String file : FILES) {
      try (InputStream in = LevelDbLibrary.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + file)) {
        if (in == null) {
          throw new IOException(RESOURCE_DIR + file + " is missing from the jar");
        }
        byte[] bytes = in.readAllBytes();
        sha.update(bytes);
        files.put(file, bytes);
      }
    }
    String digest = HexFormat.of().formatHex(sha.digest(), 0, 8);
    Path shared = Path.of(System.getProperty("java.io.tmpdir")).resolve("sluice-leveldb-" + digest);
    if (holds(shared, files)) {
      return shared;
    }
    Path staging = Files.createTempDirectory("sluice-leveldb-"); // rwx------
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Files.write(staging.resolve(f.getKey()), f.getValue());
    }
    try {
      Files.move(staging, shared, StandardCopyOption.ATOMIC_MOVE);
      return shared;
    } catch (IOException raced) {
      // another JVM moved its copy first, or the name is taken: use that copy if it is good,
      // else this JVM's own
      if (holds(shared, files)) {
        deleteQuietly(staging);
        return shared;
      }
      return staging;
    }
  }

  private static boolean holds(Path dir, Map<String, byte[]> files) {
    try {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
          || !Files.getOwner(dir).getName().equals(System.getProperty("user.name"))
          || !Files.getPosixFilePermissions(dir).equals(PosixFilePermissions.fromString("rwx------"))) {
        return false;
      }
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        Path file = dir.resolve(f.getKey());
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) || !Arrays.equals(Files.readAllBytes(file), f.getValue())) {
          return false;
        }
      }
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** The file the JNI library was mapped from, from /proc/self/maps (Linux). */
  static Optional<String> mappedJniLibrary() {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) {
      return Optional.empty();
    }
    try (Stream<String> lines = Files.lines(maps)) {
      return lines
          .map(line -> line.indexOf('/') < 0 ? "" : line.substring(line.indexOf('/')))
          .filter(path -> path.contains("leveldbjni"))
          .map(path -> path.endsWith(" (deleted)") ? path.substring(0, path.length() - " (deleted)".length()) : path)
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.debug("Cannot delete {}", dir, e);
    }
  }
}
