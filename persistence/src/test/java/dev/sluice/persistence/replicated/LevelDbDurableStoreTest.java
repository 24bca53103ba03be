package dev.sluice.persistence.replicated;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ddata.DurableStore;
import org.apache.pekko.cluster.ddata.DurableStore.DurableDataEnvelope;
import org.apache.pekko.cluster.ddata.GCounter;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.testkit.javadsl.TestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.Option;
import scala.jdk.javaapi.CollectionConverters;

/** {@link LevelDbDurableStore} on real LevelDB: what it stores is what a new instance loads. */
class LevelDbDurableStoreTest {
  private static final Duration REPLY = Duration.ofSeconds(10);

  @TempDir Path tmp;
  private ActorSystem system;
  private SelfUniqueAddress self;

  @BeforeEach
  void start() {
    system = ActorSystem.create("durable-store-test", TestSystems.config(tmp.resolve("node")));
    self = new SelfUniqueAddress(Cluster.get(system).selfUniqueAddress());
  }

  @AfterEach
  void stop() {
    TestKit.shutdownActorSystem(system);
  }

  @Test
  void storedEntriesAreLoadedByTheNextInstance() {
    Path dir = tmp.resolve("not/yet/there/metadata"); // parents created by the store
    Config durable = durableConfig(dir, "always");
    TestKit probe = new TestKit(system);
    ActorRef replyTo = probe.getRef();

    ActorRef first = system.actorOf(Props.create(LevelDbDurableStore.class, durable));
    first.tell(DurableStore.LoadAll$.MODULE$, replyTo);
    probe.expectMsgEquals(REPLY, DurableStore.LoadAllCompleted$.MODULE$); // empty: nothing loaded

    LWWMap<Long, byte[]> events = LWWMap.<Long, byte[]>create().put(self, 1L, bytes("one"));
    first.tell(store("sluice-meta-j-a", new DurableDataEnvelope(events), "stored-1", replyTo), ActorRef.noSender());
    probe.expectMsgEquals(REPLY, "stored-1");
    first.tell(store("sluice-meta-j-a", new DurableDataEnvelope(events.put(self, 2L, bytes("two"))), "stored-2", replyTo), ActorRef.noSender());
    probe.expectMsgEquals(REPLY, "stored-2");
    GCounter counter = GCounter.create().increment(self, 42);
    first.tell(new DurableStore.Store("sluice-meta-other", new DurableDataEnvelope(counter), Option.empty()), ActorRef.noSender());
    probe.watch(first);
    first.tell(PoisonPill.getInstance(), ActorRef.noSender()); // after the stores: the mailbox is ordered
    probe.expectTerminated(REPLY, first);

    ActorRef second = system.actorOf(Props.create(LevelDbDurableStore.class, durable));
    second.tell(DurableStore.LoadAll$.MODULE$, replyTo);
    Map<String, DurableDataEnvelope> loaded = new HashMap<>();
    Object msg;
    while ((msg = probe.receiveOne(REPLY)) instanceof DurableStore.LoadData data) {
      loaded.putAll(CollectionConverters.asJava(data.data()));
    }
    assertEquals(DurableStore.LoadAllCompleted$.MODULE$, msg, "LoadData chunks end with LoadAllCompleted");
    assertEquals(Set.of("sluice-meta-j-a", "sluice-meta-other"), loaded.keySet(), "keys loaded");

    @SuppressWarnings("unchecked")
    Map<Long, byte[]> entries = ((LWWMap<Long, byte[]>) loaded.get("sluice-meta-j-a").data()).getEntries();
    assertEquals(Set.of(1L, 2L), entries.keySet(), "the last stored value of the key");
    assertArrayEquals(bytes("two"), entries.get(2L));
    assertEquals(42L, ((GCounter) loaded.get("sluice-meta-other").data()).getValue().longValue(), "a store without reply is stored too");
    assertTrue(Files.isDirectory(LevelDbDurableStore.directoryFor(dir, "user", "ddataReplicator")), "a store under /user uses <dir>-user");
  }

  @Test
  void onlyTheDefaultReplicatorUsesTheConfiguredDirectory() {
    Path dir = Path.of("/data/metadata");
    assertEquals(dir, LevelDbDurableStore.directoryFor(dir, "ddataReplicator", "ddataReplicator"));
    assertEquals(Path.of("/data/metadata-replicator"), LevelDbDurableStore.directoryFor(dir, "replicator", "ddataReplicator"));
  }

  private static Config durableConfig(Path dir, String fsync) {
    return ConfigFactory.parseString(
        "sluice-leveldb { dir = \"" + dir.toString().replace("\\", "/") + "\", fsync = " + fsync + " }");
  }

  private static DurableStore.Store store(String key, DurableDataEnvelope data, String success, ActorRef replyTo) {
    return new DurableStore.Store(key, data, Option.apply(new DurableStore.StoreReply(success, "failed: " + success, replyTo)));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }
}
