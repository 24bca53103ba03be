package dev.sluice.dsl.javadsl;

/** A partition of a topic. */
public record TopicPartition(String topic, int partition) {
  public TopicPartition {
    if (topic == null || topic.isEmpty()) {
      throw new IllegalArgumentException("a topic name is required");
    }
    if (partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0, got " + partition);
    }
  }
}
