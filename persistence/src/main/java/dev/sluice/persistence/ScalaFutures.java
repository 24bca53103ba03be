package dev.sluice.persistence;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;

/** Java stages handed to Pekko's Scala plugin and strategy APIs. */
public final class ScalaFutures {
  private ScalaFutures() {}

  /**
   * The stage as a Scala future, failed with the original exception rather than the
   * {@code CompletionException} that dependent stages wrap it in: Pekko reports and logs the
   * exception it gets, stack trace included.
   */
  public static <T> Future<T> unwrapped(CompletionStage<T> stage) {
    CompletableFuture<T> unwrapped = new CompletableFuture<>();
    stage.whenComplete(
        (value, error) -> {
          if (error == null) {
            unwrapped.complete(value);
          } else {
            unwrapped.completeExceptionally(Failures.cause(error));
          }
        });
    return FutureConverters.asScala(unwrapped);
  }
}
