package dev.sluice.samples.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.samples.SampleArgs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The ledger app on a real embedded node: overdraft checks, replays, balances as of a time. */
class LedgerTest {
  @TempDir Path dir;

  static Map<String, String> balances(Balances b) {
    Map<String, String> m = new TreeMap<>();
    b.accounts().forEach((id, a) -> m.put(id, Balances.money(a.cents())));
    return m;
  }

  LedgerApp.Result run(PrintStream out, String... words) throws Exception {
    String[] common = {"--data-dir", dir.toString(), "--kafka-port", "0"};
    String[] args = new String[words.length + common.length];
    System.arraycopy(words, 0, args, 0, words.length);
    System.arraycopy(common, 0, args, words.length, common.length);
    return LedgerApp.run(SampleArgs.parse("ledger", args, LedgerApp.OPTIONS, Set.of()), out);
  }

  @Test
  @Timeout(90)
  void rejectsOverdraftsAndRebuildsBalancesNowAndAsOfATime() throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    LedgerApp.Result demo = run(new PrintStream(printed, true));

    List<String> rejections = demo.outcomes().stream().filter(o -> !o.accepted()).map(Ledger.Outcome::rejection).toList();
    assertEquals(
        List.of("insufficient funds: balance 50.00, asked 80.00", "no account carol", "insufficient funds: balance 70.00, asked 100.00"),
        rejections);
    assertEquals(9, demo.outcomes().stream().filter(Ledger.Outcome::accepted).count(), "events appended");
    assertEquals(Map.of("alice", "70.00", "bob", "10.00", "carol", "25.00"), balances(demo.balances()), "replayed from the start");
    // as of the start of day 3: bob's day-3 withdrawal and carol's account are not there yet
    assertEquals(Map.of("alice", "70.00", "bob", "90.00"), balances(demo.asOf()), "as of 2024-03-03T00:00:00Z");
    assertEquals(
        List.of("Withdrawn bob 80.00", "AccountOpened carol", "Deposited carol 25.00"),
        demo.since().stream().map(p -> p.event().describe()).toList(),
        "events since then, replayed from their offsets");
    assertTrue(demo.addsUp());
    assertTrue(
        Pattern.compile("2024-03-02T12:00:00Z +withdraw bob 80\\.00 +REJECTED: insufficient funds").matcher(printed.toString(StandardCharsets.UTF_8)).find(),
        printed::toString);

    // a new process: the view comes back from the topic, and the rules hold against it
    printed.reset();
    LedgerApp.Result overdraw = run(new PrintStream(printed, true), "withdraw", "bob", "10.01", "--as-of", "2024-03-02T00:00:00Z");
    assertFalse(overdraw.outcomes().get(0).accepted());
    assertEquals("insufficient funds: balance 10.00, asked 10.01", overdraw.outcomes().get(0).rejection());
    assertEquals(balances(demo.balances()), balances(overdraw.balances()), "nothing appended, the demo not run again");
    assertEquals(Map.of("alice", "100.00", "bob", "50.00"), balances(overdraw.asOf()), "as of the start of day 2");
    assertTrue(overdraw.addsUp());
    assertTrue(printed.toString(StandardCharsets.UTF_8).contains("recovered 9 events from 'ledger': 3 accounts"), printed::toString);
  }
}
