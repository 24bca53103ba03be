package dev.sluice.dsl.javadsl;

import dev.sluice.persistence.batch.LogRecord;
import java.util.List;

/**
 * A record to produce, with a context passed through to its result. {@code partition} null: the
 * partition is chosen from the key exactly as Kafka's default partitioner does (murmur2 of the
 * key bytes), or round-robin for records without a key. {@code timestamp} null: now.
 */
public record ProducerMessage<C>(
    String topic, Integer partition, byte[] key, byte[] value, List<LogRecord.Header> headers, Long timestamp, C passThrough) {

  public ProducerMessage {
    if (topic == null || topic.isEmpty()) {
      throw new IllegalArgumentException("a topic is required");
    }
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  public static <C> ProducerMessage<C> of(String topic, byte[] key, byte[] value, C passThrough) {
    return new ProducerMessage<>(topic, null, key, value, List.of(), null, passThrough);
  }

  /** The topic of pass-through messages: no topic may be named so (Kafka names have no NUL). */
  static final String NO_TOPIC = "\u0000pass-through";

  /**
   * Produces nothing: only {@code passThrough} comes out of the producer flow, in its place in the
   * order (topic null, partition and offset -1) — e.g. to commit a record that yields no output.
   */
  public static <C> ProducerMessage<C> passThrough(C passThrough) {
    return new ProducerMessage<>(NO_TOPIC, null, null, null, List.of(), null, passThrough);
  }

  public boolean isPassThrough() {
    return NO_TOPIC.equals(topic);
  }
}
