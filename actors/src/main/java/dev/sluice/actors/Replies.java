package dev.sluice.actors;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.dispatch.ExecutionContexts;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;

/**
 * Turns the answer of a Pekko {@code ask} into a plain {@link CompletableFuture} whose callbacks
 * run on the thread that delivered the reply.
 *
 * <p>The Java {@code ask} methods return Scala's {@code FutureConverters} adapter, which runs
 * every dependent stage, {@code thenApply} and {@code handle} included, asynchronously on the
 * JDK's common pool. On the request paths (a produce or fetch asks its partition, then encodes
 * the response) that is one more thread handoff per request: a profile of a node taking 6 × 1 KB
 * producer load spent a fifth of its CPU waking and parking threads. The callbacks chained on the
 * result here must be short and must not block (they run on an actor's dispatcher thread).
 */
public final class Replies {
  /** Runs a callback at once on the calling thread (Scala's "parasitic" context, from Java). */
  private static final ExecutionContext SAME_THREAD = ExecutionContexts.fromExecutor(Runnable::run);

  private Replies() {}

  /** The same outcome as {@code reply}, with callbacks run by the thread that completes it. */
  public static <T> CompletableFuture<T> direct(CompletionStage<T> reply) {
    CompletableFuture<T> out = new CompletableFuture<>();
    // asScala unwraps the adapter to the Scala future it came from (no extra stage)
    FutureConverters.asScala(reply)
        .onComplete(
            result -> {
              if (result.isSuccess()) {
                out.complete(result.get());
              } else {
                out.completeExceptionally(result.failed().get());
              }
              return BoxedUnit.UNIT;
            },
            SAME_THREAD);
    return out;
  }
}
