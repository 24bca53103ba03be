package dev.sluice.dsl.javadsl;

import java.time.Duration;

/**
 * Settings of a {@link StreamProcessor}.
 *
 * @param consumer fetch settings of the input partitions
 * @param group group timeouts and where partitions start without a committed offset (earliest
 *     by default: a new processor reads its inputs from the start, as Kafka Streams does)
 * @param producer how outputs are produced (acks all by default)
 * @param committer how input offsets are committed once outputs and state are durable
 * @param flushMaxBatch input records whose state changes are journaled in one write, at most
 * @param flushInterval how long state changes may wait for more before they are journaled
 * @param onError {@link ErrorHandling#STOP} (default) or {@link ErrorHandling#SKIP}
 */
public record ProcessorSettings(
    ConsumerSettings consumer,
    ConsumerGroupSettings group,
    ProducerSettings producer,
    CommitterSettings committer,
    int flushMaxBatch,
    Duration flushInterval,
    ErrorHandling onError) {

  /** What a processor does when a user function throws on a record. */
  public enum ErrorHandling {
    /** Fail the processor with the record's topic, partition and offset (nothing of it is committed). */
    STOP,
    /** Log the record's position and the error, drop its outputs and state changes, go on. */
    SKIP
  }

  public ProcessorSettings {
    if (flushMaxBatch < 1) {
      throw new IllegalArgumentException("flushMaxBatch must be >= 1");
    }
  }

  /** Defaults for the processor whose application id (and group id) is {@code applicationId}. */
  public static ProcessorSettings defaults(String applicationId) {
    return new ProcessorSettings(
        ConsumerSettings.defaults(),
        ConsumerGroupSettings.of(applicationId).withAutoOffsetReset(StartOffset.earliest()).withClientId(applicationId),
        ProducerSettings.defaults(),
        CommitterSettings.defaults().withMaxInterval(Duration.ofSeconds(1)),
        1000,
        Duration.ofMillis(50),
        ErrorHandling.STOP);
  }

  public ProcessorSettings withGroup(ConsumerGroupSettings g) {
    return new ProcessorSettings(consumer, g, producer, committer, flushMaxBatch, flushInterval, onError);
  }

  public ProcessorSettings withProducer(ProducerSettings p) {
    return new ProcessorSettings(consumer, group, p, committer, flushMaxBatch, flushInterval, onError);
  }

  public ProcessorSettings withCommitter(CommitterSettings c) {
    return new ProcessorSettings(consumer, group, producer, c, flushMaxBatch, flushInterval, onError);
  }

  public ProcessorSettings withConsumer(ConsumerSettings c) {
    return new ProcessorSettings(c, group, producer, committer, flushMaxBatch, flushInterval, onError);
  }

  public ProcessorSettings withErrorHandling(ErrorHandling e) {
    return new ProcessorSettings(consumer, group, producer, committer, flushMaxBatch, flushInterval, e);
  }
}
