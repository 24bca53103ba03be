package dev.sluice.engine.kafka;

/** A frame that cannot be served; the gateway closes the connection and logs the message. */
final class ProtocolViolation extends RuntimeException {
  ProtocolViolation(String message) {
    super(message, null, false, false);
  }
}
