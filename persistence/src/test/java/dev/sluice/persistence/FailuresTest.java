package dev.sluice.persistence;

import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class FailuresTest {
  @Test
  void aDependentStageFailureIsTracedBackToWhatWasThrown() {
    IllegalStateException thrown = new IllegalStateException("the original");
    AtomicReference<Throwable> seen = new AtomicReference<>();
    CompletableFuture.failedFuture(thrown).thenApply(v -> v).whenComplete((v, e) -> seen.set(e));
    assertSame(CompletionException.class, seen.get().getClass(), "what a dependent stage reports");
    assertSame(thrown, Failures.cause(seen.get()));
  }

  @Test
  void otherFailuresAreThemselves() {
    IllegalStateException plain = new IllegalStateException("not wrapped");
    assertSame(plain, Failures.cause(plain));
    CompletionException bare = new CompletionException("no cause", null);
    assertSame(bare, Failures.cause(bare), "a CompletionException without a cause is all there is");
  }
}
