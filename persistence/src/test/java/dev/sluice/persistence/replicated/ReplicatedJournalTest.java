package dev.sluice.persistence.replicated;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ddata.DistributedData;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.Replicator;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentRepr;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The replicated journal (with its snapshot store and LevelDB durable store) on real clusters of
 * ActorSystems on 127.0.0.1: an entity survives the loss of the node that wrote it and a restart
 * of the whole cluster, deletions keep the highest sequence number, and writes that cannot reach
 * the metadata quorum fail instead of being acknowledged.
 */
class ReplicatedJournalTest {
  private static final Duration REPLY = Duration.ofSeconds(10);

  @TempDir Path tmp;
  private MetadataNodes nodes;

  @AfterEach
  void stopNodes() {
    if (nodes != null) {
      nodes.close();
    }
  }

  @Test
  void acknowledgedEventsSurviveTheWriterNodeAndAFullClusterRestart() {
    nodes = new MetadataNodes(2);
    Path dirA = tmp.resolve("a");
    Path dirB = tmp.resolve("b");
    Path dirC = tmp.resolve("c");
    ActorTestKit a = nodes.start(dirA, null);
    ActorTestKit b = nodes.start(dirB, a);
    ActorTestKit c = nodes.start(dirC, a);
    nodes.awaitUp(a, b, c);

    // node B writes 7 events (a snapshot at 5), then crashes and is downed
    add(b, "counter-1", 1, 7);
    nodes.crashAndDown(b, a);
    nodes.awaitUp(a, c);

    // node C recovers every acknowledged event, and goes on writing (a snapshot at 10)
    assertEquals(new Counter.Reading(28, 7, 7), get(c, "counter-1"), "state recovered on C after B crashed");
    assertEquals(new Counter.Reading(78, 12, 12), add(c, "counter-1", 8, 12), "state after C wrote 8..12");

    // deleting on snapshot removed the events the snapshots cover; the snapshot store holds only the latest
    TreeMap<Long, byte[]> journal = localEntries(c, ReplicatedJournal.keyFor("counter-1"));
    assertTrue(journal.keySet().stream().filter(s -> s != 0).allMatch(s -> s > 5), "events <= 5 deleted, left: " + journal.keySet());
    assertEquals(12L, journal.lastKey(), "events in the journal: " + journal.keySet());
    assertEquals(List.of(10L), List.copyOf(localEntries(c, ReplicatedSnapshotStore.keyFor("counter-1")).keySet()), "stored snapshots");

    // whole cluster down, then three new systems on the same data directories
    nodes.crash(a);
    nodes.crash(c);
    ActorTestKit a2 = nodes.start(dirA, null);
    ActorTestKit b2 = nodes.start(dirB, a2);
    ActorTestKit c2 = nodes.start(dirC, a2);
    nodes.awaitUp(a2, b2, c2);

    // B's own disk stopped at event 7; the majority read finds the rest on A and C
    assertEquals(new Counter.Reading(78, 12, 12), get(b2, "counter-1"), "state recovered on B after a full restart");
    assertEquals(new Counter.Reading(91, 13, 13), add(b2, "counter-1", 13, 13), "state after B wrote 13");
  }

  @Test
  void writeBelowTheMetadataQuorumFailsAndLeavesNothingBehind() {
    nodes = new MetadataNodes(2);
    ActorTestKit a = nodes.start(tmp.resolve("a"), null);
    nodes.awaitUp(a);
    TestProbe<Object> probe = a.createTestProbe();
    org.apache.pekko.actor.ActorRef journal = Persistence.get(Adapter.toClassic(a.system())).journalFor(Counter.JOURNAL, com.typesafe.config.ConfigFactory.empty());

    // alone, with a quorum of 2: the write is refused, not acknowledged
    journal.tell(writeMessages("lonely", 1, Adapter.toClassic(probe.ref())), Adapter.toClassic(probe.ref()));
    JournalProtocol.WriteMessagesFailed failed = probe.expectMessageClass(JournalProtocol.WriteMessagesFailed.class, REPLY);
    assertInstanceOf(MetadataUnavailableException.class, failed.cause(), "cause: " + failed.cause());
    probe.expectMessageClass(JournalProtocol.WriteMessageFailure.class, REPLY);
    assertEquals(
        Replicator.NotFound.class,
        localGet(a, ReplicatedJournal.keyFor("lonely")).getClass(),
        "a refused write leaves nothing in the local replica");

    // and an entity cannot even recover: reading alone could return stale metadata
    ActorRef<Counter.Command> entity = a.spawn(Counter.create("lonely"));
    probe.expectTerminated(entity, REPLY);

    // with a second node the quorum is there and the same write is acknowledged
    ActorTestKit b = nodes.start(tmp.resolve("b"), a);
    nodes.awaitUp(a, b);
    journal.tell(writeMessages("lonely", 1, Adapter.toClassic(probe.ref())), Adapter.toClassic(probe.ref()));
    probe.expectMessageClass(JournalProtocol.WriteMessagesSuccessful$.class, REPLY);
    probe.expectMessageClass(JournalProtocol.WriteMessageSuccess.class, REPLY);
    assertEquals(new Counter.Reading(5, 1, 1), get(b, "lonely"), "the acknowledged event, read on the other node");

    // B crashes and nobody downs it: the quorum is nominally there, but no majority acknowledges
    nodes.crash(b);
    journal.tell(writeMessages("lonely", 2, Adapter.toClassic(probe.ref())), Adapter.toClassic(probe.ref()));
    failed = probe.expectMessageClass(JournalProtocol.WriteMessagesFailed.class, REPLY);
    assertInstanceOf(MetadataUnavailableException.class, failed.cause(), "cause: " + failed.cause());
    assertTrue(failed.cause().getMessage().contains("not acknowledged by a majority"), failed.cause().getMessage());
    probe.expectMessageClass(JournalProtocol.WriteMessageFailure.class, REPLY);
  }

  @Test
  void deletingEveryEventKeepsTheHighestSequenceNumber() {
    nodes = new MetadataNodes(1);
    ActorTestKit a = nodes.start(tmp.resolve("a"), null);
    nodes.awaitUp(a);
    add(a, "counter-2", 1, 3);

    TestProbe<Object> probe = a.createTestProbe();
    org.apache.pekko.actor.ActorRef journal = Persistence.get(Adapter.toClassic(a.system())).journalFor(Counter.JOURNAL, com.typesafe.config.ConfigFactory.empty());
    org.apache.pekko.actor.ActorRef replyTo = Adapter.toClassic(probe.ref());
    journal.tell(new JournalProtocol.DeleteMessagesTo("counter-2", Long.MAX_VALUE, replyTo), replyTo);
    probe.expectMessageClass(org.apache.pekko.persistence.DeleteMessagesSuccess.class, REPLY);

    journal.tell(new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, Long.MAX_VALUE, "counter-2", replyTo), replyTo);
    JournalProtocol.RecoverySuccess recovered = probe.expectMessageClass(JournalProtocol.RecoverySuccess.class, REPLY);
    assertEquals(3, recovered.highestSequenceNr(), "highest sequence number after deleting every event");

    // a new incarnation starts empty (no snapshot yet) but continues the sequence numbers
    assertEquals(new Counter.Reading(4, 1, 4), add(a, "counter-2", 4, 4), "first write after the deletion");
  }

  /** Sends Add(from..to) to a fresh incarnation of the entity on {@code node}, stops it, returns the last reply. */
  private static Counter.Reading add(ActorTestKit node, String persistenceId, int from, int to) {
    TestProbe<Counter.Reading> probe = node.createTestProbe();
    ActorRef<Counter.Command> entity = node.spawn(Counter.create(persistenceId));
    Counter.Reading last = null;
    for (int i = from; i <= to; i++) {
      entity.tell(new Counter.Add(i, probe.ref()));
      last = probe.expectMessageClass(Counter.Reading.class, REPLY);
    }
    stop(node, entity);
    return last;
  }

  /** Recovers the entity on {@code node}, reads it and stops it. */
  private static Counter.Reading get(ActorTestKit node, String persistenceId) {
    TestProbe<Counter.Reading> probe = node.createTestProbe();
    ActorRef<Counter.Command> entity = node.spawn(Counter.create(persistenceId));
    entity.tell(new Counter.Get(probe.ref()));
    Counter.Reading reading = probe.expectMessageClass(Counter.Reading.class, REPLY);
    stop(node, entity);
    return reading;
  }

  private static void stop(ActorTestKit node, ActorRef<?> entity) {
    node.stop(entity, REPLY); // one writer per persistence id: the next incarnation starts after this one stopped
  }

  private static JournalProtocol.WriteMessages writeMessages(String persistenceId, long sequenceNr, org.apache.pekko.actor.ActorRef sender) {
    PersistentRepr repr =
        PersistentRepr.apply(new Counter.Added(5), sequenceNr, persistenceId, "", false, sender, "test-writer");
    List<org.apache.pekko.persistence.PersistentEnvelope> writes = List.of(AtomicWrite.apply(repr));
    return new JournalProtocol.WriteMessages(CollectionConverters.asScala(writes).toList(), sender, 1);
  }

  private static Object localGet(ActorTestKit node, Key<LWWMap<Long, byte[]>> key) {
    TestProbe<Object> probe = node.createTestProbe();
    DistributedData.get(Adapter.toClassic(node.system()))
        .replicator()
        .tell(new Replicator.Get<>(key, Replicator.readLocal()), Adapter.toClassic(probe.ref()));
    return probe.receiveMessage(REPLY);
  }

  @SuppressWarnings("unchecked")
  private static TreeMap<Long, byte[]> localEntries(ActorTestKit node, Key<LWWMap<Long, byte[]>> key) {
    Object reply = localGet(node, key);
    assertInstanceOf(Replicator.GetSuccess.class, reply, "local value of " + key.id());
    return new TreeMap<>(((Replicator.GetSuccess<LWWMap<Long, byte[]>>) reply).dataValue().getEntries());
  }
}
