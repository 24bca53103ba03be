package dev.sluice.engine.kafka;

import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * One decoded request: its header and its body, at the version the client sent, and the
 * client's host as the connection shows it.
 */
public record KafkaRequest(RequestHeader header, ApiMessage body, String clientHost) {
  public KafkaRequest(RequestHeader header, ApiMessage body) {
    this(header, body, "");
  }

  public short version() {
    return header.apiVersion();
  }

  @SuppressWarnings("unchecked")
  public <T extends ApiMessage> T bodyAs(Class<T> type) {
    return (T) body;
  }
}
