package dev.sluice.engine.kafka;

import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.RequestHeader;

/** One decoded request: its header and its body, at the version the client sent. */
public record KafkaRequest(RequestHeader header, ApiMessage body) {
  public short version() {
    return header.apiVersion();
  }

  @SuppressWarnings("unchecked")
  public <T extends ApiMessage> T bodyAs(Class<T> type) {
    return (T) body;
  }
}
