package dev.sluice.dsl.javadsl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.Supplier;

/**
 * The steps of a stream processor as a tree per source topic. Each input record runs through its
 * source's tree on the processing thread of its partition ({@link PartitionRun}); asynchronous
 * steps continue in input order.
 */
final class Topology {
  private Topology() {}

  /** A record between steps: deserialized key and value, and the event time. */
  record Rec(Object key, Object value, long timestamp) {}

  abstract static class Node {
    final List<Node> children = new ArrayList<>();

    <N extends Node> N add(N child) {
      children.add(child);
      return child;
    }

    abstract void process(PartitionRun run, Rec rec) throws Exception;

    void forward(PartitionRun run, Rec rec) throws Exception {
      for (Node c : children) {
        c.process(run, rec);
      }
    }
  }

  static final class SourceNode extends Node {
    final String topic;
    final Serde<Object> keySerde;
    final Serde<Object> valueSerde;
    final boolean internal;

    @SuppressWarnings("unchecked")
    SourceNode(String topic, Serde<?> keySerde, Serde<?> valueSerde, boolean internal) {
      this.topic = topic;
      this.keySerde = (Serde<Object>) keySerde;
      this.valueSerde = (Serde<Object>) valueSerde;
      this.internal = internal;
    }

    @Override
    void process(PartitionRun run, Rec rec) throws Exception {
      forward(run, rec);
    }
  }

  /** Passes records on unchanged (the head of a branch). */
  static final class PassNode extends Node {
    @Override
    void process(PartitionRun run, Rec rec) throws Exception {
      forward(run, rec);
    }
  }

  static final class FilterNode extends Node {
    final BiPredicate<Object, Object> predicate;

    @SuppressWarnings("unchecked")
    FilterNode(BiPredicate<?, ?> predicate) {
      this.predicate = (BiPredicate<Object, Object>) predicate;
    }

    @Override
    void process(PartitionRun run, Rec rec) throws Exception {
      if (predicate.test(rec.key(), rec.value())) {
        forward(run, rec);
      }
    }
  }

  static final class MapNode extends Node {
    final BiFunction<Object, Object, KeyValue<?, ?>> fn;

    @SuppressWarnings("unchecked")
    MapNode(BiFunction<?, ?, ? extends KeyValue<?, ?>> fn) {
      this.fn = (BiFunction<Object, Object, KeyValue<?, ?>>) fn;
    }

    @Override
    void process(PartitionRun run, Rec rec) throws Exception {
      KeyValue<?, ?> kv = fn.apply(rec.key(), rec.value());
      forward(run, new Rec(kv.key(), kv.value(), rec.timestamp()));
    }
  }

  static final class FlatMapNode extends Node {
    final BiFunction<Object, Object, Iterable<? extends KeyValue<?, ?>>> fn;

    @SuppressWarnings("unchecked")
    FlatMapNode(BiFunction<?, ?, ? extends Iterable<? extends KeyValue<?, ?>>> fn) {
      this.fn = (BiFunction<Object, Object, Iterable<? extends KeyValue<?, ?>>>) fn;
    }

    @Override
    void process(PartitionRun run, Rec rec) throws Exception {
      for (KeyValue<?, ?> kv : fn.apply(rec.key(), rec.value())) {
        forward(run, new Rec(kv.key(), kv.value(), rec.timestamp()));
      }
    }
  }

  /** Calls the function at once; what follows runs when it completes, in input order. */
  static final class AsyncMapNode extends Node {
    final BiFunction<Object, Object, CompletionStage<? extends KeyValue<?, ?>>> fn;

    @SuppressWarnings("unchecked")
    AsyncMapNode(BiFunction<?, ?, ? extends CompletionStage<? extends KeyValue<?, ?>>> fn) {
      this.fn = (BiFunction<Object, Object, CompletionStage<? extends KeyValue<?, ?>>>) fn;
    }

    @Override
    void process(PartitionRun run, Rec rec) {
      CompletionStage<? extends KeyValue<?, ?>> result = fn.apply(rec.key(), rec.value());
      run.then(result, kv -> forward(run, new Rec(kv.key(), kv.value(), rec.timestamp())));
    }
  }

  /** Sends each record to the first branch whose predicate holds (or none). */
  static final class BranchNode extends Node {
    final List<BiPredicate<Object, Object>> predicates = new ArrayList<>();

    @Override
    void process(PartitionRun run, Rec rec) throws Exception {
      for (int i = 0; i < predicates.size(); i++) {
        if (predicates.get(i).test(rec.key(), rec.value())) {
          children.get(i).process(run, rec);
          return;
        }
      }
    }
  }

  static final class SinkNode extends Node {
    final String topic;
    final Serde<Object> keySerde;
    final Serde<Object> valueSerde;
    final boolean internal;

    @SuppressWarnings("unchecked")
    SinkNode(String topic, Serde<?> keySerde, Serde<?> valueSerde, boolean internal) {
      this.topic = topic;
      this.keySerde = (Serde<Object>) keySerde;
      this.valueSerde = (Serde<Object>) valueSerde;
      this.internal = internal;
    }

    @Override
    void process(PartitionRun run, Rec rec) {
      if (internal) {
        run.internalOutput(topic, keySerde.serialize(rec.key()), valueSerde.serialize(rec.value()), rec.timestamp());
      } else {
        run.output(topic, keySerde.serialize(rec.key()), valueSerde.serialize(rec.value()), rec.timestamp());
      }
    }
  }

  /**
   * A keyed aggregation (count, reduce, aggregate), windowed or not, over a durable store:
   * forwards (key or window, new aggregate) for every record it takes. Records without a key are
   * dropped, as Kafka Streams does.
   */
  static final class AggregateNode extends Node {
    final String store;
    final Serde<Object> keySerde;
    final Serde<Object> aggregateSerde;
    final Supplier<Object> initializer;
    final GroupedStream.Aggregator<Object, Object, Object> aggregator;
    final TimeWindows windows;

    @SuppressWarnings("unchecked")
    AggregateNode(
        String store, Serde<?> keySerde, Serde<?> aggregateSerde, Supplier<?> initializer,
        GroupedStream.Aggregator<?, ?, ?> aggregator, TimeWindows windows) {
      this.store = store;
      this.keySerde = (Serde<Object>) keySerde;
      this.aggregateSerde = (Serde<Object>) aggregateSerde;
      this.initializer = (Supplier<Object>) initializer;
      this.aggregator = (GroupedStream.Aggregator<Object, Object, Object>) aggregator;
      this.windows = windows;
    }

    @Override
    void process(PartitionRun run, Rec rec) throws Exception {
      PartitionRun.Store s = run.store(this);
      if (rec.key() == null) {
        run.droppedNullKey();
        return;
      }
      if (s.alreadyApplied()) {
        return; // applied (and its outputs produced) before a restart
      }
      byte[] key = keySerde.serialize(rec.key());
      if (windows == null) {
        Object next = aggregator.apply(rec.key(), rec.value(), s.getOr(key, initializer));
        s.put(key, next);
        forward(run, new Rec(rec.key(), next, rec.timestamp()));
        return;
      }
      long streamTime = s.advanceStreamTime(rec.timestamp());
      long size = windows.size().toMillis();
      long grace = windows.grace().toMillis();
      for (long start : windows.windowStartsFor(rec.timestamp())) {
        if (start + size + grace <= streamTime) {
          run.droppedLate();
          continue;
        }
        byte[] wkey = PartitionRun.windowKey(key, start);
        Object next = aggregator.apply(rec.key(), rec.value(), s.getOr(wkey, initializer));
        s.putWindow(wkey, start, next);
        forward(run, new Rec(new Windowed<>(rec.key(), start, start + size), next, rec.timestamp()));
      }
      s.expireWindows(streamTime - size - grace);
    }
  }
}
