package dev.sluice.dsl.javadsl;

/** Where a consumer starts reading a partition. */
public sealed interface StartOffset {
  /** The log start offset (oldest retained record). */
  static StartOffset earliest() {
    return Earliest.INSTANCE;
  }

  /** The high watermark: only records appended from now on. */
  static StartOffset latest() {
    return Latest.INSTANCE;
  }

  static StartOffset offset(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("a start offset must be >= 0, got " + offset);
    }
    return new At(offset);
  }

  /** The first record with a timestamp at or after {@code epochMillis}. */
  static StartOffset timestamp(long epochMillis) {
    return new Timestamp(epochMillis);
  }

  enum Earliest implements StartOffset {
    INSTANCE
  }

  enum Latest implements StartOffset {
    INSTANCE
  }

  record At(long offset) implements StartOffset {}

  record Timestamp(long epochMillis) implements StartOffset {}

  /**
   * A group's committed offset: used if it is still in the log, else {@code reset} (earliest or
   * latest), as Kafka's {@code auto.offset.reset} does for an out-of-range committed offset.
   */
  record Committed(long offset, StartOffset reset) implements StartOffset {}
}
