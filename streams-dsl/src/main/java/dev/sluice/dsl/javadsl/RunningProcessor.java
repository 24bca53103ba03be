package dev.sluice.dsl.javadsl;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** A started {@link StreamProcessor}. */
public final class RunningProcessor {
  private final String applicationId;
  private final CompletableFuture<Control> control = new CompletableFuture<>();
  private final CompletableFuture<Done> done = new CompletableFuture<>();
  private final ProcessorStats stats = new ProcessorStats();

  RunningProcessor(String applicationId) {
    this.applicationId = applicationId;
  }

  void started(Control c, CompletionStage<Done> completion) {
    control.complete(c);
    completion.whenComplete(
        (d, e) -> {
          if (e != null) {
            done.completeExceptionally(e);
          } else {
            done.complete(d);
          }
        });
  }

  void failed(Throwable e) {
    control.completeExceptionally(e);
    done.completeExceptionally(e);
  }

  public String applicationId() {
    return applicationId;
  }

  /**
   * Stops taking input, lets the records in flight finish (outputs produced, state journaled,
   * offsets committed), then leaves the group. Completes when that is done.
   */
  public CompletionStage<Done> stop() {
    return control.thenCompose(c -> c.drainAndShutdown(done));
  }

  /** Completes when the processor has stopped; fails with the reason if it failed. */
  public CompletionStage<Done> done() {
    return done;
  }

  public ProcessorStats stats() {
    return stats;
  }
}
