package dev.sluice.dsl.javadsl.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionSettings;
import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.dsl.javadsl.Consumer;
import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.ConsumerSettings;
import dev.sluice.dsl.javadsl.Control;
import dev.sluice.dsl.javadsl.Producer;
import dev.sluice.dsl.javadsl.ProducerMessage;
import dev.sluice.dsl.javadsl.ProducerSettings;
import dev.sluice.dsl.javadsl.StartOffset;
import dev.sluice.dsl.javadsl.TopicPartition;
import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Throughput of the public DSL, in process on a one-node cluster with a real Sluice journal:
 * {@link Producer#sink} into topics of 1 and 6 partitions, then {@link Consumer#plainSource}
 * reading those (now warm) partitions from the earliest offset, for 100 B and 1 KB records.
 *
 * <p>Run (about 2 minutes on 2 cores):
 * <pre>mvn -B -Pbench -pl streams-dsl -am test -Dtest=DslBenchmark -Dbench.records=5000000</pre>
 * Narrow it with {@code -Dbench.sizes=100 -Dbench.partitions=1 -Dbench.modes=consume}
 * ({@code consume} alone still produces the records it reads, without printing that).
 * {@code -Dbench.records} is the count of 100 B records per scenario; 1 KB scenarios use a fifth
 * of it ({@code -Dbench.records-1k} overrides). One line per figure:
 * <pre>DSL-BENCH produce|consume size=.. partitions=.. records=.. seconds=.. records/s=.. MB/s=..</pre>
 * MB/s counts MiB of record values per second, as Kafka's perf tools do. A smaller unprinted pass
 * of every scenario runs first to warm the JIT.
 */
@Tag("bench")
class DslBenchmark {
  static final Duration T = Duration.ofSeconds(60);

  @Test
  void dslThroughput() throws Exception {
    long records = Long.getLong("bench.records", 5_000_000L);
    long records1k = Long.getLong("bench.records-1k", records / 5);
    List<String> modes = List.of(System.getProperty("bench.modes", "produce,consume").split(","));
    List<Integer> sizes = ints(System.getProperty("bench.sizes", "100,1000"));
    List<Integer> partitions = ints(System.getProperty("bench.partitions", "1,6"));

    Path dir = Files.createTempDirectory("sluice-dsl-bench");
    ActorTestKit kit = TestSystems.oneNodeCluster("dsl-bench", dir, "pekko.loglevel = WARNING\n");
    try {
      ActorSystem<?> system = kit.system();
      PartitionEntity.init(system, PartitionSettings.fromConfig(system.settings().config()), Clock.systemUTC());
      TopicRegistry.init(system);
      // warm-up: every scenario once, smaller, unprinted (-Dbench.warmup=false skips it)
      for (int size : Boolean.parseBoolean(System.getProperty("bench.warmup", "true")) ? sizes : List.<Integer>of()) {
        for (int p : partitions) {
          scenario(system, "warmup", size, p, Math.min(500_000, size >= 1000 ? records1k : records), modes, false);
        }
      }
      for (int size : sizes) {
        for (int p : partitions) {
          scenario(system, "bench", size, p, size >= 1000 ? records1k : records, modes, true);
        }
      }
    } finally {
      kit.shutdownTestKit();
      TestSystems.deleteRecursively(dir);
    }
  }

  private static void scenario(
      ActorSystem<?> system, String prefix, int size, int partitions, long records, List<String> modes, boolean print)
      throws Exception {
    String topic = prefix + "-" + size + "-" + partitions;
    createTopic(system, topic, partitions);
    System.gc();
    double produced = produce(system, topic, size, records);
    if (print && modes.contains("produce")) {
      report("produce", size, partitions, records, produced);
    }
    if (modes.contains("consume")) {
      System.gc();
      double consumed = consume(system, topic, partitions, records);
      if (print) {
        report("consume", size, partitions, records, consumed);
      }
    }
  }

  /** Seconds to produce {@code records} values of {@code size} bytes, every one acknowledged. */
  private static double produce(ActorSystem<?> system, String topic, int size, long records) throws Exception {
    byte[] value = new byte[size];
    ThreadLocalRandom.current().nextBytes(value); // the producer copies it into each batch
    long start = System.nanoTime();
    Source.range(1, (int) records)
        .map(i -> ProducerMessage.<NotUsed>of(topic, null, value, NotUsed.notUsed()))
        .runWith(Producer.sink(system, ProducerSettings.defaults()), system)
        .toCompletableFuture()
        .get(30, TimeUnit.MINUTES);
    return (System.nanoTime() - start) / 1e9;
  }

  /** Seconds to read {@code records} records of the topic's partitions from the earliest offset. */
  private static double consume(ActorSystem<?> system, String topic, int partitions, long records) throws Exception {
    Map<TopicPartition, StartOffset> start = new LinkedHashMap<>();
    for (int p = 0; p < partitions; p++) {
      start.put(new TopicPartition(topic, p), StartOffset.earliest());
    }
    long[] counted = new long[2]; // records, value bytes (the stream's sink runs on one thread at a time)
    long[] nextOffset = new long[partitions]; // every partition is read densely from offset 0
    long t0 = System.nanoTime();
    Pair<Control, CompletionStage<Done>> run =
        Consumer.plainSource(system, ConsumerSettings.defaults(), start)
            .take(records)
            .toMat(
                Sink.foreach(
                    (ConsumerRecord r) -> {
                      if (r.offset() != nextOffset[r.partition()]++) {
                        throw new IllegalStateException(r.topic() + "-" + r.partition() + ": offset " + r.offset() + ", expected " + (nextOffset[r.partition()] - 1));
                      }
                      counted[0]++;
                      counted[1] += r.record().value().length;
                    }),
                Keep.both())
            .run(system);
    run.second().toCompletableFuture().get(30, TimeUnit.MINUTES);
    double seconds = (System.nanoTime() - t0) / 1e9;
    run.first().shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertEquals(records, counted[0], "records read");
    return seconds;
  }

  private static void report(String mode, int size, int partitions, long records, double seconds) {
    System.out.printf(
        Locale.ROOT,
        "DSL-BENCH %s size=%d partitions=%d records=%d seconds=%.2f records/s=%.0f MB/s=%.1f%n",
        mode, size, partitions, records, seconds, records / seconds, records * (double) size / seconds / (1 << 20));
  }

  private static void createTopic(ActorSystem<?> system, String topic, int partitions) throws Exception {
    TopicRegistry.TopicResult r =
        TopicRegistry.entityRef(system)
            .<TopicRegistry.TopicResult>ask(ref -> new TopicRegistry.CreateTopic(topic, partitions, Map.of(), ref), T)
            .toCompletableFuture()
            .get(2, TimeUnit.MINUTES);
    assertEquals(TopicError.NONE, r.error(), r.message());
  }

  private static List<Integer> ints(String csv) {
    List<Integer> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      out.add(Integer.parseInt(s.trim()));
    }
    return out;
  }
}
