package dev.sluice.engine.kafka;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Settings of the Kafka-protocol gateway, from {@code sluice.kafka} (see the engine's
 * reference.conf).
 */
public record KafkaSettings(
    boolean enabled,
    String host,
    int port,
    String advertisedHost,
    int advertisedPort,
    int maxFrameBytes,
    int maxInFlightPerConnection,
    boolean autoCreateTopics,
    int defaultPartitions,
    Duration adminTimeout) {

  public KafkaSettings {
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("sluice.kafka.max-frame-size must be at least 1 KiB, got " + maxFrameBytes);
    }
    if (maxInFlightPerConnection < 1) {
      throw new IllegalArgumentException("sluice.kafka.max-in-flight-per-connection must be >= 1");
    }
    if (defaultPartitions < 1) {
      throw new IllegalArgumentException("sluice.kafka.num-partitions must be >= 1, got " + defaultPartitions);
    }
  }

  public static KafkaSettings fromConfig(Config root) {
    Config c = root.getConfig("sluice.kafka");
    String host = c.getString("host");
    String advertised = c.getString("advertised-host");
    return new KafkaSettings(
        c.getBoolean("enabled"),
        host,
        c.getInt("port"),
        advertised.isEmpty() ? host : advertised,
        c.getInt("advertised-port"),
        (int) Math.min(Integer.MAX_VALUE, c.getBytes("max-frame-size")),
        c.getInt("max-in-flight-per-connection"),
        c.getBoolean("auto-create-topics"),
        c.getInt("num-partitions"),
        c.getDuration("admin-timeout"));
  }
}
