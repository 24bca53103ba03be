package dev.sluice.engine.kafka;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * Serves one Kafka API. The gateway decodes the request (only versions in
 * {@link #minVersion()}..{@link #maxVersion()} reach the handler), calls {@link #handle}, and
 * encodes the response body at the request's version. Handlers never throw for bad input: they
 * answer with Kafka's error codes.
 */
public interface ApiHandler {
  ApiKeys apiKey();

  default short minVersion() {
    return apiKey().oldestVersion();
  }

  default short maxVersion() {
    return apiKey().latestVersion();
  }

  /** The response body, or empty when the request gets no response (Produce with acks=0). */
  CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request);
}
