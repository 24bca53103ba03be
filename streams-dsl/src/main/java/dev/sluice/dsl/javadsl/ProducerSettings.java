package dev.sluice.dsl.javadsl;

import java.time.Duration;

/**
 * Settings of DSL producers.
 *
 * @param acks 0 (fire and forget: offsets are -1), 1 or -1/"all" (acknowledged once the
 *     partition's journal has the batch; with one replica both mean the same)
 * @param batchSize records gathered into one batch per partition at most
 * @param linger how long a batch may wait for more records
 * @param maxInFlight batches awaiting acknowledgement at once
 * @param askTimeout how long an append or a metadata lookup may take
 */
public record ProducerSettings(int acks, int batchSize, Duration linger, int maxInFlight, Duration askTimeout) {
  public ProducerSettings {
    if (acks != 0 && acks != 1 && acks != -1) {
      throw new IllegalArgumentException("acks must be 0, 1 or -1 (all), got " + acks);
    }
    if (batchSize < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("batchSize and maxInFlight must be >= 1");
    }
  }

  public static ProducerSettings defaults() {
    return new ProducerSettings(-1, 500, Duration.ofMillis(5), 5, Duration.ofSeconds(30));
  }

  public ProducerSettings withAcks(int acks) {
    return new ProducerSettings(acks, batchSize, linger, maxInFlight, askTimeout);
  }

  public ProducerSettings withBatching(int batchSize, Duration linger) {
    return new ProducerSettings(acks, batchSize, linger, maxInFlight, askTimeout);
  }
}
