package dev.sluice.samples.ledger;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.sluice.samples.ledger.Balances.Account;

/**
 * What happened to an account: the ledger's facts, stored as JSON in topic {@code ledger} keyed by
 * account id (so one account's events stay in order, in one partition), e.g.
 * {@code {"type":"Withdrawn","account":"alice","cents":3000}}. The record's timestamp is when it
 * happened. Amounts are whole cents.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = LedgerEvent.AccountOpened.class, name = "AccountOpened"),
  @JsonSubTypes.Type(value = LedgerEvent.Deposited.class, name = "Deposited"),
  @JsonSubTypes.Type(value = LedgerEvent.Withdrawn.class, name = "Withdrawn")
})
public sealed interface LedgerEvent {
  String account();

  /**
   * The account after this event, given the account before it (null before it was opened). Pure:
   * an event is a fact, so applying it never fails and never consults anything else.
   */
  Account applyTo(Account before);

  /** For people: "Withdrawn bob 80.00". */
  default String describe() {
    return getClass().getSimpleName() + " " + account();
  }

  record AccountOpened(String account, String owner) implements LedgerEvent {
    @Override
    public Account applyTo(Account before) {
      return new Account(owner, 0);
    }
  }

  record Deposited(String account, long cents) implements LedgerEvent {
    @Override
    public Account applyTo(Account before) {
      return new Account(before.owner(), before.cents() + cents);
    }

    @Override
    public String describe() {
      return "Deposited " + account + " " + Balances.money(cents);
    }
  }

  record Withdrawn(String account, long cents) implements LedgerEvent {
    @Override
    public Account applyTo(Account before) {
      return new Account(before.owner(), before.cents() - cents);
    }

    @Override
    public String describe() {
      return "Withdrawn " + account + " " + Balances.money(cents);
    }
  }
}
