package dev.sluice.persistence.replicated;

/**
 * A replicated metadata read or write did not reach the consistency it needs (a majority of the
 * Distributed Data replicas, and at least {@code min-cap} of them) within its timeout, or the
 * local durable store failed. The journal and snapshot store fail the operation with it; a write
 * that fails this way was never acknowledged to the entity.
 */
public final class MetadataUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MetadataUnavailableException(String message) {
    super(message);
  }

  public MetadataUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
