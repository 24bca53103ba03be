import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * bench/CopyFloor.java: what it costs a broker's sending thread, in CPU seconds per GiB, to send
 * data that sits in the page cache to a consumer over loopback TCP, by three paths measured side
 * by side in one run (and a fourth, {@code pread-only}, the reads of {@code pread-write} alone):
 *
 * <ul>
 *   <li>{@code sendfile}: {@code FileChannel.transferTo} into the socket, 1 MiB per call. The
 *       kernel hands page-cache pages to the socket; this is how Kafka serves a fetch.
 *   <li>{@code pread-write}: the file read with {@code pread} in 16 KiB pieces (LevelDB reads a
 *       table block per value this way) into a direct buffer, which is then written to the socket:
 *       one copy out of the page cache and one into the socket. Nothing served out of LevelDB can
 *       cost less: its values reach the process through {@code pread} (or a mapping, which counts
 *       in the process's RSS), and leave it through the socket.
 *   <li>{@code five-copies}: Sluice's path today: {@code pread} into LevelDB's block buffer, a copy
 *       into a {@code std::string} (LevelDB's {@code Get}), a copy into a Java array (leveldbjni),
 *       a copy into a 128 KiB direct buffer (Pekko TCP), and the socket write.
 * </ul>
 *
 * <p>{@code five-copies} writes 128 KiB at a time, as Pekko TCP does, the others 1 MiB: its figure
 * holds eight times the socket writes as well as the three copies. The Java arrays it allocates
 * are zeroed on the measured thread; collecting them is the GC's work, on other threads, not
 * counted.
 *
 * <p>The receiver (another thread) drains the socket into a direct buffer and is not counted.
 * The CPU time is the sending thread's own (user + system, {@code ThreadMXBean}); on loopback it
 * includes the kernel's delivery to the receiving socket, the same for all three paths.
 *
 * <p>Run: {@code java bench/CopyFloor.java [--mib N] [--rounds R]} (defaults 1024 MiB, 5 rounds;
 * writes a file of N MiB under bench/target/ and deletes it at the end). Prints one {@code FLOOR}
 * line per path and round, one median line per path, and ratio lines against {@code sendfile}.
 * Not part of the Maven build: it measures the operating system, not Sluice.
 */
public final class CopyFloor {
  private static final int MIB = 1 << 20;
  private static final int BLOCK = 16 * 1024;
  private static final int PEKKO_BUFFER = 128 * 1024;

  public static void main(String[] args) throws Exception {
    int mib = 1024;
    int rounds = 5;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--mib" -> mib = positive(args, ++i);
        case "--rounds" -> rounds = positive(args, ++i);
        case "-h", "--help" -> {
          System.out.println("Usage: java bench/CopyFloor.java [--mib N] [--rounds R]");
          return;
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i] + " (try --help)");
      }
    }
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    if (!threads.isCurrentThreadCpuTimeSupported()) {
      throw new IllegalStateException("this JVM cannot measure a thread's CPU time");
    }
    Path bench = Path.of(System.getProperty("user.dir"), "bench");
    if (!Files.isRegularFile(bench.resolve("CopyFloor.java"))) {
      throw new IllegalStateException("run it from the project root: java bench/CopyFloor.java (no " + bench + "/CopyFloor.java)");
    }
    Path dir = bench.resolve("target");
    Files.createDirectories(dir);
    Path file = dir.resolve("copy-floor-" + ProcessHandle.current().pid() + ".bin");
    try {
      System.out.printf("# writing %d MiB to %s%n", mib, file);
      write(file, mib);
      Map<String, Sender> paths = new LinkedHashMap<>();
      paths.put("sendfile", CopyFloor::sendfile);
      paths.put("pread-write", CopyFloor::preadWrite);
      paths.put("five-copies", CopyFloor::fiveCopies);
      paths.put("pread-only", CopyFloor::preadOnly);
      Map<String, List<Double>> perGib = new LinkedHashMap<>();
      paths.keySet().forEach(k -> perGib.put(k, new ArrayList<>()));
      try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
        long size = in.size();
        warm(in);
        for (int round = 0; round <= rounds; round++) { // round 0 warms up the JIT, not reported
          for (Map.Entry<String, Sender> p : paths.entrySet()) {
            double[] m = measure(in, size, p.getValue(), threads);
            double gib = size / (double) (1L << 30);
            if (round > 0) {
              perGib.get(p.getKey()).add(m[0] / gib);
              System.out.printf(
                  "FLOOR round=%d path=%s gib=%.2f cpu_s=%.3f cpu_s_per_gib=%.3f wall_s=%.3f%n",
                  round, p.getKey(), gib, m[0], m[0] / gib, m[1]);
            }
          }
        }
      }
      double base = median(perGib.get("sendfile"));
      for (Map.Entry<String, List<Double>> e : perGib.entrySet()) {
        List<Double> v = e.getValue();
        System.out.printf(
            "FLOOR path=%s rounds=%d cpu_s_per_gib=%.3f range=%.3f..%.3f%n",
            e.getKey(), v.size(), median(v), v.stream().mapToDouble(d -> d).min().orElse(0), v.stream().mapToDouble(d -> d).max().orElse(0));
      }
      for (Map.Entry<String, List<Double>> e : perGib.entrySet()) {
        if (!e.getKey().equals("sendfile")) {
          System.out.printf("FLOOR ratio=%s/sendfile cpu_s_per_gib=%.2f%n", e.getKey(), median(e.getValue()) / base);
        }
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @FunctionalInterface
  private interface Sender {
    /** Sends (or, for {@code pread-only}, only reads) the file; returns the bytes sent. */
    long send(FileChannel in, long size, SocketChannel out) throws IOException;
  }

  private static long sendfile(FileChannel in, long size, SocketChannel out) throws IOException {
    long pos = 0;
    while (pos < size) {
      pos += in.transferTo(pos, Math.min(MIB, size - pos), out);
    }
    return size;
  }

  private static long preadWrite(FileChannel in, long size, SocketChannel out) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(MIB);
    long pos = 0;
    while (pos < size) {
      buf.clear();
      int want = (int) Math.min(MIB, size - pos);
      for (int off = 0; off < want; ) {
        buf.limit(Math.min(off + BLOCK, want)).position(off);
        off += readFully(in, buf, pos + off);
      }
      buf.position(0).limit(want);
      writeFully(out, buf);
      pos += want;
    }
    return size;
  }

  /** Only the reads of {@code pread-write}: sends nothing (the receiver expects nothing). */
  private static long preadOnly(FileChannel in, long size, SocketChannel out) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(BLOCK);
    for (long pos = 0; pos < size; pos += BLOCK) {
      buf.clear().limit((int) Math.min(BLOCK, size - pos));
      readFully(in, buf, pos);
    }
    return 0;
  }

  private static long fiveCopies(FileChannel in, long size, SocketChannel out) throws IOException {
    ByteBuffer block = ByteBuffer.allocateDirect(BLOCK); // LevelDB's block, read with pread
    ByteBuffer string = ByteBuffer.allocateDirect(BLOCK); // the std::string Get fills
    ByteBuffer socket = ByteBuffer.allocateDirect(PEKKO_BUFFER); // Pekko TCP's direct buffer
    long pos = 0;
    while (pos < size) {
      int want = (int) Math.min(MIB, size - pos);
      List<byte[]> values = new ArrayList<>(want / BLOCK + 1); // one fetch's batches on the heap
      for (int off = 0; off < want; ) {
        block.clear().limit(Math.min(BLOCK, want - off));
        int n = readFully(in, block, pos + off);
        block.flip();
        string.clear();
        string.put(block).flip();
        byte[] value = new byte[n];
        string.get(value);
        values.add(value);
        off += n;
      }
      for (byte[] value : values) {
        for (int off = 0; off < value.length; ) {
          int n = Math.min(socket.remaining(), value.length - off);
          socket.put(value, off, n);
          off += n;
          if (!socket.hasRemaining()) {
            socket.flip();
            writeFully(out, socket);
            socket.clear();
          }
        }
      }
      if (socket.position() > 0) {
        socket.flip();
        writeFully(out, socket);
        socket.clear();
      }
      pos += want;
    }
    return size;
  }

  private static int readFully(FileChannel in, ByteBuffer dst, long pos) throws IOException {
    int total = 0;
    while (dst.hasRemaining()) {
      int n = in.read(dst, pos + total);
      if (n < 0) {
        throw new IOException("file ended early at " + (pos + total));
      }
      total += n;
    }
    return total;
  }

  private static void writeFully(SocketChannel out, ByteBuffer src) throws IOException {
    while (src.hasRemaining()) {
      out.write(src); // blocking channel: returns once some of it is written
    }
  }

  /** Sends the file once over a fresh loopback connection; returns {cpu seconds, wall seconds}. */
  private static double[] measure(FileChannel in, long size, Sender sender, ThreadMXBean threads) throws Exception {
    try (ServerSocketChannel server = ServerSocketChannel.open()) {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      long[] received = new long[1];
      Thread receiver =
          new Thread(
              () -> {
                try (SocketChannel s = server.accept()) {
                  ByteBuffer sink = ByteBuffer.allocateDirect(MIB);
                  for (int n = 0; n >= 0; n = s.read(sink.clear())) { // until the sender closes
                    received[0] += n;
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              "copy-floor-receiver");
      receiver.start();
      long sent;
      long cpu;
      long wall;
      try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
        long cpu0 = threads.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        sent = sender.send(in, size, out);
        cpu = threads.getCurrentThreadCpuTime() - cpu0;
        wall = System.nanoTime() - wall0;
      }
      receiver.join(60_000);
      if (receiver.isAlive() || received[0] != sent) {
        throw new IllegalStateException("receiver got " + received[0] + " of " + sent + " bytes");
      }
      return new double[] {cpu / 1e9, wall / 1e9};
    }
  }

  private static void write(Path file, int mib) throws IOException {
    byte[] chunk = new byte[MIB];
    SplittableRandom random = new SplittableRandom(42);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int i = 0; i < mib; i++) {
        for (int j = 0; j < chunk.length; j++) {
          chunk[j] = (byte) ('A' + random.nextInt(26)); // ProducerPerformance's payload alphabet
        }
        ByteBuffer b = ByteBuffer.wrap(chunk);
        while (b.hasRemaining()) {
          out.write(b);
        }
      }
    }
  }

  /** Reads the file once so that every path finds it in the page cache. */
  private static void warm(FileChannel in) throws IOException {
    ByteBuffer b = ByteBuffer.allocateDirect(MIB);
    for (long pos = 0; pos < in.size(); pos += MIB) {
      b.clear();
      readFully(in, b.limit((int) Math.min(MIB, in.size() - pos)), pos);
    }
  }

  private static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(d -> d).toArray();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static int positive(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a number");
    }
    int n = Integer.parseInt(args[i]);
    if (n <= 0) {
      throw new IllegalArgumentException(args[i - 1] + " must be positive, got " + n);
    }
    return n;
  }
}
