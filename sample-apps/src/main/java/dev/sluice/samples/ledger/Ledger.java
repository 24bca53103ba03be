package dev.sluice.samples.ledger;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.dsl.javadsl.ConsumerRecord;
import dev.sluice.dsl.javadsl.Producer;
import dev.sluice.dsl.javadsl.ProducerMessage;
import dev.sluice.dsl.javadsl.ProducerResult;
import dev.sluice.dsl.javadsl.ProducerSettings;
import dev.sluice.dsl.javadsl.Serde;
import dev.sluice.dsl.javadsl.Serdes;
import dev.sluice.dsl.javadsl.TopicPartition;
import dev.sluice.samples.SampleNode;
import dev.sluice.samples.TopicReplay;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * An event-sourced ledger on topic {@value #TOPIC}: the topic is the store of record, the balance
 * view is derived from it and rebuilt by replaying it.
 *
 * <p>The command path: a command is checked against the current view ({@link Balances#decide}),
 * an accepted one is appended as an event (acks=all: durable before anything else happens), then
 * applied to the view. Commands are handled one at a time ({@link #execute} must not be called
 * again before the previous call completed), so a check always sees every earlier event: two
 * withdrawals cannot both pass against the same balance. That makes this process the ledger's
 * single writer — one node owns its data directory, so one app instance runs per ledger; a ledger
 * with many writers would route each account's commands to one owner (e.g. a sharded entity).
 */
public final class Ledger {
  public static final String TOPIC = "ledger";
  static final Serde<LedgerEvent> EVENTS = Serdes.json(LedgerEvent.class);

  /** An event as stored: where, when, and what. */
  public record Posted(TopicPartition partition, long offset, Instant at, LedgerEvent event) {}

  /** A command's outcome: the stored event, or the rejection; and the account afterwards. */
  public record Outcome(LedgerCommand command, Posted posted, String rejection, Balances.Account account) {
    public boolean accepted() {
      return posted != null;
    }
  }

  private final SampleNode node;
  private Balances view;

  private Ledger(SampleNode node, Balances view) {
    this.node = node;
    this.view = view;
  }

  /** The ledger with its view rebuilt from every event in the topic. */
  public static Ledger recover(SampleNode node) {
    return new Ledger(node, fold(Balances.empty(), replay(node, node.topics().earliest(TOPIC), node.topics().latest(TOPIC))));
  }

  /** The current view (every event appended so far). */
  public Balances balances() {
    return view;
  }

  /**
   * Checks {@code command} against the view; if accepted, appends its event stamped {@code at} (the
   * time it happens, fixed by the caller and stored as the record's timestamp), then applies it.
   */
  public CompletionStage<Outcome> execute(LedgerCommand command, Instant time) {
    Instant at = time.truncatedTo(ChronoUnit.MILLIS); // record timestamps are milliseconds
    Balances.Decision d = view.decide(command);
    if (!d.accepted()) {
      return CompletableFuture.completedFuture(new Outcome(command, null, d.rejection(), view.account(command.account()).orElse(null)));
    }
    ProducerMessage<Void> message =
        new ProducerMessage<>(TOPIC, null, command.account().getBytes(UTF_8), EVENTS.serialize(d.event()), List.of(), at.toEpochMilli(), null);
    return Source.single(message)
        .via(Producer.<Void>flow(node.system(), ProducerSettings.defaults()))
        .runWith(Sink.head(), node.system())
        .thenApply(
            (ProducerResult<Void> r) -> {
              view = view.apply(d.event());
              Posted posted = new Posted(new TopicPartition(r.topic(), r.partition()), r.offset(), at, d.event());
              return new Outcome(command, posted, null, view.account(command.account()).orElse(null));
            });
  }

  /** The stored events in [{@code from}, {@code until}) of each partition. */
  public static List<Posted> replay(SampleNode node, Map<TopicPartition, Long> from, Map<TopicPartition, Long> until) {
    List<Posted> events = new ArrayList<>();
    for (ConsumerRecord r : TopicReplay.read(node.system(), from, until)) {
      LedgerEvent e;
      try {
        e = EVENTS.deserialize(r.record().value());
      } catch (RuntimeException bad) {
        throw new IllegalStateException("ledger event " + r.topic() + "-" + r.partition() + "@" + r.offset() + " is unreadable: " + bad.getMessage(), bad);
      }
      events.add(new Posted(new TopicPartition(r.topic(), r.partition()), r.offset(), Instant.ofEpochMilli(r.record().timestamp()), e));
    }
    return events;
  }

  /**
   * {@code start} with {@code events} applied. Partitions are replayed one after another, which is
   * enough: events of one account are in one partition, in order, and accounts are independent.
   */
  public static Balances fold(Balances start, List<Posted> events) {
    Balances b = start;
    for (Posted p : events) {
      b = b.apply(p.event());
    }
    return b;
  }

  /**
   * The balances as of {@code time}: the events before each partition's first event at or after
   * {@code time} (the log's time index, as Kafka's {@code offsetsForTimes}), replayed from the start.
   */
  public static Balances asOf(SampleNode node, Instant time) {
    return fold(Balances.empty(), replay(node, node.topics().earliest(TOPIC), node.topics().firstOffsetsAtOrAfter(TOPIC, time)));
  }
}
