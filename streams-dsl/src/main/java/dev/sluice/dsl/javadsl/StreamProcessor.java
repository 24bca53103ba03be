package dev.sluice.dsl.javadsl;

import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.dsl.state.StateStoreEntity;
import dev.sluice.dsl.state.StateStoreEvent;
import dev.sluice.persistence.Failures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consume → transform → produce, as a small builder in the spirit of Kafka Streams:
 *
 * <pre>{@code
 * StreamProcessor.Builder b = StreamProcessor.builder("word-count");
 * b.from("lines", Serdes.string(), Serdes.string())
 *     .flatMapValues(line -> List.of(line.toLowerCase().split("\\W+")))
 *     .selectKey((k, word) -> word)
 *     .groupByKey(Serdes.string(), Serdes.string())
 *     .count()
 *     .to("word-counts");
 * RunningProcessor running = b.build().run(system);
 * }</pre>
 *
 * <p>The processor is a member of the consumer group named by its application id; each assigned
 * input partition is processed on its own, in offset order. For every input record its outputs
 * are produced, then (once acknowledged) the state changes it caused are journaled to the
 * partition's durable stores, then its offset is committed: at-least-once, and a state store
 * never applies a record twice (it remembers the input offset it reflects), so aggregates stay
 * exact across restarts while outputs after the last commit may repeat.
 */
public final class StreamProcessor {
  private static final Logger LOG = LoggerFactory.getLogger(StreamProcessor.class);

  private final String applicationId;
  private final Map<String, Topology.SourceNode> roots;
  private final Set<String> sinkTopics;

  private StreamProcessor(Builder b) {
    this.applicationId = b.applicationId;
    this.roots = Map.copyOf(b.roots);
    this.sinkTopics = Set.copyOf(b.sinkTopics);
  }

  /** A builder for the processor whose application id (its group id and state namespace) is given. */
  public static Builder builder(String applicationId) {
    if (applicationId == null || !applicationId.matches("[a-zA-Z0-9._-]+")) {
      throw new IllegalArgumentException(
          "an application id needs letters, digits, '.', '_' or '-' only (it names internal topics), got '" + applicationId + "'");
    }
    return new Builder(applicationId);
  }

  public String applicationId() {
    return applicationId;
  }

  /** The topics the processor reads, its internal repartition topics included. */
  public Set<String> sourceTopics() {
    return roots.keySet();
  }

  /** Starts the processor with {@link ProcessorSettings#defaults(String)}. */
  public RunningProcessor run(ActorSystem<?> system) {
    return run(system, ProcessorSettings.defaults(applicationId));
  }

  /**
   * Starts the processor: checks its source and sink topics exist, creates its repartition
   * topics, joins its group and processes the partitions it is assigned until stopped.
   */
  public RunningProcessor run(ActorSystem<?> system, ProcessorSettings settings) {
    StateStoreEntity.init(system);
    RunningProcessor running = new RunningProcessor(applicationId);
    prepareTopics(system, settings)
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                running.failed(Failures.cause(e));
                return;
              }
              Pair<Control, CompletionStage<Done>> p =
                  Consumer.committablePartitionedSource(system, settings.consumer(), settings.group(), roots.keySet())
                      .flatMapMerge(Consumer.MAX_PARTITIONS, tp -> partition(system, settings, running.stats(), tp.first(), tp.second()))
                      .via(Committer.flow(settings.committer()))
                      .toMat(Sink.ignore(), Keep.both())
                      .run(system);
              running.started(p.first(), p.second());
            });
    return running;
  }

  private Source<CommittableOffset, NotUsed> partition(
      ActorSystem<?> system, ProcessorSettings settings, ProcessorStats stats, TopicPartition tp,
      Source<CommittableMessage, NotUsed> records) {
    Topology.SourceNode root = roots.get(tp.topic());
    // the stores are claimed when the partition's first record arrives
    return records
        .prefixAndTail(1)
        .flatMapConcat(
            first -> {
              if (first.first().isEmpty()) {
                return Source.<CommittableOffset>empty();
              }
              return Source.completionStage(PartitionRun.load(system, applicationId, tp, root, settings, stats))
                  .flatMapConcat(
                      run ->
                          Source.single(first.first().get(0))
                              .concat(first.second())
                              .mapAsync(1, run::process)
                              .mapConcat(messages -> messages)
                              .via(Producer.<PartitionRun.Progress>flow(system, settings.producer()))
                              .mapConcat(r -> r.passThrough() == null ? List.<PartitionRun.Progress>of() : List.of(r.passThrough()))
                              .groupedWithin(settings.flushMaxBatch(), settings.flushInterval())
                              .mapAsync(1, batch -> flush(system, settings, tp, batch))
                              .mapConcat(offsets -> offsets));
            });
  }

  /** Journals a batch's state changes (one write per store), then hands on its last offset. */
  private CompletionStage<List<CommittableOffset>> flush(
      ActorSystem<?> system, ProcessorSettings settings, TopicPartition tp, List<PartitionRun.Progress> batch) {
    List<CommittableOffset> last = List.of(batch.get(batch.size() - 1).offset());
    Map<String, Merged> stores = new LinkedHashMap<>();
    for (PartitionRun.Progress p : batch) {
      for (PartitionRun.StoreChange c : p.changes()) {
        Merged m = stores.computeIfAbsent(c.entityId(), id -> new Merged(c.epoch()));
        m.inputOffset = p.inputOffset();
        m.streamTime = Math.max(m.streamTime, c.streamTime());
        for (StateStoreEvent.Entry e : c.entries()) {
          m.entries.put(ByteString.fromArrayUnsafe(e.key()), e.value());
        }
        if (c.mark() != null) {
          m.marks.put(c.mark().source(), c.mark());
        }
      }
    }
    if (stores.isEmpty()) {
      return CompletableFuture.completedFuture(last);
    }
    List<CompletableFuture<StateStoreEntity.Applied>> writes = new ArrayList<>();
    stores.forEach(
        (id, m) -> {
          List<StateStoreEvent.Entry> entries = new ArrayList<>(m.entries.size());
          m.entries.forEach((k, v) -> entries.add(new StateStoreEvent.Entry(k.toArrayUnsafe(), v)));
          writes.add(
              StateStoreEntity.entityRef(system, id)
                  .<StateStoreEntity.Applied>ask(
                      r -> new StateStoreEntity.Apply(m.epoch, m.inputOffset, m.streamTime, entries, List.copyOf(m.marks.values()), r),
                      settings.consumer().askTimeout())
                  .toCompletableFuture());
        });
    return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              if (writes.stream().anyMatch(w -> w.join().fenced())) {
                LOG.warn(
                    "stream processor '{}': {} was taken over by another assignment; its last {} records are left to the new owner",
                    applicationId, tp, batch.size());
                return List.<CommittableOffset>of();
              }
              return last;
            });
  }

  private static final class Merged {
    final long epoch;
    long inputOffset = -1;
    long streamTime = Long.MIN_VALUE;
    final LinkedHashMap<ByteString, byte[]> entries = new LinkedHashMap<>();
    final Map<String, StateStoreEvent.Mark> marks = new LinkedHashMap<>();

    Merged(long epoch) {
      this.epoch = epoch;
    }
  }

  private CompletionStage<Void> prepareTopics(ActorSystem<?> system, ProcessorSettings settings) {
    List<String> external = roots.values().stream().filter(r -> !r.internal).map(r -> r.topic).sorted().toList();
    List<String> internal = roots.values().stream().filter(r -> r.internal).map(r -> r.topic).sorted().toList();
    CompletableFuture<Integer> maxPartitions = CompletableFuture.completedFuture(0);
    for (String topic : external) {
      maxPartitions = maxPartitions.thenCombine(describe(system, settings, topic, "source"), Math::max);
    }
    CompletableFuture<Void> sinks = CompletableFuture.completedFuture(null);
    for (String topic : sinkTopics) {
      sinks = sinks.thenCombine(describe(system, settings, topic, "output"), (a, b) -> null);
    }
    return maxPartitions
        .thenCombine(sinks, (n, v) -> n)
        .thenCompose(
            n -> {
              CompletableFuture<Void> created = CompletableFuture.completedFuture(null);
              for (String topic : internal) {
                created = created.thenCombine(createInternal(system, settings, topic, n), (a, b) -> null);
              }
              return created;
            });
  }

  private static CompletableFuture<Integer> describe(ActorSystem<?> system, ProcessorSettings settings, String topic, String role) {
    return TopicRegistry.entityRef(system)
        .<TopicRegistry.TopicResult>ask(r -> new TopicRegistry.DescribeTopic(topic, r), settings.consumer().askTimeout())
        .toCompletableFuture()
        .thenApply(
            d -> {
              if (d.error() == TopicError.UNKNOWN_TOPIC_OR_PARTITION) {
                throw new IllegalStateException("the " + role + " topic '" + topic + "' does not exist: create it first");
              }
              if (d.error() != TopicError.NONE) {
                throw new IllegalStateException("the " + role + " topic '" + topic + "': " + d.error() + " " + d.message());
              }
              return d.topic().partitions();
            });
  }

  private static CompletableFuture<Void> createInternal(ActorSystem<?> system, ProcessorSettings settings, String topic, int partitions) {
    return TopicRegistry.entityRef(system)
        .<TopicRegistry.TopicResult>ask(r -> new TopicRegistry.CreateTopic(topic, partitions, Map.of(), r), settings.consumer().askTimeout())
        .toCompletableFuture()
        .thenApply(
            d -> {
              if (d.error() != TopicError.NONE && d.error() != TopicError.TOPIC_ALREADY_EXISTS) {
                throw new IllegalStateException("cannot create the repartition topic '" + topic + "': " + d.error() + " " + d.message());
              }
              return null;
            });
  }

  /** Declares a processor's steps. */
  public static final class Builder {
    final String applicationId;
    final Map<String, Topology.SourceNode> roots = new LinkedHashMap<>();
    final Set<String> sinkTopics = new LinkedHashSet<>();
    private int stores;

    private Builder(String applicationId) {
      this.applicationId = applicationId;
    }

    /** The records of {@code topic}, with their key and value serdes. */
    public <K, V> RecordStream<K, V> from(String topic, Serde<K> keys, Serde<V> values) {
      if (roots.containsKey(topic)) {
        throw new IllegalArgumentException("topic '" + topic + "' is already a source of this processor");
      }
      Topology.SourceNode root = new Topology.SourceNode(topic, keys, values, false);
      roots.put(topic, root);
      return new RecordStream<>(this, root, keys, values, false);
    }

    void sinkTopic(String topic) {
      sinkTopics.add(topic);
    }

    <K, V, A> RecordStream<Object, Object> aggregate(
        RecordStream<K, V> stream, Serde<K> keySerde, Serde<V> valueSerde, Supplier<A> initial,
        GroupedStream.Aggregator<? super K, ? super V, A> aggregator, Serde<A> aggregateSerde, TimeWindows windows) {
      String store = (windows == null ? "aggregate-" : "windowed-aggregate-") + (++stores);
      Topology.Node parent = stream.node;
      if (stream.keyChanged) {
        String topic = applicationId + "-" + store + "-repartition";
        parent.add(new Topology.SinkNode(topic, keySerde, valueSerde, true));
        Topology.SourceNode root = new Topology.SourceNode(topic, keySerde, valueSerde, true);
        roots.put(topic, root);
        parent = root;
      }
      Topology.AggregateNode node =
          parent.add(new Topology.AggregateNode(store, keySerde, aggregateSerde, initial, aggregator, windows));
      return new RecordStream<>(this, node, null, null, false);
    }

    public StreamProcessor build() {
      if (roots.isEmpty()) {
        throw new IllegalStateException("a stream processor needs at least one source topic (from)");
      }
      return new StreamProcessor(this);
    }
  }
}
