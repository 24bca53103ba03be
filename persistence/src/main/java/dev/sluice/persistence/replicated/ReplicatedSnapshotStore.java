package dev.sluice.persistence.replicated;

import dev.sluice.persistence.ScalaFutures;
import com.typesafe.config.Config;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiPredicate;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.snapshot.japi.SnapshotStore;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import scala.concurrent.Future;

/**
 * A Pekko Persistence snapshot store for cluster metadata, in Distributed Data on every node
 * (durably), companion of {@link ReplicatedJournal}: an entity restarted on another node finds
 * its latest snapshot there.
 *
 * <h2>Layout: only the latest snapshot of each persistence id</h2>
 * One {@link LWWMap} per persistence id, key {@code sluice-meta-s-<persistenceId>}, holding one
 * entry: {@code sequenceNr -> MetadataEntryCodec bytes} (the snapshot's timestamp is in them).
 * Saving a snapshot replaces the stored one unless that one has a higher sequence number (then the
 * save changes nothing: the older snapshot could never be chosen by a recovery that can see the
 * newer one).
 *
 * <h2>Selection criteria</h2>
 * Loading returns the stored snapshot only if it matches the criteria (max/min sequence number
 * and timestamp); otherwise none, even if an older snapshot once matched. So a recovery bounded
 * below the latest snapshot ({@code Recovery.withSnapshotSelectionCriteria}, or Pekko's retry
 * after a snapshot that failed to load) replays from the start of the journal, which works only
 * while those events have not been deleted. Deleting by criteria or by metadata removes the
 * stored snapshot if it matches (a metadata timestamp of 0 matches any). Snapshot metadata
 * ({@code SnapshotMetadata.metadata}) is not stored.
 *
 * <p>Consistency as in {@link ReplicatedJournal}: {@code WriteMajority}/{@code ReadMajority} with
 * {@code min-cap}, nothing read or written below {@code min-cap} replicas. Configured under
 * {@code sluice.persistence.replicated-snapshot-store} (reference.conf).
 */
public final class ReplicatedSnapshotStore extends SnapshotStore {
  /** Prefix of the Distributed Data key of a persistence id's snapshot. */
  public static final String KEY_PREFIX = "sluice-meta-s-";

  private final QuorumReplicator replicas;
  private final Serialization serialization;
  private final Executor executor;

  public ReplicatedSnapshotStore(Config config) {
    this.replicas = new QuorumReplicator(context().system(), QuorumReplicator.Settings.fromConfig(config));
    this.serialization = SerializationExtension.get(context().system());
    this.executor = context().dispatcher();
  }

  static Key<LWWMap<Long, byte[]>> keyFor(String persistenceId) {
    return LWWMapKey.create(KEY_PREFIX + persistenceId);
  }

  @Override
  public Future<Optional<SelectedSnapshot>> doLoadAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return ScalaFutures.unwrapped(
        replicas
            .read(keyFor(persistenceId))
            .thenApplyAsync(stored -> stored.flatMap(map -> select(persistenceId, map, criteria)), executor));
  }

  private Optional<SelectedSnapshot> select(String persistenceId, LWWMap<Long, byte[]> map, SnapshotSelectionCriteria criteria) {
    for (Map.Entry<Long, byte[]> e : new TreeMap<>(map.getEntries()).descendingMap().entrySet()) {
      SnapshotMetadata metadata = new SnapshotMetadata(persistenceId, e.getKey(), MetadataEntryCodec.timestamp(e.getValue()));
      if (criteria.matches(metadata)) {
        return Optional.of(new SelectedSnapshot(metadata, MetadataEntryCodec.decode(serialization, e.getValue()).payload()));
      }
    }
    return Optional.empty();
  }

  @Override
  public Future<Void> doSaveAsync(SnapshotMetadata metadata, Object snapshot) {
    byte[] bytes;
    try {
      bytes = MetadataEntryCodec.encode(serialization, snapshot, "", "", metadata.timestamp());
    } catch (RuntimeException e) {
      return ScalaFutures.unwrapped(CompletableFuture.failedFuture(e));
    }
    long sequenceNr = metadata.sequenceNr();
    SelfUniqueAddress self = replicas.selfUniqueAddress();
    return ScalaFutures.unwrapped(
        replicas.update(keyFor(metadata.persistenceId()), LWWMap.<Long, byte[]>create(), map -> keepLatest(map, sequenceNr, bytes, self)));
  }

  /** Runs inside the Replicator: pure. */
  static LWWMap<Long, byte[]> keepLatest(LWWMap<Long, byte[]> map, long sequenceNr, byte[] bytes, SelfUniqueAddress self) {
    for (Long stored : map.getEntries().keySet()) {
      if (stored > sequenceNr) {
        return map;
      }
    }
    LWWMap<Long, byte[]> out = map.put(self, sequenceNr, bytes);
    for (Long stored : map.getEntries().keySet()) {
      if (stored != sequenceNr) {
        out = out.remove(self, stored);
      }
    }
    return out;
  }

  @Override
  public Future<Void> doDeleteAsync(SnapshotMetadata metadata) {
    long sequenceNr = metadata.sequenceNr();
    long timestamp = metadata.timestamp();
    return delete(metadata.persistenceId(), (seq, ts) -> seq == sequenceNr && (timestamp == 0L || ts == timestamp));
  }

  @Override
  public Future<Void> doDeleteAsync(String persistenceId, SnapshotSelectionCriteria criteria) {
    return delete(persistenceId, (seq, ts) -> criteria.matches(new SnapshotMetadata(persistenceId, seq, ts)));
  }

  private Future<Void> delete(String persistenceId, BiPredicate<Long, Long> matches) {
    SelfUniqueAddress self = replicas.selfUniqueAddress();
    return ScalaFutures.unwrapped(
        replicas.update(
            keyFor(persistenceId),
            LWWMap.<Long, byte[]>create(),
            map -> {
              LWWMap<Long, byte[]> out = map;
              for (Map.Entry<Long, byte[]> e : map.getEntries().entrySet()) {
                if (matches.test(e.getKey(), MetadataEntryCodec.timestamp(e.getValue()))) {
                  out = out.remove(self, e.getKey());
                }
              }
              return out;
            }));
  }
}
