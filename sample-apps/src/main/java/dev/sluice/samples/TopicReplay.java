package dev.sluice.samples;

import dev.sluice.dsl.javadsl.Consumer;
import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.ConsumerSettings;
import dev.sluice.dsl.javadsl.StartOffset;
import dev.sluice.dsl.javadsl.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Bounded replays of a topic with the DSL's plain consumer source: each partition from a start
 * offset up to (not including) an end offset, then the stream completes.
 *
 * <p>A plain source is a live tail — at the end of a partition it waits for new records — so a
 * replay needs to know where to stop: the caller passes end offsets taken beforehand ({@link
 * Topics#latest}, or a point in time with {@link Topics#firstOffsetsAtOrAfter}). Partitions with
 * nothing in their range are not read at all.
 */
public final class TopicReplay {
  private TopicReplay() {}

  /** Read-only replays hold little in memory; the end of a range is known, so waits are short. */
  static final ConsumerSettings SETTINGS = ConsumerSettings.defaults().withPollWait(Duration.ofMillis(100));

  /**
   * The records of every partition in {@code until}, from its offset in {@code from} (0 if absent;
   * pass {@link Topics#earliest} when retention may have deleted the start) up to its offset in
   * {@code until}: one partition after another, each in offset order.
   */
  public static Source<ConsumerRecord, NotUsed> range(
      ActorSystem<?> system, Map<TopicPartition, Long> from, Map<TopicPartition, Long> until) {
    List<Source<ConsumerRecord, NotUsed>> parts = new ArrayList<>();
    Map<TopicPartition, Long> ordered = new TreeMap<>(Topics::byPartition);
    ordered.putAll(until);
    ordered.forEach(
        (tp, end) -> {
          long start = from.getOrDefault(tp, 0L);
          if (start < end) {
            parts.add(
                Consumer.plainSource(system, SETTINGS, Map.of(tp, StartOffset.offset(start)))
                    .takeWhile(r -> r.offset() < end - 1, true) // inclusive: the record at end - 1 is the last
                    .mapMaterializedValue(control -> NotUsed.notUsed()));
          }
        });
    return Source.from(parts).flatMapConcat(s -> s);
  }

  /** {@link #range} collected into a list (bounded: a minute at most). */
  public static List<ConsumerRecord> read(ActorSystem<?> system, Map<TopicPartition, Long> from, Map<TopicPartition, Long> until) {
    try {
      return range(system, from, until).runWith(Sink.seq(), system).toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("replaying " + until.keySet() + " failed: " + e, e);
    }
  }
}
