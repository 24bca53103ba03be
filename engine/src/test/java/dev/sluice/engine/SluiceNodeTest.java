package dev.sluice.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.persistence.batch.LogRecord;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node boots, serves topics and partitions, keeps its identity and data across restarts. */
class SluiceNodeTest {
  static final Duration ASK = Duration.ofSeconds(30);
  @TempDir Path dataDir;

  static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void topicsAndRecordsSurviveARestart() throws Exception {
    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      TopicRegistry.TopicResult created =
          await(node.registry().<TopicRegistry.TopicResult>ask(r -> new TopicRegistry.CreateTopic("orders", 3, Map.of("retention.ms", "-1"), r), ASK));
      assertEquals(TopicError.NONE, created.error(), created.message());
      for (int p = 0; p < 3; p++) {
        int partition = p;
        PartitionEntity.AppendResult appended =
            await(node.partition("orders", p).<PartitionEntity.AppendResult>ask(
                r -> PartitionEntity.Append.of(List.of(LogRecord.of(1, null, ("p" + partition).getBytes(UTF_8))), r), ASK));
        assertEquals(PartitionError.NONE, appended.error());
        assertEquals(0, appended.baseOffset());
      }
      assertEquals(1, node.nodeId());
    }
    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      TopicRegistry.TopicList topics = await(node.registry().<TopicRegistry.TopicList>ask(TopicRegistry.ListTopics::new, ASK));
      assertEquals(List.of("orders"), topics.topics().stream().map(t -> t.name()).toList());
      assertEquals(-1, topics.topics().get(0).config().retentionMs());
      PartitionEntity.FetchResult f =
          await(node.partition("orders", 2).<PartitionEntity.FetchResult>ask(r -> new PartitionEntity.Fetch(0, 1024, 1, 0, r), ASK));
      assertEquals("p2", new String(f.records(0).get(0).value(), UTF_8));
    }
  }

  /**
   * A node whose partitions journal to another plugin (Pekko's own LevelDB journal, as the
   * partition-log benchmark compares) starts and appends: the start waits only for Sluice's.
   */
  @Test
  void aNodeStartsOnPekkosOwnLevelDbJournal() throws Exception {
    Path stock = dataDir.resolve("stock-journal");
    Files.createDirectories(stock);
    Path conf = dataDir.resolve("stock.conf");
    Files.writeString(
        conf,
        "pekko.persistence.journal.plugin = \"pekko.persistence.journal.leveldb\"\n"
            + "pekko.persistence.journal.leveldb.dir = \"" + stock + "\"\n"
            + "pekko.persistence.journal.leveldb.native = on\n");
    NodeSettings settings =
        new NodeSettings(dataDir.resolve("node"), java.util.OptionalInt.empty(), java.util.OptionalInt.of(0), java.util.OptionalInt.of(0), java.util.Optional.of(conf));
    try (SluiceNode node = SluiceNode.start(settings)) {
      TopicRegistry.TopicResult created =
          await(node.registry().<TopicRegistry.TopicResult>ask(r -> new TopicRegistry.CreateTopic("stock", 1, Map.of(), r), ASK));
      assertEquals(TopicError.NONE, created.error(), created.message());
      PartitionEntity.AppendResult appended =
          await(node.partition("stock", 0).<PartitionEntity.AppendResult>ask(
              r -> PartitionEntity.Append.of(List.of(LogRecord.of(1, null, "x".getBytes(UTF_8))), r), ASK));
      assertEquals(PartitionError.NONE, appended.error(), appended.message());
    }
    try (var files = Files.list(stock)) {
      assertTrue(files.findAny().isPresent(), "the append went to Pekko's journal in " + stock);
    }
  }

  @Test
  void aDataDirectoryKeepsItsNodeIdAndServesOneNodeAtATime() throws Exception {
    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withNodeId(7).withClusterPort(0).withKafkaPort(0))) {
      assertEquals(7, node.nodeId());
      assertEquals("7", Files.readString(dataDir.resolve("node.id")).trim());
      IllegalStateException inUse =
          assertThrows(IllegalStateException.class, () -> SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0)));
      assertTrue(inUse.getMessage().contains("in use"), inUse.getMessage());
    }
    IllegalStateException other =
        assertThrows(IllegalStateException.class, () -> SluiceNode.start(NodeSettings.of(dataDir).withNodeId(8).withClusterPort(0).withKafkaPort(0)));
    assertTrue(other.getMessage().contains("belongs to node 7"), other.getMessage());
    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      assertEquals(7, node.nodeId(), "without --node-id the recorded id is used");
    }
  }

  @Test
  void commandLineHelpAndErrors() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertEquals(0, SluiceMain.run(new String[] {"--help"}, new PrintStream(out), new PrintStream(err)));
    assertTrue(out.toString(UTF_8).contains("--data-dir"), "help lists the options");
    assertEquals(2, SluiceMain.run(new String[] {"node"}, new PrintStream(out), new PrintStream(err)));
    assertTrue(err.toString(UTF_8).contains("--data-dir DIR is required"), err.toString(UTF_8));
    assertEquals(2, SluiceMain.run(new String[] {"node", "--data-dir", "x", "--bogus", "1"}, new PrintStream(out), new PrintStream(err)));
    assertTrue(err.toString(UTF_8).contains("unknown option --bogus"), err.toString(UTF_8));
    assertEquals(2, SluiceMain.run(new String[] {"node", "--data-dir", "x", "--kafka-port", "nine"}, new PrintStream(out), new PrintStream(err)));
    assertTrue(err.toString(UTF_8).contains("--kafka-port needs a whole number"), err.toString(UTF_8));
    assertEquals(2, SluiceMain.run(new String[] {"frobnicate"}, new PrintStream(out), new PrintStream(err)));
    assertEquals(1, SluiceMain.run(new String[] {"node", "--data-dir", dataDir.toString(), "--config", dataDir.resolve("missing.conf").toString()},
        new PrintStream(out), new PrintStream(err)));
    assertTrue(err.toString(UTF_8).contains("does not exist"), err.toString(UTF_8));
  }
}
