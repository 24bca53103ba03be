package dev.sluice.persistence.replicated;

import dev.sluice.persistence.ScalaFutures;
import com.typesafe.config.Config;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.persistence.journal.japi.AsyncWriteJournal;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A Pekko Persistence journal for cluster metadata whose events live in Distributed Data on
 * every node, durably, so the entity can be restarted on any surviving node and recover every
 * acknowledged event.
 *
 * <h2>Layout</h2>
 * One {@link LWWMap} per persistence id, key {@code sluice-meta-j-<persistenceId>}:
 * <pre>
 *   sequenceNr (1, 2, ...) -&gt; MetadataEntryCodec bytes of the event
 *   0                      -&gt; highest sequence number deleted so far, i64 big-endian (absent
 *                             until the first deletion)
 * </pre>
 * The highest sequence number is the larger of entry {@code 0} and the largest event key, so it
 * survives the deletion of every event (Pekko Persistence never reuses sequence numbers).
 *
 * <h2>Consistency</h2>
 * Writes are {@code Update}s with {@code WriteMajority(write-timeout, min-cap)}, acknowledged to
 * the entity only after a majority of replicas (at least {@code min-cap}) have applied them, this
 * node's durable store included. Recovery reads ({@code ReplayMessages}, highest sequence number)
 * use {@code ReadMajority(read-timeout, min-cap)}, which meets every acknowledged write in at
 * least one replica. Below {@code min-cap} known replicas nothing is read or written (see
 * {@link QuorumReplicator}). A write that times out was applied locally and may still spread: its
 * outcome is unknown, as with any journal whose write fails.
 *
 * <p>Assumes one writer per persistence id at a time (Cluster Sharding's guarantee); replays may
 * run on any node. Event tags are dropped (no tag queries). Every event of a persistence id sits in
 * one value held in memory on every node: meant for small metadata entities that snapshot and
 * delete old events, not for bulk data.
 *
 * <p>Configured under {@code sluice.persistence.replicated-journal} (reference.conf).
 */
public final class ReplicatedJournal extends AsyncWriteJournal {
  /** Prefix of the Distributed Data key of a persistence id's events. */
  public static final String KEY_PREFIX = "sluice-meta-j-";
  /** Map entry holding the highest sequence number across deletions. */
  static final long HIGHEST_DELETED_ENTRY = 0L;

  private final QuorumReplicator replicas;
  private final Serialization serialization;
  private final Executor executor;

  public ReplicatedJournal(Config config) {
    this.replicas = new QuorumReplicator(context().system(), QuorumReplicator.Settings.fromConfig(config));
    this.serialization = SerializationExtension.get(context().system());
    this.executor = context().dispatcher();
  }

  static Key<LWWMap<Long, byte[]>> keyFor(String persistenceId) {
    return LWWMapKey.create(KEY_PREFIX + persistenceId);
  }

  @Override
  public Future<Iterable<Optional<Exception>>> doAsyncWriteMessages(Iterable<AtomicWrite> messages) {
    List<Optional<Exception>> results = new ArrayList<>();
    Map<String, TreeMap<Long, byte[]>> byPersistenceId = new LinkedHashMap<>();
    for (AtomicWrite write : messages) {
      TreeMap<Long, byte[]> encoded = new TreeMap<>();
      Exception rejected = null;
      for (PersistentRepr repr : CollectionConverters.asJava(write.payload())) {
        try {
          encoded.put(repr.sequenceNr(), encode(repr));
        } catch (Exception e) {
          rejected = e; // serialization failure: reject this write only, the entity keeps running
          break;
        }
      }
      results.add(Optional.ofNullable(rejected));
      if (rejected == null) {
        byPersistenceId.computeIfAbsent(write.persistenceId(), pid -> new TreeMap<>()).putAll(encoded);
      }
    }
    SelfUniqueAddress self = replicas.selfUniqueAddress();
    List<CompletableFuture<Void>> updates = new ArrayList<>();
    byPersistenceId.forEach(
        (pid, events) ->
            updates.add(
                replicas
                    .update(keyFor(pid), LWWMap.<Long, byte[]>create(), map -> append(map, events, self))
                    .toCompletableFuture()));
    CompletionStage<Iterable<Optional<Exception>>> all =
        CompletableFuture.allOf(updates.toArray(CompletableFuture[]::new)).thenApply(v -> results);
    return ScalaFutures.unwrapped(all);
  }

  private byte[] encode(PersistentRepr repr) {
    Object payload = repr.payload();
    if (payload instanceof Tagged tagged) {
      payload = tagged.payload(); // tags are not indexed by this journal
    }
    return MetadataEntryCodec.encode(serialization, payload, repr.manifest(), repr.writerUuid(), repr.timestamp());
  }

  /** Runs inside the Replicator: pure. */
  static LWWMap<Long, byte[]> append(LWWMap<Long, byte[]> map, TreeMap<Long, byte[]> events, SelfUniqueAddress self) {
    LWWMap<Long, byte[]> out = map;
    for (Map.Entry<Long, byte[]> e : events.entrySet()) {
      out = out.put(self, e.getKey(), e.getValue());
    }
    return out;
  }

  /** Runs inside the Replicator: pure. Removes events up to {@code toSequenceNr}, keeps the highest. */
  static LWWMap<Long, byte[]> deleteUpTo(LWWMap<Long, byte[]> map, long toSequenceNr, SelfUniqueAddress self) {
    long highest = highestSequenceNr(map);
    LWWMap<Long, byte[]> out = map;
    boolean removed = false;
    for (Long seq : map.getEntries().keySet()) {
      if (seq != HIGHEST_DELETED_ENTRY && seq <= toSequenceNr) {
        out = out.remove(self, seq);
        removed = true;
      }
    }
    if (removed && highest > highestDeleted(map)) {
      out = out.put(self, HIGHEST_DELETED_ENTRY, ByteBuffer.allocate(8).putLong(highest).array());
    }
    return out;
  }

  /** The highest sequence number ever written to {@code map}, 0 if none. */
  static long highestSequenceNr(LWWMap<Long, byte[]> map) {
    long highest = highestDeleted(map);
    for (Long seq : map.getEntries().keySet()) {
      highest = Math.max(highest, seq);
    }
    return highest;
  }

  private static long highestDeleted(LWWMap<Long, byte[]> map) {
    byte[] marker = map.getEntries().get(HIGHEST_DELETED_ENTRY);
    return marker == null ? 0L : ByteBuffer.wrap(marker).getLong();
  }

  @Override
  public Future<Void> doAsyncDeleteMessagesTo(String persistenceId, long toSequenceNr) {
    SelfUniqueAddress self = replicas.selfUniqueAddress();
    return ScalaFutures.unwrapped(
        replicas.update(
            keyFor(persistenceId), LWWMap.<Long, byte[]>create(), map -> deleteUpTo(map, toSequenceNr, self)));
  }

  @Override
  public Future<Void> doAsyncReplayMessages(
      String persistenceId, long fromSequenceNr, long toSequenceNr, long max, Consumer<PersistentRepr> callback) {
    CompletionStage<Void> replayed =
        replicas
            .read(keyFor(persistenceId))
            .thenAcceptAsync(
                stored -> stored.ifPresent(map -> replay(persistenceId, map, fromSequenceNr, toSequenceNr, max, callback)),
                executor);
    return ScalaFutures.unwrapped(replayed);
  }

  private void replay(
      String persistenceId, LWWMap<Long, byte[]> map, long from, long to, long max, Consumer<PersistentRepr> callback) {
    TreeMap<Long, byte[]> events = new TreeMap<>(map.getEntries());
    events.remove(HIGHEST_DELETED_ENTRY);
    long lo = Math.max(from, 1L);
    if (lo > to) {
      return;
    }
    long remaining = max;
    for (Map.Entry<Long, byte[]> e : events.subMap(lo, true, to, true).entrySet()) {
      if (remaining-- <= 0) {
        break;
      }
      MetadataEntryCodec.Decoded d = MetadataEntryCodec.decode(serialization, e.getValue());
      callback.accept(
          PersistentRepr.apply(d.payload(), e.getKey(), persistenceId, d.adapterManifest(), false, null, d.writerUuid())
              .withTimestamp(d.timestamp()));
    }
  }

  @Override
  public Future<Long> doAsyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
    return ScalaFutures.unwrapped(
        replicas.read(keyFor(persistenceId)).thenApply(stored -> stored.map(ReplicatedJournal::highestSequenceNr).orElse(0L)));
  }
}
