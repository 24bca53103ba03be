package dev.sluice.dsl.javadsl;

import java.util.function.BinaryOperator;
import java.util.function.Supplier;

/**
 * Records grouped by key and event-time window ({@link TimeWindows}): aggregations emit the
 * window's new aggregate for every record they take, keyed by {@link Windowed} key. Records for
 * windows closed past their grace period are dropped and counted ({@link
 * ProcessorStats#droppedLateRecords()}); closed windows leave the store.
 */
public final class WindowedGroupedStream<K, V> {
  private final RecordStream<K, V> stream;
  private final Serde<K> keySerde;
  private final Serde<V> valueSerde;
  private final TimeWindows windows;

  WindowedGroupedStream(RecordStream<K, V> stream, Serde<K> keySerde, Serde<V> valueSerde, TimeWindows windows) {
    this.stream = stream;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.windows = windows;
  }

  public RecordStream<Windowed<K>, Long> count() {
    return aggregate(() -> 0L, (k, v, n) -> n + 1, Serdes.longs());
  }

  public RecordStream<Windowed<K>, V> reduce(BinaryOperator<V> reducer) {
    return aggregate(() -> null, (k, v, acc) -> acc == null ? v : reducer.apply(acc, v), valueSerde);
  }

  public <A> RecordStream<Windowed<K>, A> aggregate(
      Supplier<A> initial, GroupedStream.Aggregator<? super K, ? super V, A> aggregator, Serde<A> aggregateSerde) {
    return stream.builder.aggregate(stream, keySerde, valueSerde, initial, aggregator, aggregateSerde, windows)
        .retype(Serdes.windowed(keySerde, windows.size()), aggregateSerde);
  }
}
