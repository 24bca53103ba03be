package dev.sluice.samples;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.Producer;
import dev.sluice.dsl.javadsl.ProducerMessage;
import dev.sluice.dsl.javadsl.ProducerSettings;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Loads lines of text into a topic, each keyed by where it comes from ({@code <source>:<line
 * number>}), and loads each line once however often the app runs: before producing, it replays
 * the topic's keys and skips the lines already there. The topic is the only record of what was
 * loaded, so an interrupted load simply continues where it stopped (whatever part of it was
 * acknowledged is in the topic, and only that is skipped). Reading every key costs one pass over
 * the topic per load — fine for a sample; a large feed would keep a load checkpoint instead.
 */
public final class LineLoader {
  private LineLoader() {}

  /** One line to load: its key, its text and its event time (epoch ms, null for "now"). */
  public record Line(String key, String text, Long timestamp) {}

  /** How many lines were produced now, and how many were in the topic already. */
  public record Loaded(int loaded, int skipped) {}

  public static Loaded load(SampleNode node, String topic, List<Line> lines) {
    Set<String> present = new HashSet<>();
    for (ConsumerRecord r : TopicReplay.read(node.system(), node.topics().earliest(topic), node.topics().latest(topic))) {
      if (r.record().key() != null) {
        present.add(new String(r.record().key(), UTF_8));
      }
    }
    List<ProducerMessage<Void>> missing =
        lines.stream()
            .filter(l -> !present.contains(l.key()))
            .map(l -> new ProducerMessage<Void>(topic, null, l.key().getBytes(UTF_8), l.text().getBytes(UTF_8), List.of(), l.timestamp(), null))
            .toList();
    try {
      // acks=all (the default): when the sink completes, every line is durable in the journal
      Source.from(missing)
          .runWith(Producer.sink(node.system(), ProducerSettings.defaults()), node.system())
          .toCompletableFuture()
          .get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("loading lines into '" + topic + "' failed: " + e, e);
    }
    return new Loaded(missing.size(), lines.size() - missing.size());
  }
}
