package dev.sluice.actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import scala.concurrent.Promise;
import scala.jdk.javaapi.FutureConverters;

class RepliesTest {
  private static final String REPLIER = "replier-thread";

  /** Completes the promise on a thread of its own, as an actor's reply would. */
  private static void replyFrom(Runnable reply) throws InterruptedException {
    Thread t = new Thread(reply, REPLIER);
    t.start();
    t.join(10_000);
  }

  @Test
  void callbacksRunOnTheThreadThatDeliversTheReply() throws Exception {
    Promise<String> promise = Promise.apply();
    // what Pekko's Java ask returns: Scala's adapter over the reply's future
    CompletionStage<String> adapter = FutureConverters.asJava(promise.future());
    AtomicReference<String> adapterThread = new AtomicReference<>();
    CompletableFuture<String> viaAdapter =
        adapter
            .thenApply(
                v -> {
                  adapterThread.set(Thread.currentThread().getName());
                  return v;
                })
            .toCompletableFuture();
    AtomicReference<String> directThread = new AtomicReference<>();
    CompletableFuture<String> viaDirect =
        Replies.direct(adapter)
            .thenApply(
                v -> {
                  directThread.set(Thread.currentThread().getName());
                  return v + "!";
                });

    replyFrom(() -> promise.success("answer"));

    assertEquals("answer!", viaDirect.get(10, TimeUnit.SECONDS));
    assertEquals(REPLIER, directThread.get());
    assertEquals("answer", viaAdapter.get(10, TimeUnit.SECONDS));
    // the reason for Replies: the adapter hands even thenApply to another thread (the common pool)
    assertNotEquals(REPLIER, adapterThread.get());
  }

  @Test
  void aFailedReplyFailsWithTheSameException() throws Exception {
    Promise<String> promise = Promise.apply();
    CompletableFuture<String> direct = Replies.direct(FutureConverters.asJava(promise.future()));
    IllegalStateException boom = new IllegalStateException("no answer");

    replyFrom(() -> promise.failure(boom));

    ExecutionException e = assertThrows(ExecutionException.class, () -> direct.get(10, TimeUnit.SECONDS));
    assertSame(boom, e.getCause());
    AtomicReference<Throwable> seen = new AtomicReference<>();
    direct
        .handle(
            (v, err) -> {
              seen.set(err);
              return v;
            })
        .get(10, TimeUnit.SECONDS);
    assertSame(boom, seen.get(), "handle sees the reply's own exception, unwrapped, as with the adapter");
  }

  @Test
  void anyOtherStageIsPassedThrough() throws Exception {
    CompletableFuture<Integer> plain = new CompletableFuture<>();
    CompletableFuture<Integer> direct = Replies.direct(plain);
    assertFalse(direct.isDone());
    plain.complete(42);
    assertEquals(42, direct.get(10, TimeUnit.SECONDS));
  }
}
