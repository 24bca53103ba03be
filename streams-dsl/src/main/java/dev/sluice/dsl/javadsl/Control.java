package dev.sluice.dsl.javadsl;

import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * The materialized handle of a consumer source, as in Pekko Connectors Kafka.
 */
public interface Control {
  /** Stops fetching and completes the source; elements in flight downstream still arrive. */
  CompletionStage<Done> stop();

  /** Stops the source and completes once it has shut down. */
  CompletionStage<Done> shutdown();

  /**
   * Stops the source, waits for {@code streamCompletion} (the whole stream, e.g. the sink's
   * materialized value, so in-flight elements are processed), then shuts down; completes with
   * the stream's result.
   */
  <T> CompletionStage<T> drainAndShutdown(CompletionStage<T> streamCompletion);

  /** Completes when the source has shut down (stopped, failed or cancelled). */
  CompletionStage<Done> isShutdown();

  /** Records fetched from partitions so far (emitted or still buffered in the source). */
  long fetchedRecords();
}
