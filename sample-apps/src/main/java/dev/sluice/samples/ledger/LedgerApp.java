package dev.sluice.samples.ledger;

import dev.sluice.dsl.javadsl.TopicPartition;
import dev.sluice.samples.SampleArgs;
import dev.sluice.samples.SampleNode;
import dev.sluice.samples.Topics;
import java.io.PrintStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The event-sourced ledger sample: runs a scripted month-start of a small bank (or one command
 * from the command line) through {@link Ledger}'s command path, then shows the views the topic
 * gives: balances replayed from the start, balances as of a point in time, and the events since
 * that time replayed from their offsets, checked to add up to today's balances.
 */
public final class LedgerApp {
  public static final Set<String> OPTIONS = Set.of("--as-of");
  public static final String USAGE =
      """
      Usage: run ledger [open ID OWNER | deposit ID AMOUNT | withdraw ID AMOUNT]
                        [--as-of TIME] [--data-dir DIR] [--kafka-port P] [--serve]
        (no command)   run the scripted demo into an empty ledger (a ledger with events keeps
                       them), then show the views
        open/deposit/withdraw
                       one command now, checked against the balances replayed from the topic
        --as-of TIME   balances as of this ISO-8601 instant (default 2024-03-03T00:00:00Z,
                       the start of the demo's third day)
      """;
  public static final Instant DEFAULT_AS_OF = Instant.parse("2024-03-03T00:00:00Z");

  /** One scripted command and when it happens. */
  record Step(String at, LedgerCommand command) {}

  static final List<Step> SCRIPT =
      List.of(
          new Step("2024-03-01T09:00:00Z", new LedgerCommand.Open("alice", "Alice Liddell")),
          new Step("2024-03-01T09:05:00Z", new LedgerCommand.Open("bob", "Bob Cratchit")),
          new Step("2024-03-01T10:00:00Z", new LedgerCommand.Deposit("alice", 100_00)),
          new Step("2024-03-01T11:00:00Z", new LedgerCommand.Deposit("bob", 50_00)),
          new Step("2024-03-02T09:30:00Z", new LedgerCommand.Withdraw("alice", 30_00)),
          new Step("2024-03-02T12:00:00Z", new LedgerCommand.Withdraw("bob", 80_00)), // rejected: 50.00
          new Step("2024-03-02T15:00:00Z", new LedgerCommand.Deposit("bob", 40_00)),
          new Step("2024-03-02T16:00:00Z", new LedgerCommand.Withdraw("carol", 10_00)), // rejected: no account
          new Step("2024-03-03T10:00:00Z", new LedgerCommand.Withdraw("bob", 80_00)), // now fine: 90.00
          new Step("2024-03-03T11:00:00Z", new LedgerCommand.Open("carol", "Carol Danvers")),
          new Step("2024-03-03T11:30:00Z", new LedgerCommand.Deposit("carol", 25_00)),
          new Step("2024-03-03T14:00:00Z", new LedgerCommand.Withdraw("alice", 100_00))); // rejected: 70.00

  /** What the app did and showed. */
  public record Result(List<Ledger.Outcome> outcomes, Balances balances, Balances asOf, List<Ledger.Posted> since, boolean addsUp) {}

  private LedgerApp() {}

  public static Result run(SampleArgs args, PrintStream out) throws Exception {
    List<Step> steps = steps(args.words());
    Instant asOf = args.option("--as-of").map(LedgerApp::instant).orElse(DEFAULT_AS_OF);
    SampleNode node = SampleNode.start(args.dataDir(), args.kafkaPort(), out);
    try {
      Topics topics = node.topics();
      // an event store keeps its events: no time-based retention (the demo's events are from 2024)
      topics.create(Ledger.TOPIC, 3, Map.of("retention.ms", "-1"));

      Ledger ledger = Ledger.recover(node);
      long stored = topics.countFrom(Ledger.TOPIC, topics.earliest(Ledger.TOPIC));
      out.printf("recovered %d events from '%s': %d accounts%n", stored, Ledger.TOPIC, ledger.balances().accounts().size());
      if (args.words().isEmpty() && stored > 0) {
        out.println("the ledger has events already: not running the demo script again");
        steps = List.of();
      }
      List<Ledger.Outcome> outcomes = new ArrayList<>();
      for (Step s : steps) {
        // one command at a time: each check sees every event before it
        Ledger.Outcome o = ledger.execute(s.command(), instant(s.at())).toCompletableFuture().get(30, TimeUnit.SECONDS);
        outcomes.add(o);
        out.printf("  %s  %-28s %s%n", s.at(), s.command().describe(), outcome(o));
      }

      // the views: everything is derived from the topic again, not from the in-memory view
      Map<TopicPartition, Long> start = topics.earliest(Ledger.TOPIC);
      Map<TopicPartition, Long> end = topics.latest(Ledger.TOPIC);
      List<Ledger.Posted> all = Ledger.replay(node, start, end);
      Balances now = Ledger.fold(Balances.empty(), all);
      out.printf("balances, replayed from the start of '%s' (%d events):%n", Ledger.TOPIC, all.size());
      print(now, out);

      Map<TopicPartition, Long> cut = topics.firstOffsetsAtOrAfter(Ledger.TOPIC, asOf);
      Balances then = Ledger.fold(Balances.empty(), Ledger.replay(node, start, cut));
      out.printf("balances as of %s (the events before offsets %s):%n", asOf, offsets(cut));
      print(then, out);

      List<Ledger.Posted> since = Ledger.replay(node, cut, end);
      out.printf("events since %s, replayed from those offsets:%n", asOf);
      for (Ledger.Posted p : since) {
        out.printf("  %s  %s-%d@%d  %s%n", p.at(), p.partition().topic(), p.partition().partition(), p.offset(), p.event().describe());
      }
      boolean addsUp = Ledger.fold(then, since).equals(now);
      out.printf("balances as of %s + the %d events since = balances now: %s%n", asOf, since.size(), addsUp ? "yes" : "NO");

      if (args.serve()) {
        out.printf(
            "watch the ledger: kafka-console-consumer.sh --bootstrap-server 127.0.0.1:%d --topic %s --from-beginning"
                + " --property print.key=true --property print.timestamp=true%n",
            node.kafkaPort(), Ledger.TOPIC);
        node.awaitShutdown(out);
      }
      return new Result(outcomes, now, then, since, addsUp);
    } finally {
      node.close();
    }
  }

  /** The demo script, or the one command given on the command line (happening now). */
  static List<Step> steps(List<String> words) {
    if (words.isEmpty()) {
      return SCRIPT;
    }
    if (words.size() != 3) {
      throw new IllegalArgumentException("a command is: open ID OWNER | deposit ID AMOUNT | withdraw ID AMOUNT");
    }
    String id = words.get(1);
    LedgerCommand c =
        switch (words.get(0)) {
          case "open" -> new LedgerCommand.Open(id, words.get(2));
          case "deposit" -> new LedgerCommand.Deposit(id, Balances.cents(words.get(2)));
          case "withdraw" -> new LedgerCommand.Withdraw(id, Balances.cents(words.get(2)));
          default -> throw new IllegalArgumentException("unknown ledger command '" + words.get(0) + "'");
        };
    return List.of(new Step(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), c));
  }

  private static Instant instant(String s) {
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not an ISO-8601 instant (like 2024-03-03T00:00:00Z): '" + s + "'");
    }
  }

  private static String outcome(Ledger.Outcome o) {
    if (!o.accepted()) {
      return "REJECTED: " + o.rejection();
    }
    return String.format(
        "ok -> %s-%d@%d, balance %s",
        o.posted().partition().topic(), o.posted().partition().partition(), o.posted().offset(), Balances.money(o.account().cents()));
  }

  private static String offsets(Map<TopicPartition, Long> offsets) {
    return offsets.entrySet().stream().map(e -> e.getKey().topic() + "-" + e.getKey().partition() + "@" + e.getValue()).collect(Collectors.joining(" "));
  }

  private static void print(Balances b, PrintStream out) {
    if (b.accounts().isEmpty()) {
      out.println("  (no accounts)");
    }
    b.accounts().forEach((id, a) -> out.printf("  %-8s %-16s %10s%n", id, a.owner(), Balances.money(a.cents())));
  }
}
