package dev.sluice.dsl.javadsl;

import java.util.function.BinaryOperator;
import java.util.function.Supplier;

/**
 * Records grouped by key, ready for a stateful aggregation. Each aggregation keeps its state in a
 * durable store per input partition (journaled before input offsets are committed, reloaded when
 * the partition is assigned again — after a restart or on another instance) and emits the
 * key's new aggregate for every record it takes.
 */
public final class GroupedStream<K, V> {
  private final RecordStream<K, V> stream;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;

  GroupedStream(RecordStream<K, V> stream, Serde<K> keySerde, Serde<V> valueSerde) {
    this.stream = stream;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  /** Running count of records per key. */
  public RecordStream<K, Long> count() {
    return aggregate(() -> 0L, (k, v, n) -> n + 1, Serdes.longs());
  }

  /** Combines the values of each key; the first value of a key is its start. */
  public RecordStream<K, V> reduce(BinaryOperator<V> reducer) {
    return aggregate(() -> null, (k, v, acc) -> acc == null ? v : reducer.apply(acc, v), valueSerde);
  }

  /** Folds the values of each key into an aggregate, starting from {@code initial}. */
  public <A> RecordStream<K, A> aggregate(Supplier<A> initial, Aggregator<? super K, ? super V, A> aggregator, Serde<A> aggregateSerde) {
    return stream.builder.aggregate(stream, keySerde, valueSerde, initial, aggregator, aggregateSerde, null)
        .retype(keySerde, aggregateSerde);
  }

  /** Aggregates per key and event-time window. */
  public WindowedGroupedStream<K, V> windowedBy(TimeWindows windows) {
    return new WindowedGroupedStream<>(stream, keySerde, valueSerde, windows);
  }

  /** (key, value, aggregate so far) to the new aggregate. */
  @FunctionalInterface
  public interface Aggregator<K, V, A> {
    A apply(K key, V value, A aggregate);
  }
}
