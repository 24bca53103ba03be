package dev.sluice.dsl.javadsl;

import dev.sluice.dsl.state.StateStoreEntity;
import dev.sluice.dsl.state.StateStoreEvent;
import dev.sluice.persistence.Failures;
import dev.sluice.persistence.batch.LogRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One input partition of a running stream processor: its source's steps, the in-memory copies of
 * its durable stores, and the work of the input record being processed. Records are processed
 * one at a time, in offset order; each yields its outputs and the changes it made to the stores,
 * which travel with its offset ({@link Progress}) until the outputs are acknowledged, then the
 * changes are journaled, then the offset is committed.
 */
final class PartitionRun {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionRun.class);

  /** What one input record leaves to do once its outputs are acknowledged. */
  record Progress(CommittableOffset offset, long inputOffset, List<StoreChange> changes) {}

  /** Changes one input record made to one store. */
  record StoreChange(String entityId, long epoch, long streamTime, List<StateStoreEvent.Entry> entries, StateStoreEvent.Mark mark) {}

  /** Header of records in repartition topics: where they come from, {@code topic/partition/offset/index}. */
  static final String ORIGIN_HEADER = "sluice.origin";

  interface ThrowingConsumer<T> {
    void accept(T t) throws Exception;
  }

  private final String application;
  private final TopicPartition tp;
  private final Topology.SourceNode root;
  private final ProcessorSettings.ErrorHandling onError;
  private final ProcessorStats stats;
  private final Map<Topology.AggregateNode, Store> stores = new IdentityHashMap<>();
  // the record in progress
  private long inputOffset;
  private StateStoreEvent.Mark origin;
  private int internalOutputs;
  private final List<Output> outputs = new ArrayList<>();
  private final ArrayDeque<Runnable> undo = new ArrayDeque<>();
  // the asynchronous steps of the record in progress; a step that completes may add another
  private volatile CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

  private record Output(String topic, byte[] key, byte[] value, long timestamp, List<LogRecord.Header> headers) {}

  private PartitionRun(String application, TopicPartition tp, Topology.SourceNode root, ProcessorSettings.ErrorHandling onError, ProcessorStats stats) {
    this.application = application;
    this.tp = tp;
    this.root = root;
    this.onError = onError;
    this.stats = stats;
  }

  /** Claims and loads every store of {@code root}'s steps for this partition. */
  static CompletionStage<PartitionRun> load(
      ActorSystem<?> system, String application, TopicPartition tp, Topology.SourceNode root, ProcessorSettings settings,
      ProcessorStats stats) {
    PartitionRun run = new PartitionRun(application, tp, root, settings.onError(), stats);
    List<Topology.AggregateNode> nodes = new ArrayList<>();
    collect(root, nodes);
    CompletableFuture<PartitionRun> all = CompletableFuture.completedFuture(run);
    for (Topology.AggregateNode node : nodes) {
      String id = StateStoreEntity.entityId(application, node.store, tp.topic(), tp.partition());
      CompletableFuture<StateStoreEntity.Loaded> loaded =
          StateStoreEntity.entityRef(system, id)
              .<StateStoreEntity.Loaded>ask(StateStoreEntity.Load::new, settings.consumer().askTimeout())
              .toCompletableFuture();
      all = all.thenCombine(loaded, (r, l) -> {
        r.stores.put(node, r.new Store(id, node, l));
        return r;
      });
    }
    return all;
  }

  private static void collect(Topology.Node node, List<Topology.AggregateNode> into) {
    if (node instanceof Topology.AggregateNode a) {
      into.add(a);
    }
    node.children.forEach(c -> collect(c, into));
  }

  long inputOffset() {
    return inputOffset;
  }

  Store store(Topology.AggregateNode node) {
    return stores.get(node);
  }

  void output(String topic, byte[] key, byte[] value, long timestamp) {
    outputs.add(new Output(topic, key, value, timestamp, List.of()));
  }

  /** An output to a repartition topic, stamped with its origin (this record, this output's index). */
  void internalOutput(String topic, byte[] key, byte[] value, long timestamp) {
    String o = tp.topic() + "/" + tp.partition() + "/" + inputOffset + "/" + (internalOutputs++);
    outputs.add(new Output(topic, key, value, timestamp, List.of(new LogRecord.Header(ORIGIN_HEADER, o.getBytes(StandardCharsets.UTF_8)))));
  }

  /** The origin of the record in progress if it came through a repartition topic, else null. */
  StateStoreEvent.Mark origin() {
    return origin;
  }

  void droppedLate() {
    stats.late.incrementAndGet();
  }

  void droppedNullKey() {
    stats.nullKeys.incrementAndGet();
  }

  /** Runs {@code next} with {@code result} once it and every earlier step of this record are done. */
  <T> void then(CompletionStage<T> result, ThrowingConsumer<T> next) {
    // the new tail is in place before the step can run: a step that is already complete runs
    // right here, and the steps it adds must chain after it, not be overwritten by it
    CompletableFuture<Void> previous = tail;
    CompletableFuture<Void> step = new CompletableFuture<>();
    tail = step;
    previous
        .thenCombine(
            result,
            (v, t) -> {
              try {
                next.accept(t);
              } catch (Exception e) {
                throw new CompletionException(e);
              }
              return null;
            })
        .whenComplete(
            (v, e) -> {
              if (e != null) {
                step.completeExceptionally(e);
              } else {
                step.complete(null);
              }
            });
  }

  /** Processes one input record: its outputs, with its progress riding on the last. */
  CompletionStage<List<ProducerMessage<Progress>>> process(CommittableMessage m) {
    inputOffset = m.record().offset();
    origin = root.internal ? originOf(m.record().record()) : null;
    internalOutputs = 0;
    outputs.clear();
    undo.clear();
    tail = CompletableFuture.completedFuture(null);
    try {
      Object key = root.keySerde.deserialize(m.record().record().key());
      Object value = root.valueSerde.deserialize(m.record().record().value());
      root.process(this, new Topology.Rec(key, value, m.record().record().timestamp()));
    } catch (Exception e) {
      if (tail.isDone()) {
        return CompletableFuture.completedFuture(failed(m, e));
      }
      // asynchronous steps of this record are still running: let them end before undoing it
      return settled().handle((v, ignored) -> failed(m, e));
    }
    if (tail.isDone() && !tail.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(finish(m));
    }
    return settled().handle((v, e) -> e == null ? finish(m) : failed(m, Failures.cause(e)));
  }

  /**
   * Completes when every asynchronous step of the record in progress is done, including steps
   * that completing steps added (chained {@code mapAsync}s), failing with the first failure.
   */
  private CompletableFuture<Void> settled() {
    CompletableFuture<Void> t = tail;
    return t.handle((v, e) -> e)
        .thenCompose(
            e -> {
              if (tail != t) {
                return settled();
              }
              return e == null ? CompletableFuture.<Void>completedFuture(null) : CompletableFuture.<Void>failedFuture(e);
            });
  }

  private List<ProducerMessage<Progress>> finish(CommittableMessage m) {
    List<StoreChange> changes = new ArrayList<>(0);
    for (Store s : stores.values()) {
      StoreChange c = s.takeChanges();
      if (c != null) {
        changes.add(c);
      }
    }
    Progress progress = new Progress(m.committableOffset(), inputOffset, changes);
    List<ProducerMessage<Progress>> messages = new ArrayList<>(Math.max(1, outputs.size()));
    for (int i = 0; i < outputs.size(); i++) {
      Output o = outputs.get(i);
      messages.add(
          new ProducerMessage<>(o.topic(), null, o.key(), o.value(), o.headers(), o.timestamp(), i == outputs.size() - 1 ? progress : null));
    }
    if (messages.isEmpty()) {
      messages.add(ProducerMessage.passThrough(progress));
    }
    outputs.clear();
    undo.clear();
    stats.processed.incrementAndGet();
    return messages;
  }

  private List<ProducerMessage<Progress>> failed(CommittableMessage m, Throwable e) {
    String where = "stream processor '" + application + "' failed on " + tp.topic() + "-" + tp.partition() + "@" + inputOffset;
    while (!undo.isEmpty()) {
      undo.pollLast().run();
    }
    stores.values().forEach(Store::dropChanges);
    outputs.clear();
    if (onError == ProcessorSettings.ErrorHandling.SKIP) {
      LOG.warn("{}: {}; record skipped", where, e.toString());
      stats.skipped.incrementAndGet();
      stats.processed.incrementAndGet();
      return List.of(ProducerMessage.passThrough(new Progress(m.committableOffset(), inputOffset, List.of())));
    }
    throw new ProcessingException(where + ": " + e, e);
  }

  private static StateStoreEvent.Mark originOf(LogRecord r) {
    for (LogRecord.Header h : r.headers()) {
      if (ORIGIN_HEADER.equals(h.key())) {
        String[] parts = new String(h.value(), StandardCharsets.UTF_8).split("/");
        if (parts.length == 4) {
          return new StateStoreEvent.Mark(parts[0] + "/" + parts[1], Long.parseLong(parts[2]), Integer.parseInt(parts[3]));
        }
      }
    }
    return null;
  }

  static byte[] windowKey(byte[] key, long start) {
    return ByteBuffer.allocate(key.length + 8).put(key).putLong(start).array();
  }

  /** The in-memory copy of one durable store, with the changes of the record in progress. */
  final class Store {
    private final String entityId;
    private final Topology.AggregateNode node;
    private final long epoch;
    private final long appliedOffset;
    private long streamTime;
    private boolean streamTimeChanged;
    private final Map<ByteString, Object> values = new HashMap<>();
    private final TreeMap<Long, Set<ByteString>> windowsByStart = new TreeMap<>();
    private final LinkedHashMap<ByteString, byte[]> changes = new LinkedHashMap<>();
    private final Map<String, StateStoreEvent.Mark> marks = new HashMap<>();
    private StateStoreEvent.Mark newMark;

    Store(String entityId, Topology.AggregateNode node, StateStoreEntity.Loaded loaded) {
      this.entityId = entityId;
      this.node = node;
      this.epoch = loaded.epoch();
      this.appliedOffset = loaded.inputOffset();
      this.streamTime = loaded.streamTime();
      loaded.marks().forEach(mk -> marks.put(mk.source(), mk));
      for (StateStoreEvent.Entry e : loaded.entries()) {
        ByteString k = ByteString.fromArrayUnsafe(e.key());
        values.put(k, node.aggregateSerde.deserialize(e.value()));
        if (node.windows != null) {
          windowsByStart.computeIfAbsent(ByteBuffer.wrap(e.key(), e.key().length - 8, 8).getLong(), s -> new HashSet<>()).add(k);
        }
      }
    }

    /**
     * Whether the record in progress was applied to this store before: by its origin if it came
     * through a repartition topic, else by its offset. If not, it will be (its origin is noted).
     */
    boolean alreadyApplied() {
      StateStoreEvent.Mark o = origin;
      if (o == null) {
        return inputOffset <= appliedOffset;
      }
      StateStoreEvent.Mark last = marks.get(o.source());
      if (last != null && last.covers(o.offset(), o.index())) {
        return true;
      }
      StateStoreEvent.Mark before = newMark;
      undo.add(() -> {
        newMark = before;
        if (last == null) {
          marks.remove(o.source());
        } else {
          marks.put(o.source(), last);
        }
      });
      marks.put(o.source(), o);
      newMark = o;
      return false;
    }

    Object getOr(byte[] key, Supplier<Object> initial) {
      Object v = values.get(ByteString.fromArrayUnsafe(key));
      return v != null ? v : initial.get();
    }

    void put(byte[] key, Object value) {
      ByteString k = ByteString.fromArrayUnsafe(key);
      Object old = values.put(k, value);
      byte[] oldChange = changes.get(k);
      boolean hadChange = changes.containsKey(k);
      undo.add(() -> {
        if (old == null) {
          values.remove(k);
        } else {
          values.put(k, old);
        }
        if (hadChange) {
          changes.put(k, oldChange);
        } else {
          changes.remove(k);
        }
      });
      changes.put(k, node.aggregateSerde.serialize(value));
    }

    void putWindow(byte[] key, long start, Object value) {
      put(key, value);
      ByteString k = ByteString.fromArrayUnsafe(key);
      if (windowsByStart.computeIfAbsent(start, s -> new HashSet<>()).add(k)) {
        undo.add(() -> windowsByStart.get(start).remove(k));
      }
    }

    long advanceStreamTime(long timestamp) {
      if (timestamp > streamTime) {
        long before = streamTime;
        boolean changedBefore = streamTimeChanged;
        undo.add(() -> {
          streamTime = before;
          streamTimeChanged = changedBefore;
        });
        streamTime = timestamp;
        streamTimeChanged = true;
      }
      return streamTime;
    }

    /** Removes windows starting at or before {@code lastExpiredStart}: they can no longer change. */
    void expireWindows(long lastExpiredStart) {
      Iterator<Map.Entry<Long, Set<ByteString>>> it = windowsByStart.headMap(lastExpiredStart, true).entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<Long, Set<ByteString>> w = it.next();
        for (ByteString k : w.getValue()) {
          Object old = values.remove(k);
          boolean hadChange = changes.containsKey(k);
          byte[] oldChange = changes.get(k);
          changes.put(k, null);
          undo.add(() -> {
            values.put(k, old);
            if (hadChange) {
              changes.put(k, oldChange);
            } else {
              changes.remove(k);
            }
          });
        }
        Long start = w.getKey();
        Set<ByteString> keys = w.getValue();
        it.remove();
        undo.add(() -> windowsByStart.put(start, keys));
      }
    }

    StoreChange takeChanges() {
      if (changes.isEmpty() && !streamTimeChanged && newMark == null) {
        return null;
      }
      List<StateStoreEvent.Entry> entries = new ArrayList<>(changes.size());
      changes.forEach((k, v) -> entries.add(new StateStoreEvent.Entry(k.toArrayUnsafe(), v)));
      changes.clear();
      streamTimeChanged = false;
      StateStoreEvent.Mark mark = newMark;
      newMark = null;
      return new StoreChange(entityId, epoch, streamTime, entries, mark);
    }

    void dropChanges() {
      changes.clear();
      streamTimeChanged = false;
      newMark = null;
    }
  }
}
