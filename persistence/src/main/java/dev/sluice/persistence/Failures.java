package dev.sluice.persistence;

import java.util.concurrent.CompletionException;

/** Failures of {@code CompletionStage}s as the code that failed them threw them. */
public final class Failures {
  private Failures() {}

  /**
   * The exception a stage failed with: a stage that depends on a failed one fails with a
   * {@link CompletionException} around the original, which says nothing of its own.
   */
  public static Throwable cause(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }
}
