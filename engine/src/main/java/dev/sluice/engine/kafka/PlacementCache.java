package dev.sluice.engine.kafka;

import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicMetadata;
import dev.sluice.actors.registry.TopicRegistry;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's view of where partitions live, from the topic registry: refreshed in the
 * background when older than a few seconds, and whenever Metadata reads the topic list. Unknown
 * topics (not looked up yet) answer -1, so the request goes to the partition entity, which knows.
 */
final class PlacementCache {
  private static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(5);

  private record Entry(TopicMetadata topic, long atNanos) {}

  private final GatewayContext context;
  private final ConcurrentHashMap<String, Entry> topics = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Boolean> refreshing = new ConcurrentHashMap<>();

  PlacementCache(GatewayContext context) {
    this.context = context;
  }

  void remember(TopicMetadata t) {
    topics.put(t.name(), new Entry(t, System.nanoTime()));
  }

  /** The registry's whole topic list, as it answered it last (null before the first answer). */
  private volatile java.util.List<TopicMetadata> lastList;

  void rememberAll(java.util.List<TopicMetadata> list) {
    list.forEach(this::remember);
    lastList = list;
  }

  /** The topic list last seen from the registry, or null: served while the registry does not answer. */
  java.util.List<TopicMetadata> lastList() {
    return lastList;
  }

  void forget(String topic) {
    topics.remove(topic);
  }

  /** The node holding the partition's log, or -1 if unknown here or unplaced. */
  int nodeOf(String topic, int partition) {
    Entry e = topics.get(topic);
    if (e == null || System.nanoTime() - e.atNanos() > MAX_AGE_NANOS) {
      refresh(topic);
    }
    return e == null ? -1 : e.topic().nodeOf(partition);
  }

  /** The topic as the registry describes it (cached), or null if it does not exist. */
  java.util.concurrent.CompletionStage<TopicMetadata> lookup(String topic) {
    Entry e = topics.get(topic);
    if (e != null && System.nanoTime() - e.atNanos() <= MAX_AGE_NANOS) {
      return java.util.concurrent.CompletableFuture.completedFuture(e.topic());
    }
    return context
        .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.DescribeTopic(topic, r))
        .thenApply(
            d -> {
              if (d.error() == TopicError.NONE) {
                remember(d.topic());
                return d.topic();
              }
              if (d.error() == TopicError.UNKNOWN_TOPIC_OR_PARTITION) {
                forget(topic);
                return null;
              }
              throw new IllegalStateException("topic '" + topic + "': " + d.error() + " " + d.message());
            });
  }

  private void refresh(String topic) {
    if (refreshing.putIfAbsent(topic, Boolean.TRUE) != null) {
      return;
    }
    context
        .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.DescribeTopic(topic, r))
        .whenComplete(
            (d, err) -> {
              refreshing.remove(topic);
              if (err == null && d.error() == TopicError.NONE) {
                remember(d.topic());
              } else if (err == null && d.error() == TopicError.UNKNOWN_TOPIC_OR_PARTITION) {
                forget(topic);
              }
            });
  }
}
