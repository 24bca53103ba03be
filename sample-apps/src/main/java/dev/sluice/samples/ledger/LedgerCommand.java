package dev.sluice.samples.ledger;

import dev.sluice.samples.ledger.Balances.Account;
import dev.sluice.samples.ledger.Balances.Decision;

/**
 * What a client asks of the ledger. The rules live here: given the account's current state (from
 * the balance view), a command becomes an event or is rejected with a reason.
 */
public sealed interface LedgerCommand {
  String account();

  /** The event this command records, or its rejection, for the account as it is now (null: none). */
  Decision decide(Account current);

  /** For people: "withdraw bob 80.00". */
  String describe();

  record Open(String account, String owner) implements LedgerCommand {
    @Override
    public Decision decide(Account current) {
      return current != null
          ? Decision.reject("account " + account + " exists already")
          : Decision.accept(new LedgerEvent.AccountOpened(account, owner));
    }

    @Override
    public String describe() {
      return "open " + account + " (" + owner + ")";
    }
  }

  record Deposit(String account, long cents) implements LedgerCommand {
    @Override
    public Decision decide(Account current) {
      if (current == null) {
        return Decision.reject("no account " + account);
      }
      return cents <= 0 ? Decision.reject("a deposit must be positive") : Decision.accept(new LedgerEvent.Deposited(account, cents));
    }

    @Override
    public String describe() {
      return "deposit " + account + " " + Balances.money(cents);
    }
  }

  record Withdraw(String account, long cents) implements LedgerCommand {
    @Override
    public Decision decide(Account current) {
      if (current == null) {
        return Decision.reject("no account " + account);
      }
      if (cents <= 0) {
        return Decision.reject("a withdrawal must be positive");
      }
      if (cents > current.cents()) {
        return Decision.reject("insufficient funds: balance " + Balances.money(current.cents()) + ", asked " + Balances.money(cents));
      }
      return Decision.accept(new LedgerEvent.Withdrawn(account, cents));
    }

    @Override
    public String describe() {
      return "withdraw " + account + " " + Balances.money(cents);
    }
  }
}
