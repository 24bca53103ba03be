package dev.sluice.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.tools.ConsoleProducer;
import org.apache.kafka.tools.EndToEndLatency;
import org.apache.kafka.tools.GetOffsetShell;
import org.apache.kafka.tools.ProducerPerformance;
import org.apache.kafka.tools.TopicCommand;
import org.apache.kafka.tools.consumer.ConsoleConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's own command-line tools (kafka-tools, the code behind {@code kafka-topics.sh},
 * {@code kafka-producer-perf-test.sh}, {@code kafka-get-offsets.sh}, {@code kafka-console-consumer.sh},
 * {@code kafka-console-producer.sh}, {@code kafka-e2e-latency.sh}) against one real node started from
 * the packaged distribution with {@code bin/sluice node}.
 *
 * <p>The node runs as a separate process with the distribution's classpath; only the tools run in this
 * JVM, through their {@code main} methods. {@link Exit} is redirected so that a tool's
 * {@code System.exit} becomes an exception whose status is recorded (the first status wins: several
 * tools catch the exception of their own {@code Exit.exit(0)} and then exit again with 1), and shutdown
 * hooks registered through {@link Exit#addShutdownHook} run right after the tool returns, as they would
 * at JVM exit (the console producer only closes, and so flushes, its producer there).
 *
 * <p>No consumer group is needed anywhere: the console consumer is used with {@code --partition},
 * which makes it {@code assign()} the partition (it still sets a random {@code group.id}, but the classic
 * consumer does not look up a coordinator for manually assigned partitions with auto-commit off).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaToolsIT {
  private static final Pattern LISTENING =
      Pattern.compile("Kafka gateway listening on \\S+ \\(advertised as ([^\\s:]+):(\\d+)\\)");
  private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(45);
  private static final int PERF_RECORDS = 20_000;

  @TempDir static Path tmp;

  private static Process node;
  private static Thread nodeReader;
  private static final StringBuffer nodeLog = new StringBuffer();
  private static String bootstrap;
  /** End offsets of "perf" per partition, from GetOffsetShell (step 3), for the console consumer (step 4). */
  private static final Map<Integer, Long> perfEndOffsets = new TreeMap<>();

  @BeforeAll
  static void startNode() throws Exception {
    Path dataDir = tmp.resolve("data");
    node =
        new ProcessBuilder("bash", "bin/sluice", "node", "--data-dir", dataDir.toString(), "--cluster-port", "0", "--kafka-port", "0")
            .redirectErrorStream(true)
            .start();
    AtomicReference<String> address = new AtomicReference<>();
    CountDownLatch listening = new CountDownLatch(1);
    nodeReader =
        new Thread(
            () -> {
              try (BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  nodeLog.append(line).append('\n');
                  Matcher m = LISTENING.matcher(line);
                  if (m.find() && address.compareAndSet(null, m.group(1) + ":" + m.group(2))) {
                    listening.countDown();
                  }
                }
              } catch (Exception ignored) {
                // process ended
              }
              listening.countDown();
            },
            "sluice-node-log");
    nodeReader.setDaemon(true);
    nodeReader.start();
    boolean signalled = listening.await(60, TimeUnit.SECONDS);
    assertTrue(signalled && address.get() != null, "the node's Kafka gateway did not come up within 60 s:\n" + nodeLog);
    bootstrap = address.get();
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node == null) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-TERM", Long.toString(node.pid())).start().waitFor(10, TimeUnit.SECONDS);
      if (!node.waitFor(60, TimeUnit.SECONDS)) {
        node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("the node did not stop within 60 s of SIGTERM:\n" + nodeLogTail(60));
      }
      nodeReader.join(10_000);
    } finally {
      // the whole node log next to the failsafe reports, as evidence for protocol gaps
      Path target = Path.of("target");
      if (Files.isDirectory(target)) {
        Files.writeString(target.resolve("KafkaToolsIT-node.log"), nodeLog.toString());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 1. kafka-topics.sh
  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void topicCommandCreatesListsDescribesAltersAndDeletesTopics() throws Exception {
    ToolRun create =
        topics("--create", "--topic", "tools-topic", "--partitions", "3", "--replication-factor", "1", "--config", "retention.ms=3600000");
    create.assertSucceeded();
    assertTrue(create.out.contains("Created topic tools-topic."), create.report());

    topics("--create", "--topic", "tools-doomed", "--partitions", "1", "--replication-factor", "1").assertSucceeded();

    ToolRun list = topics("--list");
    list.assertSucceeded();
    assertTrue(list.lines().contains("tools-topic"), list.report());
    assertTrue(list.lines().contains("tools-doomed"), list.report());

    ToolRun describe = topics("--describe", "--topic", "tools-topic");
    describe.assertSucceeded();
    assertTrue(describe.out.contains("Topic: tools-topic\t"), describe.report());
    assertTrue(describe.out.contains("PartitionCount: 3\t"), describe.report());
    assertTrue(describe.out.contains("ReplicationFactor: 1\t"), describe.report());
    assertTrue(describe.out.contains("retention.ms=3600000"), "DescribeConfigs reports the topic override:\n" + describe.report());
    assertEquals(Map.of(0, "1", 1, "1", 2, "1"), leaders(describe, "tools-topic"), describe.report());

    ToolRun alter = topics("--alter", "--topic", "tools-topic", "--partitions", "4");
    alter.assertSucceeded();
    ToolRun described = topics("--describe", "--topic", "tools-topic");
    described.assertSucceeded();
    assertTrue(described.out.contains("PartitionCount: 4\t"), described.report());
    assertEquals(Map.of(0, "1", 1, "1", 2, "1", 3, "1"), leaders(described, "tools-topic"), described.report());

    topics("--delete", "--topic", "tools-doomed").assertSucceeded();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    ToolRun after;
    do {
      after = topics("--list");
      after.assertSucceeded();
    } while (after.lines().contains("tools-doomed") && System.nanoTime() < deadline && sleep(200));
    assertFalse(after.lines().contains("tools-doomed"), "deleted topic still listed:\n" + after.report());
    assertTrue(after.lines().contains("tools-topic"), after.report());

    // asking for a topic that does not exist is reported as an error, with exit status 1
    ToolRun missing = topics("--describe", "--topic", "no-such-topic");
    assertEquals(1, missing.exitCode, missing.report());
    assertTrue(missing.out.contains("Topic 'no-such-topic' does not exist"), missing.report());
  }

  private static ToolRun topics(String... args) {
    return runTool("kafka-topics", TopicCommand::main, null, prepend(args, "--bootstrap-server", bootstrap));
  }

  /** Partition → "Leader:" column of the partition lines of {@code kafka-topics --describe}. */
  private static Map<Integer, String> leaders(ToolRun describe, String topic) {
    Pattern p = Pattern.compile("^\\tTopic: " + Pattern.quote(topic) + "\\tPartition: (\\d+)\\tLeader: (\\S+)\\t", Pattern.MULTILINE);
    Matcher m = p.matcher(describe.out);
    Map<Integer, String> leaders = new TreeMap<>();
    while (m.find()) {
      leaders.put(Integer.parseInt(m.group(1)), m.group(2));
    }
    return leaders;
  }

  // ---------------------------------------------------------------------------------------------
  // 2. kafka-producer-perf-test.sh
  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(2)
  void producerPerformanceSendsTwentyThousandRecords() {
    ToolRun perf =
        runTool(
            "kafka-producer-perf-test",
            ProducerPerformance::main,
            null,
            "--topic", "perf",
            "--num-records", Integer.toString(PERF_RECORDS),
            "--record-size", "100",
            "--throughput", "-1",
            "--command-property", "bootstrap.servers=" + bootstrap, "acks=all");
    perf.assertSucceeded();
    // the final summary: "20000 records sent, 12345.6 records/sec (1.18 MB/sec), ... ms 99.9th."
    Pattern summary = Pattern.compile("^" + PERF_RECORDS + " records sent, [\\d.]+ records/sec .*99\\.9th\\.$", Pattern.MULTILINE);
    Matcher total = summary.matcher(perf.out);
    assertTrue(total.find(), "summary line with every record acknowledged:\n" + perf.report());
    System.out.println("[KafkaToolsIT] " + total.group());
    // failed sends are printed by the callback (and not counted), so there must be none
    assertFalse(perf.err.contains("Exception"), perf.report());
  }

  // ---------------------------------------------------------------------------------------------
  // 3. kafka-get-offsets.sh
  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(3)
  void getOffsetShellReportsTheEndOffsets() {
    ToolRun offsets = runTool("kafka-get-offsets", GetOffsetShell::main, null, "--bootstrap-server", bootstrap, "--topic", "perf");
    offsets.assertSucceeded();
    Pattern line = Pattern.compile("^perf:(\\d+):(\\d+)$");
    perfEndOffsets.clear();
    for (String l : offsets.lines()) {
      Matcher m = line.matcher(l);
      assertTrue(m.matches(), "unexpected output line '" + l + "':\n" + offsets.report());
      perfEndOffsets.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
    }
    assertFalse(perfEndOffsets.isEmpty(), offsets.report());
    assertEquals(PERF_RECORDS, perfEndOffsets.values().stream().mapToLong(Long::longValue).sum(), offsets.report());
    if (perfEndOffsets.size() == 1) {
      assertEquals(List.of("perf:0:" + PERF_RECORDS), offsets.lines(), offsets.report());
    }

    // the earliest offsets are 0 (--time -2 = earliest)
    ToolRun earliest =
        runTool("kafka-get-offsets", GetOffsetShell::main, null, "--bootstrap-server", bootstrap, "--topic", "perf", "--time", "-2");
    earliest.assertSucceeded();
    assertEquals(
        perfEndOffsets.keySet().stream().map(p -> "perf:" + p + ":0").collect(Collectors.toList()), earliest.lines(), earliest.report());
  }

  // ---------------------------------------------------------------------------------------------
  // 4. kafka-console-consumer.sh / kafka-console-producer.sh
  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(4)
  void consoleConsumerReadsAPartitionWithoutAGroup() {
    // the partition of "perf" holding the most records (partition 0 when auto-created with one)
    int partition =
        perfEndOffsets.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(0);
    ToolRun consumer =
        runTool(
            "kafka-console-consumer",
            ConsoleConsumer::main,
            null,
            "--bootstrap-server", bootstrap,
            "--topic", "perf",
            "--partition", Integer.toString(partition),
            "--offset", "earliest",
            "--max-messages", "100",
            "--timeout-ms", "20000");
    consumer.assertSucceeded();
    assertTrue(consumer.err.contains("Processed a total of 100 messages"), consumer.report());
    List<String> lines = consumer.lines();
    assertEquals(100, lines.size(), consumer.report());
    // ProducerPerformance's payloads: 100 random upper-case letters
    for (String l : lines) {
      assertTrue(l.matches("[A-Z]{100}"), "unexpected record value '" + l + "':\n" + consumer.report());
    }
  }

  @Test
  @Order(5)
  void consoleProducerWritesLinesThatAPlainConsumerReadsBack() throws Exception {
    List<String> sent = List.of("first line", "second line", "third line", "fourth line", "fifth line");
    ToolRun producer =
        runTool(
            "kafka-console-producer",
            ConsoleProducer::main,
            String.join("\n", sent) + "\n",
            "--bootstrap-server", bootstrap,
            "--topic", "console");
    producer.assertSucceeded();

    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "kafka-tools-it");
    // no group.id: assign() only, nothing needs a coordinator
    List<String> received = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor("console", Duration.ofSeconds(10)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .collect(Collectors.toList());
      assertFalse(partitions.isEmpty(), "topic 'console' was created by the console producer");
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (received.size() < sent.size() && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          received.add(r.value());
        }
      }
      // nothing beyond the five lines
      for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
        received.add(r.value());
      }
    }
    // one partition unless the node's default says otherwise; compare as a multiset either way
    List<String> sortedReceived = new ArrayList<>(received);
    List<String> sortedSent = new ArrayList<>(sent);
    sortedReceived.sort(null);
    sortedSent.sort(null);
    assertEquals(sortedSent, sortedReceived, "records read back from 'console':\n" + producer.report());
  }

  // ---------------------------------------------------------------------------------------------
  // 5. kafka-e2e-latency.sh
  // ---------------------------------------------------------------------------------------------

  /**
   * EndToEndLatency assigns the partitions itself (no subscription, no rebalance), but it sets a
   * {@code group.id} and calls {@code commitSync()} once at the very end, which needs the group
   * coordinator. The measuring part, a synchronous produce followed by a fetch of exactly that record
   * for every round trip, must work; the final commit only where the node serves consumer groups.
   */
  @Test
  @Order(6)
  void endToEndLatencyRoundTripsWork() {
    // the tool creates the topic itself (Metadata for all topics, then Admin.createTopics)
    ToolRun e2e =
        runTool(
            "kafka-e2e-latency",
            EndToEndLatency::main,
            null,
            "--bootstrap-server", bootstrap,
            "--topic", "e2e",
            "--num-records", "200",
            "--producer-acks", "all",
            "--record-size", "64");
    assertFalse(e2e.timedOut, e2e.report());
    assertTrue(e2e.out.contains("Topic \"e2e\" does not exist. Will create topic"), e2e.report());
    assertTrue(e2e.out.contains("Avg latency: "), "all 200 round trips completed:\n" + e2e.report());
    assertTrue(e2e.out.contains("Percentiles: 50th = "), e2e.report());
    e2e.assertSucceeded(); // including its final commitSync() through the group coordinator
  }

  /** ConsumerPerformance joins a consumer group and reads the records ProducerPerformance wrote. */
  @Test
  @Order(7)
  void consumerPerformanceReadsThroughAConsumerGroup() {
    ToolRun perf =
        runTool(
            "kafka-consumer-perf-test",
            org.apache.kafka.tools.ConsumerPerformance::main,
            null,
            "--bootstrap-server", bootstrap,
            "--topic", "perf",
            "--group", "perf-group",
            "--num-records", "20000",
            "--timeout", "30000");
    perf.assertSucceeded();
    assertTrue(perf.out.contains(", 20000,"), "20000 records consumed:\n" + perf.report());
  }

  /** kafka-consumer-groups: describe with lag, reset to earliest, describe again. */
  @Test
  @Order(8)
  void consumerGroupCommandDescribesShowsLagAndResetsOffsets() {
    ToolRun described =
        runTool("kafka-consumer-groups", org.apache.kafka.tools.consumer.group.ConsumerGroupCommand::main, null,
            "--bootstrap-server", bootstrap, "--describe", "--group", "perf-group");
    described.assertSucceeded();
    String row = described.lines().stream().filter(l -> l.startsWith("perf-group") && l.contains(" perf ")).findFirst().orElse("");
    assertTrue(row.matches("perf-group\\s+perf\\s+0\\s+20000\\s+20000\\s+0\\b.*"),
        "committed 20000 of 20000, lag 0:\n" + described.report());

    ToolRun reset =
        runTool("kafka-consumer-groups", org.apache.kafka.tools.consumer.group.ConsumerGroupCommand::main, null,
            "--bootstrap-server", bootstrap, "--reset-offsets", "--to-earliest", "--group", "perf-group", "--topic", "perf", "--execute");
    reset.assertSucceeded();
    assertTrue(reset.lines().stream().anyMatch(l -> l.matches("perf-group\\s+perf\\s+0\\s+0\\s*")), "reset to 0:\n" + reset.report());

    ToolRun after =
        runTool("kafka-consumer-groups", org.apache.kafka.tools.consumer.group.ConsumerGroupCommand::main, null,
            "--bootstrap-server", bootstrap, "--describe", "--group", "perf-group");
    after.assertSucceeded();
    assertTrue(after.lines().stream().anyMatch(l -> l.matches("perf-group\\s+perf\\s+0\\s+0\\s+20000\\s+20000\\b.*")),
        "lag 20000 after the reset:\n" + after.report());
  }

  // ---------------------------------------------------------------------------------------------
  // running a tool in this JVM
  // ---------------------------------------------------------------------------------------------

  @FunctionalInterface
  private interface ToolMain {
    void main(String[] args) throws Exception;
  }

  /** Thrown in place of System.exit / Runtime.halt while a tool runs. */
  private static final class ToolExited extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ToolExited(int status, String message) {
      super("[KafkaToolsIT] tool called Exit.exit(" + status + ")" + (message == null ? "" : ": " + message), null, false, false);
    }
  }

  private static final class ToolRun {
    final String tool;
    final List<String> args;
    /** The first status passed to Exit.exit/halt, null when the tool returned without calling it. */
    final Integer exitCode;
    final Throwable thrown;
    final boolean timedOut;
    final String out;
    final String err;

    ToolRun(String tool, List<String> args, Integer exitCode, Throwable thrown, boolean timedOut, String out, String err) {
      this.tool = tool;
      this.args = args;
      this.exitCode = exitCode;
      this.thrown = thrown;
      this.timedOut = timedOut;
      this.out = out;
      this.err = err;
    }

    boolean succeeded() {
      return !timedOut && thrown == null && (exitCode == null || exitCode == 0);
    }

    void assertSucceeded() {
      assertTrue(succeeded(), report());
    }

    /** Non-empty stdout lines. */
    List<String> lines() {
      return out.lines().filter(l -> !l.isBlank()).collect(Collectors.toList());
    }

    String report() {
      return tool
          + " "
          + String.join(" ", args)
          + "\n  exit status: "
          + (timedOut ? "TIMED OUT after " + TOOL_TIMEOUT.toSeconds() + " s" : exitCode == null ? "(returned)" : exitCode)
          + (thrown == null ? "" : "\n  threw: " + thrown)
          + "\n--- stdout ---\n"
          + out
          + "--- stderr ---\n"
          + err
          + "--- node log (last lines) ---\n"
          + nodeLogTail(40);
    }
  }

  /**
   * Runs one tool's {@code main} with System.out/err captured (and System.in fed from {@code stdin}
   * when given), Exit redirected and a bounded wait. One tool at a time: these are JVM-global.
   */
  private static synchronized ToolRun runTool(String tool, ToolMain main, String stdin, String... args) {
    AtomicReference<Integer> exitCode = new AtomicReference<>();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    List<Runnable> shutdownHooks = new CopyOnWriteArrayList<>();
    Exit.Procedure exit =
        (status, message) -> {
          exitCode.compareAndSet(null, status);
          throw new ToolExited(status, message);
        };
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream originalOut = System.out;
    PrintStream originalErr = System.err;
    InputStream originalIn = System.in;
    ExecutorService executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tool-" + tool);
              t.setDaemon(true);
              return t;
            });
    boolean timedOut = false;
    Exit.setExitProcedure(exit);
    Exit.setHaltProcedure(exit);
    Exit.setShutdownHookAdder((name, hook) -> shutdownHooks.add(hook));
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      if (stdin != null) {
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
      }
      Future<?> run =
          executor.submit(
              () -> {
                try {
                  main.main(args);
                } catch (ToolExited expected) {
                  // status recorded by the exit procedure
                } catch (Throwable t) {
                  thrown.set(t);
                  t.printStackTrace();
                }
              });
      try {
        run.get(TOOL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        timedOut = true;
        run.cancel(true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      } catch (ExecutionException e) {
        thrown.compareAndSet(null, e.getCause());
      }
      // what the JVM would do at exit, e.g. the console producer closes (flushes) its producer here
      for (Runnable hook : shutdownHooks) {
        try {
          hook.run();
        } catch (Throwable t) {
          t.printStackTrace();
        }
      }
    } finally {
      System.out.flush();
      System.err.flush();
      System.setOut(originalOut);
      System.setErr(originalErr);
      System.setIn(originalIn);
      Exit.resetExitProcedure();
      Exit.resetHaltProcedure();
      Exit.resetShutdownHookAdder();
      executor.shutdownNow();
    }
    ToolRun result =
        new ToolRun(
            tool,
            Arrays.asList(args),
            exitCode.get(),
            thrown.get(),
            timedOut,
            out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8));
    originalOut.println(
        "[KafkaToolsIT] " + tool + " " + String.join(" ", args) + " -> "
            + (timedOut ? "timed out" : result.exitCode == null ? "returned" : "exit " + result.exitCode)
            + (result.thrown == null ? "" : ", threw " + result.thrown)
            + ", " + result.lines().size() + " stdout lines");
    return result;
  }

  private static String[] prepend(String[] args, String... first) {
    String[] all = Arrays.copyOf(first, first.length + args.length);
    System.arraycopy(args, 0, all, first.length, args.length);
    return all;
  }

  private static String nodeLogTail(int lines) {
    List<String> all = nodeLog.toString().lines().collect(Collectors.toList());
    return all.subList(Math.max(0, all.size() - lines), all.size()).stream().collect(Collectors.joining("\n", "", "\n"));
  }

  private static boolean sleep(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
