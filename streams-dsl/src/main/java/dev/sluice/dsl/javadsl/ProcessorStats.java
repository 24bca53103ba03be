package dev.sluice.dsl.javadsl;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of a running stream processor. */
public final class ProcessorStats {
  final AtomicLong processed = new AtomicLong();
  final AtomicLong late = new AtomicLong();
  final AtomicLong nullKeys = new AtomicLong();
  final AtomicLong skipped = new AtomicLong();

  /** Input records processed (including skipped ones). */
  public long processedRecords() {
    return processed.get();
  }

  /** Records dropped by windowed steps because their window had closed (past its grace period). */
  public long droppedLateRecords() {
    return late.get();
  }

  /** Records without a key dropped by keyed steps. */
  public long droppedNullKeyRecords() {
    return nullKeys.get();
  }

  /** Records skipped after a user function failed on them ({@code ErrorHandling.SKIP}). */
  public long skippedRecords() {
    return skipped.get();
  }

  @Override
  public String toString() {
    return "processed=" + processedRecords() + " late=" + droppedLateRecords() + " nullKeys=" + droppedNullKeyRecords()
        + " skipped=" + skippedRecords();
  }
}
