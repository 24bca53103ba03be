package dev.sluice.persistence.replicated;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.typesafe.config.Config;
import dev.sluice.persistence.journal.FsyncPolicy;
import dev.sluice.persistence.leveldb.LevelDbLibrary;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.cluster.ddata.DurableStore;
import org.apache.pekko.cluster.ddata.DurableStore.DurableDataEnvelope;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.iq80.leveldb.DB;
import org.iq80.leveldb.DBIterator;
import org.iq80.leveldb.Options;
import org.iq80.leveldb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.HashMap;
import scala.collection.immutable.HashMap$;

/**
 * Durable storage of Distributed Data on this node: a classic actor speaking Pekko's
 * {@link DurableStore} protocol on native LevelDB (leveldbjni), used instead of Pekko's LMDB
 * store so a Sluice node keeps one storage engine and needs no extra JVM flags.
 *
 * <p>The Replicator creates it (class named in
 * {@code pekko.cluster.distributed-data.durable.store-actor-class}) with the {@code durable}
 * config section, sends {@code LoadAll} once and then a {@code Store} for every change of a
 * durable key (its own updates and those replicated from other nodes). A {@code Store} with a
 * {@code StoreReply} is answered only after the LevelDB write returned, so a write the Replicator
 * acknowledges is on this node's disk (forced to the device when {@code fsync = always}).
 *
 * <h2>On-disk layout</h2>
 * One LevelDB database in {@code durable.sluice-leveldb.dir}; for a Replicator other than the
 * default one ({@code /system/ddataReplicator}), e.g. sharding's, in {@code <dir>-<its name>},
 * since two stores cannot share one LevelDB.
 * <pre>
 *   key:   key id, UTF-8
 *   value: formatVersion:u8 (=1) | serializerId:i32 | manifestLength:u16 | manifest:utf8 | bytes
 * </pre>
 * where {@code bytes} is the {@link DurableDataEnvelope} as its bound Pekko serializer wrote it
 * (Distributed Data's protobuf serializer, which keeps the pruning state with the data).
 *
 * <p>Runs on the Replicator's {@code durable.use-dispatcher} (a pinned thread by default), so its
 * blocking writes hold up no one else.
 */
public final class LevelDbDurableStore extends AbstractActor {
  private static final Logger LOG = LoggerFactory.getLogger(LevelDbDurableStore.class);
  static final byte FORMAT_V1 = 1;
  /** Entries per {@code LoadData} message, so a large store does not become one huge message. */
  private static final int LOAD_CHUNK = 500;

  private final Path dir;
  private final DB db;
  private final WriteOptions writeOptions;
  private final Serialization serialization;

  /** Called reflectively by the Replicator with its {@code durable} config section. */
  public LevelDbDurableStore(Config durableConfig) throws IOException {
    Config own = durableConfig.getConfig("sluice-leveldb");
    String replicatorName = getContext().getParent().path().name();
    String defaultName = getContext().getSystem().settings().config().getString("pekko.cluster.distributed-data.name");
    this.dir = directoryFor(Path.of(own.getString("dir")), replicatorName, defaultName);
    FsyncPolicy fsync = FsyncPolicy.parse(own.getString("fsync"));
    this.writeOptions = new WriteOptions().sync(fsync == FsyncPolicy.ALWAYS);
    this.serialization = SerializationExtension.get(getContext().getSystem());
    Files.createDirectories(dir); // native LevelDB does not create missing parents
    Options options = new Options().createIfMissing(true).writeBufferSize(4 << 20).cacheSize(8L << 20);
    this.db = LevelDbLibrary.open(dir, options);
    LOG.info("Opened durable distributed data {} (fsync={})", dir, fsync.name().toLowerCase());
  }

  /** Where a Replicator named {@code replicatorName} keeps its data, given the configured dir. */
  static Path directoryFor(Path configured, String replicatorName, String defaultReplicatorName) {
    return replicatorName.equals(defaultReplicatorName)
        ? configured
        : configured.resolveSibling(configured.getFileName() + "-" + replicatorName);
  }

  @Override
  public void postStop() throws IOException {
    db.close();
    LOG.info("Closed durable distributed data {}", dir);
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(DurableStore.Store.class, this::store)
        .matchEquals(DurableStore.LoadAll$.MODULE$, m -> loadAll())
        .build();
  }

  private void store(DurableStore.Store store) {
    try {
      db.put(store.key().getBytes(UTF_8), encode(store.data()), writeOptions);
    } catch (RuntimeException e) {
      LOG.error("Storing durable data [{}] in {} failed", store.key(), dir, e);
      if (store.reply().isDefined()) {
        DurableStore.StoreReply reply = store.reply().get();
        reply.replyTo().tell(reply.failureMsg(), getSelf());
      }
      return;
    }
    if (store.reply().isDefined()) {
      DurableStore.StoreReply reply = store.reply().get();
      reply.replyTo().tell(reply.successMsg(), getSelf());
    }
  }

  /**
   * Answers with {@code LoadData} chunks and one {@code LoadAllCompleted}. A value that cannot be
   * read fails the load ({@code LoadFailed}): the Replicator then stops rather than serve data
   * with holes in it.
   */
  private void loadAll() {
    long t0 = System.nanoTime();
    int total = 0;
    HashMap<String, DurableDataEnvelope> chunk = HashMap$.MODULE$.empty();
    try (DBIterator it = db.iterator()) {
      it.seekToFirst();
      while (it.hasNext()) {
        Map.Entry<byte[], byte[]> kv = it.next();
        String key = new String(kv.getKey(), UTF_8);
        chunk = chunk.updated(key, decode(key, kv.getValue()));
        total++;
        if (chunk.size() >= LOAD_CHUNK) {
          getSender().tell(new DurableStore.LoadData(chunk), getSelf());
          chunk = HashMap$.MODULE$.empty();
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new DurableStore.LoadFailed("loading durable distributed data from " + dir + " failed", e);
    }
    if (!chunk.isEmpty()) {
      getSender().tell(new DurableStore.LoadData(chunk), getSelf());
    }
    getSender().tell(DurableStore.LoadAllCompleted$.MODULE$, getSelf());
    LOG.info("Loaded {} durable distributed data entries from {} in {} ms", total, dir, (System.nanoTime() - t0) / 1_000_000);
  }

  private byte[] encode(DurableDataEnvelope envelope) {
    Serializer serializer = serialization.findSerializerFor(envelope);
    byte[] manifest = Serializers.manifestFor(serializer, envelope).getBytes(UTF_8);
    byte[] bytes = serializer.toBinary(envelope);
    return ByteBuffer.allocate(1 + 4 + 2 + manifest.length + bytes.length)
        .put(FORMAT_V1)
        .putInt(serializer.identifier())
        .putShort((short) manifest.length)
        .put(manifest)
        .put(bytes)
        .array();
  }

  private DurableDataEnvelope decode(String key, byte[] value) {
    ByteBuffer buf = ByteBuffer.wrap(value);
    byte version = buf.get();
    if (version != FORMAT_V1) {
      throw new IllegalStateException("durable data [" + key + "] has unknown format version " + version);
    }
    int serializerId = buf.getInt();
    int manifestLength = Short.toUnsignedInt(buf.getShort());
    String manifest = new String(value, buf.position(), manifestLength, UTF_8);
    buf.position(buf.position() + manifestLength);
    byte[] bytes = new byte[buf.remaining()];
    buf.get(bytes);
    return (DurableDataEnvelope) serialization.deserialize(bytes, serializerId, manifest).get();
  }
}
