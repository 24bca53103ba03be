package dev.sluice.samples.ledger;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The balance view: every account's owner and balance, folded from ledger events. Immutable:
 * {@link #apply} returns the next view (copying the map, which is fine for a sample's few
 * accounts; a big ledger would use a persistent map or keep views per account).
 */
public record Balances(Map<String, Account> accounts) {
  public record Account(String owner, long cents) {}

  /** A command's outcome: the event to record, or why the command is rejected. */
  public record Decision(LedgerEvent event, String rejection) {
    static Decision accept(LedgerEvent e) {
      return new Decision(e, null);
    }

    static Decision reject(String why) {
      return new Decision(null, why);
    }

    public boolean accepted() {
      return event != null;
    }
  }

  public Balances {
    accounts = Collections.unmodifiableSortedMap(new TreeMap<>(accounts)); // sorted by account id
  }

  public static Balances empty() {
    return new Balances(Map.of());
  }

  public Optional<Account> account(String id) {
    return Optional.ofNullable(accounts.get(id));
  }

  /** The view after {@code e}. */
  public Balances apply(LedgerEvent e) {
    Map<String, Account> next = new TreeMap<>(accounts);
    next.put(e.account(), e.applyTo(accounts.get(e.account())));
    return new Balances(next);
  }

  /** What {@code c} becomes against this view: the check of the command path. */
  public Decision decide(LedgerCommand c) {
    return c.decide(accounts.get(c.account()));
  }

  /** 1234 → "12.34". */
  public static String money(long cents) {
    return BigDecimal.valueOf(cents, 2).toPlainString();
  }

  /** "12.34" → 1234; at most two decimals. */
  public static long cents(String amount) {
    try {
      return new BigDecimal(amount).movePointRight(2).longValueExact();
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("not an amount with at most two decimals: '" + amount + "'");
    }
  }
}
