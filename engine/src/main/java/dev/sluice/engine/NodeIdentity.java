package dev.sluice.engine;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalInt;

/**
 * A node's claim on its data directory: an exclusive lock (one process per data directory) and
 * the node id recorded in {@code node.id} on first start. A later start with a different id is
 * refused: a data directory holds one node's logs and is never served under another name.
 */
final class NodeIdentity implements AutoCloseable {
  static final String ID_FILE = "node.id";
  static final String LOCK_FILE = ".lock";
  static final String CLUSTER_ID_FILE = "cluster.id";

  private final int nodeId;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private NodeIdentity(int nodeId, FileChannel lockChannel, FileLock lock) {
    this.nodeId = nodeId;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Locks {@code dataDir} (creating it) and settles the node id: the recorded one, which must
   * equal {@code requested} when both exist; else {@code requested}, else {@code defaultId}.
   *
   * @throws IllegalStateException if another process holds the directory or the ids disagree
   */
  static NodeIdentity claim(Path dataDir, OptionalInt requested, int defaultId) throws IOException {
    Files.createDirectories(dataDir);
    FileChannel channel =
        FileChannel.open(dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new IllegalStateException("data directory " + dataDir + " is in use by another Sluice node");
    }
    try {
      Path idFile = dataDir.resolve(ID_FILE);
      int id;
      if (Files.exists(idFile)) {
        int recorded = Integer.parseInt(Files.readString(idFile, UTF_8).trim());
        if (requested.isPresent() && requested.getAsInt() != recorded) {
          throw new IllegalStateException(
              "data directory " + dataDir + " belongs to node " + recorded + ", not node " + requested.getAsInt()
                  + ": start it with --node-id " + recorded + " or use another data directory");
        }
        id = recorded;
      } else {
        id = requested.orElse(defaultId);
        writeAtomically(idFile, Integer.toString(id));
      }
      return new NodeIdentity(id, channel, lock);
    } catch (IOException | RuntimeException e) {
      lock.release();
      channel.close();
      throw e;
    }
  }

  int nodeId() {
    return nodeId;
  }

  /** The Kafka cluster id, recorded in the data directory on first start. */
  static String clusterId(Path dataDir) throws IOException {
    Path file = dataDir.resolve(CLUSTER_ID_FILE);
    if (Files.exists(file)) {
      return Files.readString(file, UTF_8).trim();
    }
    String id = org.apache.kafka.common.Uuid.randomUuid().toString();
    writeAtomically(file, id);
    return id;
  }

  /** Writes {@code value} and a newline to {@code file} via a rename, so a crash leaves old or new. */
  private static void writeAtomically(Path file, String value) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, value + "\n", UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public synchronized void close() throws IOException {
    if (lock.isValid()) {
      lock.release();
    }
    lockChannel.close();
  }
}
