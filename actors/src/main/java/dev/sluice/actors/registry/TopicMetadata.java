package dev.sluice.actors.registry;

import dev.sluice.persistence.partition.TopicConfig;

/**
 * What the registry knows about one topic.
 *
 * @param name the topic name (Kafka's rules, see {@link TopicNames})
 * @param topicId random UUID string chosen when the topic was created; a topic deleted and
 *     created again under the same name gets a new one, so partitions of the old incarnation are
 *     never mistaken for the new one
 * @param partitions the number of partitions, numbered {@code 0 .. partitions-1}
 * @param config the topic's settings, as every partition enforces them
 * @param createdAtMillis wall-clock time of creation, epoch milliseconds
 */
public record TopicMetadata(String name, String topicId, int partitions, TopicConfig config, long createdAtMillis) {

  public TopicMetadata {
    config = config == null ? TopicConfig.defaults() : config;
  }

  public TopicMetadata withPartitions(int newCount) {
    return new TopicMetadata(name, topicId, newCount, config, createdAtMillis);
  }

  public TopicMetadata withConfig(TopicConfig newConfig) {
    return new TopicMetadata(name, topicId, partitions, newConfig, createdAtMillis);
  }
}
