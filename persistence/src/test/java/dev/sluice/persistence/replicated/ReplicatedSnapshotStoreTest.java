package dev.sluice.persistence.replicated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.DeleteSnapshotSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.OptionConverters;

/**
 * {@link ReplicatedSnapshotStore} through Pekko's snapshot protocol on a one-node cluster: it
 * keeps the latest snapshot only, and loads and deletes by selection criteria.
 */
class ReplicatedSnapshotStoreTest {
  private static final Duration REPLY = Duration.ofSeconds(10);
  private static final String PID = "snapshots-1";

  @TempDir Path tmp;
  private MetadataNodes nodes;
  private TestProbe<Object> probe;
  private ActorRef store;

  @BeforeEach
  void start() {
    nodes = new MetadataNodes(1);
    ActorTestKit node = nodes.start(tmp.resolve("a"), null);
    nodes.awaitUp(node);
    probe = node.createTestProbe();
    store = Persistence.get(Adapter.toClassic(node.system())).snapshotStoreFor(Counter.SNAPSHOTS, ConfigFactory.empty());
  }

  @AfterEach
  void stop() {
    nodes.close();
  }

  @Test
  void keepsTheLatestSnapshotAndHonoursSelectionCriteria() {
    SnapshotMetadata ten = save(10, "ten");
    assertEquals(Optional.of(new SelectedSnapshot(ten, "ten")), load(SnapshotSelectionCriteria.latest()), "latest");
    assertEquals(Optional.empty(), load(SnapshotSelectionCriteria.create(9, Long.MAX_VALUE)), "below its sequence number");
    assertEquals(Optional.empty(), load(SnapshotSelectionCriteria.create(Long.MAX_VALUE, ten.timestamp() - 1)), "before its timestamp");

    save(5, "five");
    assertEquals(Optional.of(new SelectedSnapshot(ten, "ten")), load(SnapshotSelectionCriteria.latest()), "an older snapshot does not replace a newer one");

    SnapshotMetadata twelve = save(12, "twelve");
    assertEquals(Optional.of(new SelectedSnapshot(twelve, "twelve")), load(SnapshotSelectionCriteria.latest()), "a newer one does");
    assertEquals(Optional.empty(), load(SnapshotSelectionCriteria.create(11, Long.MAX_VALUE)), "only the latest is kept");

    SnapshotSelectionCriteria upTo11 = SnapshotSelectionCriteria.create(11, Long.MAX_VALUE);
    store.tell(new SnapshotProtocol.DeleteSnapshots(PID, upTo11), Adapter.toClassic(probe.ref()));
    probe.expectMessageClass(DeleteSnapshotsSuccess.class, REPLY);
    assertTrue(load(SnapshotSelectionCriteria.latest()).isPresent(), "criteria that do not match keep the snapshot");

    store.tell(new SnapshotProtocol.DeleteSnapshot(new SnapshotMetadata(PID, 12, twelve.timestamp() + 1)), Adapter.toClassic(probe.ref()));
    probe.expectMessageClass(DeleteSnapshotSuccess.class, REPLY);
    assertTrue(load(SnapshotSelectionCriteria.latest()).isPresent(), "metadata with another timestamp keeps the snapshot");

    store.tell(new SnapshotProtocol.DeleteSnapshot(new SnapshotMetadata(PID, 12, 0)), Adapter.toClassic(probe.ref()));
    probe.expectMessageClass(DeleteSnapshotSuccess.class, REPLY);
    assertEquals(Optional.empty(), load(SnapshotSelectionCriteria.latest()), "deleted by its metadata (timestamp 0 matches any)");
  }

  /** Saves a snapshot; returns its metadata with the timestamp the store gave it. */
  private SnapshotMetadata save(long sequenceNr, String snapshot) {
    store.tell(new SnapshotProtocol.SaveSnapshot(new SnapshotMetadata(PID, sequenceNr, 0), snapshot), Adapter.toClassic(probe.ref()));
    return probe.expectMessageClass(SaveSnapshotSuccess.class, REPLY).metadata();
  }

  private Optional<SelectedSnapshot> load(SnapshotSelectionCriteria criteria) {
    store.tell(new SnapshotProtocol.LoadSnapshot(PID, criteria, Long.MAX_VALUE), Adapter.toClassic(probe.ref()));
    return OptionConverters.toJava(probe.expectMessageClass(SnapshotProtocol.LoadSnapshotResult.class, REPLY).snapshot());
  }
}
