package dev.sluice.samples.pipeline;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The pipeline's rules for one raw CSV row of an order: parse it, validate every field, enrich
 * it (country name, amount in euros) — or say everything that is wrong with it. Pure functions:
 * a row always gives the same result, so reprocessing after a restart changes nothing.
 */
public final class Orders {
  private Orders() {}

  /** The columns a raw row has, in order (the input file's header line). */
  public static final String HEADER = "order_id,customer_email,country,amount,currency,ordered_at";

  private static final int COLUMNS = HEADER.split(",").length;
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
  private static final Map<String, String> COUNTRIES =
      Map.of("DE", "Germany", "FR", "France", "GB", "United Kingdom", "NL", "Netherlands", "US", "United States", "JP", "Japan");
  /**
   * Euros per unit of each currency. A fixed table keeps the sample self-contained; a live rate
   * service would be called from the processor with {@code mapAsync}.
   */
  private static final Map<String, BigDecimal> EUR_PER_UNIT =
      Map.of("EUR", BigDecimal.ONE, "USD", new BigDecimal("0.92"), "GBP", new BigDecimal("1.17"), "JPY", new BigDecimal("0.0059"));

  /**
   * A valid, enriched order, as written to {@code clean-records} (JSON) and the output file.
   *
   * @param source where the row came from ({@code <file>:<line>}): the row's identity
   */
  public record CleanOrder(
      String orderId, String customer, String country, String countryName, BigDecimal amount, String currency,
      BigDecimal amountEur, String orderedAt, String source) {}

  /** A row that failed validation, with every reason, as written to {@code dead-letters}. */
  public record DeadLetter(String source, String row, String reason) {}

  /** A checked row: exactly one of {@code order} and {@code deadLetter}. */
  public record Checked(CleanOrder order, DeadLetter deadLetter) {
    public boolean valid() {
      return order != null;
    }
  }

  /**
   * Checks the raw CSV {@code row} read from {@code source} (the raw record's key: the row's
   * identity, which the file sink relies on to write each row once). Never throws.
   */
  public static Checked check(String source, String row) {
    if (source == null || source.isBlank()) {
      return rejected(source, row, "the row has no key: raw records are keyed by their source, like orders.csv:7");
    }
    String[] f = row == null ? new String[0] : row.split(",", -1);
    if (f.length != COLUMNS) {
      return rejected(source, row, "expected " + COLUMNS + " columns (" + HEADER + "), got " + f.length);
    }
    List<String> problems = new ArrayList<>();
    String orderId = f[0].trim();
    if (orderId.isEmpty()) {
      problems.add("order_id is missing");
    }
    String customer = f[1].trim().toLowerCase(Locale.ROOT);
    if (!EMAIL.matcher(customer).matches()) {
      problems.add("customer_email '" + f[1] + "' is not an email address");
    }
    String country = f[2].trim().toUpperCase(Locale.ROOT);
    String countryName = COUNTRIES.get(country);
    if (countryName == null) {
      problems.add("unknown country '" + f[2] + "'");
    }
    BigDecimal amount = null;
    try {
      amount = new BigDecimal(f[3].trim());
      if (amount.signum() <= 0) {
        problems.add("amount must be positive, got " + f[3]);
      }
    } catch (NumberFormatException e) {
      problems.add("amount '" + f[3] + "' is not a number");
    }
    String currency = f[4].trim().toUpperCase(Locale.ROOT);
    BigDecimal rate = EUR_PER_UNIT.get(currency);
    if (rate == null) {
      problems.add("unknown currency '" + f[4] + "'");
    }
    Instant orderedAt = null;
    try {
      orderedAt = Instant.parse(f[5].trim());
    } catch (DateTimeParseException e) {
      problems.add("ordered_at '" + f[5] + "' is not an ISO-8601 instant");
    }
    if (!problems.isEmpty()) {
      return rejected(source, row, String.join("; ", problems));
    }
    BigDecimal amountEur = amount.multiply(rate).setScale(2, RoundingMode.HALF_EVEN);
    return new Checked(
        new CleanOrder(orderId, customer, country, countryName, amount, currency, amountEur, orderedAt.toString(), source), null);
  }

  private static Checked rejected(String source, String row, String reason) {
    return new Checked(null, new DeadLetter(source, row, reason));
  }
}
