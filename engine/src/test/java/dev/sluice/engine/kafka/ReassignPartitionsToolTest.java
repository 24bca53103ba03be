package dev.sluice.engine.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.tools.reassign.ReassignPartitionsCommand;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's own {@code kafka-reassign-partitions} ({@link ReassignPartitionsCommand}, from the
 * kafka-tools jar) against one Sluice node, run in this JVM through its {@code main}: it calls
 * {@link Exit#exit} (redirected here) only when it fails, so a run that returns succeeded.
 * {@code --execute} reads the current log dirs (DescribeLogDirs) and starts the moves
 * (AlterPartitionReassignments); {@code --verify} checks them and clears the replication
 * throttles (IncrementalAlterConfigs DELETEs on the brokers and topics).
 */
class ReassignPartitionsToolTest {
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
  private static final String TOPIC = "reassign-tool";

  @TempDir static Path dataDir;
  @TempDir static Path work;
  static SluiceNode node;
  static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    AdminApiTest.await(admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all());
    Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 10; i++) {
        producer.send(new ProducerRecord<>(TOPIC, i % 2, null, ("r" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
      }
    }
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    if (node != null) {
      node.close();
    }
  }

  static String bootstrap() {
    return "127.0.0.1:" + node.kafkaPort();
  }

  /** The reassignment file: every partition of the topic to this node, the one it is on. */
  static Path reassignmentFile() throws Exception {
    String json =
        "{\"version\":1,\"partitions\":["
            + "{\"topic\":\"" + TOPIC + "\",\"partition\":0,\"replicas\":[" + node.nodeId() + "]},"
            + "{\"topic\":\"" + TOPIC + "\",\"partition\":1,\"replicas\":[" + node.nodeId() + "]}]}";
    return Files.writeString(work.resolve("reassignment.json"), json);
  }

  @Test
  void executeThenVerifyAMoveToTheNodeThePartitionsAreOn() throws Exception {
    Path file = reassignmentFile();

    ToolRun execute = run("--bootstrap-server", bootstrap(), "--reassignment-json-file", file.toString(), "--execute");
    execute.assertSucceeded();
    assertTrue(execute.out.contains("Current partition replica assignment"), execute.report());
    String journal = node.dataDir().resolve("journal").toAbsolutePath().normalize().toString();
    assertTrue(execute.out.contains("\"log_dirs\":[\"" + journal + "\"]"), "the rollback JSON names each replica's log dir:\n" + execute.report());
    assertTrue(execute.out.contains("Successfully started partition reassignments for " + TOPIC + "-0," + TOPIC + "-1"), execute.report());

    // A move to where a partition already is completes at once; --verify is bounded anyway.
    ToolRun verify = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (int attempt = 0; attempt < 30 && System.nanoTime() < deadline; attempt++) {
      verify = run("--bootstrap-server", bootstrap(), "--reassignment-json-file", file.toString(), "--verify");
      verify.assertSucceeded();
      if (verify.out.contains("Reassignment of partition " + TOPIC + "-0 is completed")
          && verify.out.contains("Reassignment of partition " + TOPIC + "-1 is completed")
          && verify.out.contains("Clearing topic-level throttles on topic " + TOPIC)) {
        break;
      }
      Thread.sleep(500);
    }
    assertTrue(verify.out.contains("Reassignment of partition " + TOPIC + "-0 is completed"), verify.report());
    assertTrue(verify.out.contains("Reassignment of partition " + TOPIC + "-1 is completed"), verify.report());
    assertTrue(verify.out.contains("Clearing broker-level throttles on broker " + node.nodeId()), verify.report());
    assertTrue(verify.out.contains("Clearing topic-level throttles on topic " + TOPIC), verify.report());

    TopicDescription after = AdminApiTest.await(admin.describeTopics(List.of(TOPIC)).allTopicNames()).get(TOPIC);
    after.partitions().forEach(p -> assertEquals(node.nodeId(), p.leader().id(), "still on the node: " + p));

    // the rollback JSON it printed (with the log dirs) runs as it is: AlterReplicaLogDirs knows the dir
    String rollbackJson =
        execute.out.lines().filter(l -> l.startsWith("{\"version\":1,\"partitions\"")).findFirst().orElseThrow(() -> new AssertionError(execute.report()));
    Path rollback = Files.writeString(work.resolve("rollback.json"), rollbackJson);
    ToolRun back = run("--bootstrap-server", bootstrap(), "--reassignment-json-file", rollback.toString(), "--execute");
    back.assertSucceeded();
    assertTrue(back.out.contains("Successfully started partition reassignments"), back.report());
  }

  @Test
  void aThrottleIsRefusedWithAClearMessage() throws Exception {
    ToolRun throttled =
        run("--bootstrap-server", bootstrap(), "--reassignment-json-file", reassignmentFile().toString(), "--execute", "--additional",
            "--throttle", "1000000");
    assertEquals(1, throttled.exitCode, "the tool fails:\n" + throttled.report());
    assertTrue(throttled.out.contains("Sluice does not throttle partition copies"), throttled.report());
  }

  // ---- running the tool in this JVM ----------------------------------------------------------

  /** Thrown in place of the JVM exit the tool asks for. */
  private static final class ToolExited extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ToolExited(int status) {
      super("tool called Exit.exit(" + status + ")", null, false, false);
    }
  }

  /** One run: the status given to Exit.exit (null: returned normally), what it threw, its stdout. */
  record ToolRun(List<String> args, Integer exitCode, Throwable thrown, boolean timedOut, String out) {
    boolean succeeded() {
      return !timedOut && thrown == null && (exitCode == null || exitCode == 0);
    }

    void assertSucceeded() {
      assertTrue(succeeded(), report());
    }

    String report() {
      return "kafka-reassign-partitions " + String.join(" ", args)
          + "\n  exit: " + (timedOut ? "TIMED OUT" : exitCode == null ? "(returned)" : exitCode)
          + (thrown == null ? "" : "\n  threw: " + thrown)
          + "\n--- stdout ---\n" + out;
    }
  }

  /**
   * Runs the tool's {@code main} with System.out captured, Exit redirected, and a bounded wait.
   * Both are JVM-global, hence one run at a time.
   */
  private static synchronized ToolRun run(String... args) throws Exception {
    AtomicReference<Integer> exitCode = new AtomicReference<>();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream originalOut = System.out;
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "kafka-reassign-partitions");
      t.setDaemon(true);
      return t;
    });
    boolean timedOut = false;
    Exit.setExitProcedure((status, message) -> {
      exitCode.compareAndSet(null, status);
      throw new ToolExited(status);
    });
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      Future<?> tool = executor.submit(() -> {
        try {
          ReassignPartitionsCommand.main(args);
        } catch (ToolExited expected) {
          // the status is recorded
        } catch (Throwable t) {
          thrown.set(t);
        }
      });
      try {
        tool.get(TOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        timedOut = true;
        tool.cancel(true);
      }
    } finally {
      System.out.flush();
      System.setOut(originalOut);
      Exit.resetExitProcedure();
      executor.shutdownNow();
    }
    ToolRun result = new ToolRun(List.of(args), exitCode.get(), thrown.get(), timedOut, out.toString(StandardCharsets.UTF_8));
    System.out.println(result.report());
    return result;
  }
}
