package dev.sluice.dsl.javadsl;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Event-time windows aligned to the epoch: tumbling ({@code advance == size}) or hopping
 * ({@code advance < size}, so a record falls into {@code size / advance} windows). A window
 * {@code [start, end)} accepts records until the processor's stream time (the highest record
 * timestamp it has seen on that partition) reaches {@code end + grace}; later records for it are
 * dropped as late, and counted.
 */
public record TimeWindows(Duration size, Duration advance, Duration grace) {
  public TimeWindows {
    if (size.toMillis() < 1) {
      throw new IllegalArgumentException("a window must be at least 1 ms long, got " + size);
    }
    if (advance.toMillis() < 1 || advance.compareTo(size) > 0) {
      throw new IllegalArgumentException("advance must be between 1 ms and the window size, got " + advance);
    }
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace must not be negative, got " + grace);
    }
  }

  /** Non-overlapping windows of {@code size}, no grace period. */
  public static TimeWindows tumbling(Duration size) {
    return new TimeWindows(size, size, Duration.ZERO);
  }

  /** Windows of {@code size} starting every {@code advance}, no grace period. */
  public static TimeWindows hopping(Duration size, Duration advance) {
    return new TimeWindows(size, advance, Duration.ZERO);
  }

  /** Accept records up to {@code grace} after a window's end (in stream time). */
  public TimeWindows withGrace(Duration g) {
    return new TimeWindows(size, advance, g);
  }

  /** Start times of the windows that contain {@code timestamp}, oldest first. */
  List<Long> windowStartsFor(long timestamp) {
    long sizeMs = size.toMillis();
    long adv = advance.toMillis();
    long last = timestamp - Math.floorMod(timestamp, adv);
    List<Long> starts = new ArrayList<>();
    for (long s = last; s > timestamp - sizeMs; s -= adv) {
      starts.add(0, s);
    }
    return starts;
  }
}
