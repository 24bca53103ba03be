package dev.sluice.dsl.javadsl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.Function;

/**
 * A stream of keyed records inside a {@link StreamProcessor}, as Kafka Streams' {@code KStream}.
 * Steps run per input partition, in offset order. The stream remembers the serdes of its keys and
 * values while the steps keep their types ({@code filter}, {@code peek}, {@code branch}); steps
 * that may change them ({@code map}, {@code selectKey}, ...) forget them, and {@code to} /
 * {@code groupByKey} then need them given.
 */
public final class RecordStream<K, V> {
  final StreamProcessor.Builder builder;
  final Topology.Node node;
  final Serde<K> keySerde;
  final Serde<V> valueSerde;
  /** A step may have changed keys since the source: grouping must repartition. */
  final boolean keyChanged;

  RecordStream(StreamProcessor.Builder builder, Topology.Node node, Serde<K> keySerde, Serde<V> valueSerde, boolean keyChanged) {
    this.builder = builder;
    this.node = node;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.keyChanged = keyChanged;
  }

  /** This stream as other types with known serdes (the result of an aggregation). */
  <K2, V2> RecordStream<K2, V2> retype(Serde<K2> ks, Serde<V2> vs) {
    return new RecordStream<>(builder, node, ks, vs, false);
  }

  private <K2, V2> RecordStream<K2, V2> next(Topology.Node n, Serde<K2> ks, Serde<V2> vs, boolean changed) {
    node.add(n);
    return new RecordStream<>(builder, n, ks, vs, changed);
  }

  /** Keeps the records for which {@code predicate} holds. */
  public RecordStream<K, V> filter(BiPredicate<? super K, ? super V> predicate) {
    return next(new Topology.FilterNode(predicate), keySerde, valueSerde, keyChanged);
  }

  /** Calls {@code action} on every record and passes it on unchanged. */
  public RecordStream<K, V> peek(BiConsumer<? super K, ? super V> action) {
    return next(new Topology.FilterNode((K k, V v) -> {
      action.accept(k, v);
      return true;
    }), keySerde, valueSerde, keyChanged);
  }

  /** A new key and value for every record. */
  public <K2, V2> RecordStream<K2, V2> map(BiFunction<? super K, ? super V, KeyValue<K2, V2>> fn) {
    return next(new Topology.MapNode(fn), null, null, true);
  }

  /** A new value for every record; the key stays. */
  public <V2> RecordStream<K, V2> mapValues(Function<? super V, ? extends V2> fn) {
    return next(new Topology.MapNode((K k, V v) -> KeyValue.of(k, fn.apply(v))), keySerde, null, keyChanged);
  }

  /** A new key for every record (grouping by it repartitions). */
  public <K2> RecordStream<K2, V> selectKey(BiFunction<? super K, ? super V, ? extends K2> fn) {
    return next(new Topology.MapNode((K k, V v) -> KeyValue.of(fn.apply(k, v), v)), null, valueSerde, true);
  }

  /** Zero or more records for every record. */
  public <K2, V2> RecordStream<K2, V2> flatMap(BiFunction<? super K, ? super V, ? extends Iterable<KeyValue<K2, V2>>> fn) {
    return next(new Topology.FlatMapNode(fn), null, null, true);
  }

  /** Zero or more values for every record, each with the record's key. */
  public <V2> RecordStream<K, V2> flatMapValues(Function<? super V, ? extends Iterable<? extends V2>> fn) {
    return next(
        new Topology.FlatMapNode(
            (K k, V v) -> {
              List<KeyValue<K, V2>> out = new ArrayList<>();
              for (V2 v2 : fn.apply(v)) {
                out.add(KeyValue.of(k, v2));
              }
              return out;
            }),
        keySerde, null, keyChanged);
  }

  /**
   * An asynchronous step (a lookup, a call to another service). It is called as records arrive;
   * the steps after it see the results in input order, one partition's records never overtaking
   * each other.
   */
  public <K2, V2> RecordStream<K2, V2> mapAsync(BiFunction<? super K, ? super V, ? extends CompletionStage<KeyValue<K2, V2>>> fn) {
    return next(new Topology.AsyncMapNode(fn), null, null, true);
  }

  /**
   * Splits the stream: each record goes to the first branch whose predicate holds, or nowhere.
   * Returns one stream per predicate, in order.
   */
  @SafeVarargs
  public final List<RecordStream<K, V>> branch(BiPredicate<? super K, ? super V>... predicates) {
    if (predicates.length == 0) {
      throw new IllegalArgumentException("branch needs at least one predicate");
    }
    Topology.BranchNode b = node.add(new Topology.BranchNode());
    List<RecordStream<K, V>> branches = new ArrayList<>();
    for (BiPredicate<? super K, ? super V> p : predicates) {
      @SuppressWarnings("unchecked")
      BiPredicate<Object, Object> pp = (BiPredicate<Object, Object>) p;
      b.predicates.add(pp);
      Topology.PassNode head = b.add(new Topology.PassNode());
      branches.add(new RecordStream<>(builder, head, keySerde, valueSerde, keyChanged));
    }
    return branches;
  }

  /** Produces every record to {@code topic}, keyed records partitioned by murmur2 of the key bytes. */
  public void to(String topic, Serde<K> keys, Serde<V> values) {
    builder.sinkTopic(topic);
    node.add(new Topology.SinkNode(topic, keys, values, false));
  }

  /** {@link #to(String, Serde, Serde)} with the serdes the stream knows. */
  public void to(String topic) {
    to(topic, require(keySerde, "key"), require(valueSerde, "value"));
  }

  /**
   * Groups records by key for an aggregation. If a step may have changed the keys since the
   * source, the records are first repartitioned by key through an internal topic
   * ({@code <application>-<store>-repartition}), so each key is aggregated in one place.
   */
  public GroupedStream<K, V> groupByKey(Serde<K> keys, Serde<V> values) {
    return new GroupedStream<>(this, keys, values);
  }

  /** {@link #groupByKey(Serde, Serde)} with the serdes the stream knows. */
  public GroupedStream<K, V> groupByKey() {
    return groupByKey(require(keySerde, "key"), require(valueSerde, "value"));
  }

  private static <T> Serde<T> require(Serde<T> serde, String what) {
    if (serde == null) {
      throw new IllegalStateException(
          "the " + what + " serde is unknown after a step that may change the " + what + "s: pass it explicitly");
    }
    return serde;
  }
}
