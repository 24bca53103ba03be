package dev.sluice.dsl.javadsl;

import java.time.Duration;

/**
 * Settings of DSL consumer sources.
 *
 * @param fetchMaxBytes bytes one fetch of one partition may return: the per-partition prefetch
 *     bound (whole batches; the first is returned even if larger)
 * @param pollWait how long a fetch at the end of a partition waits for new records
 * @param askTimeout how long a fetch may take before the source fails
 */
public record ConsumerSettings(int fetchMaxBytes, Duration pollWait, Duration askTimeout) {
  public ConsumerSettings {
    if (fetchMaxBytes < 1) {
      throw new IllegalArgumentException("fetchMaxBytes must be >= 1, got " + fetchMaxBytes);
    }
    if (askTimeout.compareTo(pollWait) <= 0) {
      throw new IllegalArgumentException("askTimeout (" + askTimeout + ") must exceed pollWait (" + pollWait + ")");
    }
  }

  public static ConsumerSettings defaults() {
    return new ConsumerSettings(256 * 1024, Duration.ofMillis(500), Duration.ofSeconds(30));
  }

  public ConsumerSettings withFetchMaxBytes(int bytes) {
    return new ConsumerSettings(bytes, pollWait, askTimeout);
  }

  public ConsumerSettings withPollWait(Duration wait) {
    return new ConsumerSettings(fetchMaxBytes, wait, askTimeout);
  }
}
