package dev.sluice.dsl.javadsl;

/** A stream processor's user function failed on a record; the message names the record's position. */
public final class ProcessingException extends RuntimeException {
  ProcessingException(String message, Throwable cause) {
    super(message, cause);
  }
}
