package dev.sluice.dsl.javadsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Committable and partitioned group sources, and the committer, against real coordinators. */
class GroupConsumerTest {
  @TempDir static Path dataDir;
  static DslFixture f;

  @BeforeAll
  static void start() {
    f = new DslFixture("group-dsl", dataDir);
  }

  @AfterAll
  static void stop() {
    f.shutdown();
  }

  static ConsumerGroupSettings group(String id) {
    return ConsumerGroupSettings.of(id)
        .withAutoOffsetReset(StartOffset.earliest())
        .withTimeouts(Duration.ofSeconds(6), Duration.ofSeconds(10), Duration.ofMillis(200));
  }

  static ConsumerSettings fast() {
    return ConsumerSettings.defaults().withPollWait(Duration.ofMillis(100));
  }

  static List<String[]> values(String prefix, int from, int to) {
    List<String[]> l = new ArrayList<>();
    for (int i = from; i < to; i++) {
      l.add(new String[] {null, prefix + i});
    }
    return l;
  }

  /** Waits (bounded) until {@code n} records have been seen. */
  static void await(List<?> seen, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (seen.size() < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(seen.size() >= n, "saw " + seen.size() + " of " + n);
  }

  @Test
  void committedOffsetsCarryAcrossARestartAndOnlyTheUncommittedTailRepeats() throws Exception {
    f.createTopic("orders", 3);
    for (int p = 0; p < 3; p++) {
      f.produce("orders", p, values("p" + p + "-", 0, 200), null);
    }
    // first run: drained stop commits everything processed
    List<ConsumerRecord> first = new CopyOnWriteArrayList<>();
    Pair<Control, java.util.concurrent.CompletionStage<Done>> run1 =
        Consumer.committableSource(f.system, fast(), group("g-restart"), Set.of("orders"))
            .map(m -> {
              first.add(m.record());
              return m.committableOffset();
            })
            .toMat(Committer.sink(CommitterSettings.defaults().withMaxBatch(50)), Keep.both())
            .run(f.system);
    await(first, 600);
    run1.first().drainAndShutdown(run1.second()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(600, first.size());
    assertInOrderPerPartition(first);

    // more records; the second run starts exactly where the first committed
    for (int p = 0; p < 3; p++) {
      f.produce("orders", p, values("p" + p + "-", 200, 300), null);
    }
    List<ConsumerRecord> second = new CopyOnWriteArrayList<>();
    // the second run crashes before its committer commits anything it has seen
    Pair<Control, UniqueKillSwitch> run2 =
        Consumer.committableSource(f.system, fast(), group("g-restart"), Set.of("orders"))
            .map(m -> {
              second.add(m.record());
              return m.committableOffset();
            })
            .viaMat(KillSwitches.single(), Keep.both())
            .to(Committer.sink(CommitterSettings.defaults().withMaxBatch(1_000_000).withMaxInterval(Duration.ofMinutes(10))))
            .run(f.system);
    await(second, 300);
    Thread.sleep(300);
    assertEquals(300, second.size(), "nothing already committed is read again");
    second.forEach(r -> assertTrue(r.offset() >= 200));
    run2.second().abort(new RuntimeException("simulated crash"));
    run2.first().isShutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);

    // third run: the 300 uncommitted records of run 2 come again — the duplicates, counted
    List<ConsumerRecord> third = new CopyOnWriteArrayList<>();
    Pair<Control, java.util.concurrent.CompletionStage<Done>> run3 =
        Consumer.committableSource(f.system, fast(), group("g-restart"), Set.of("orders"))
            .map(m -> {
              third.add(m.record());
              return m.committableOffset();
            })
            .toMat(Committer.sink(CommitterSettings.defaults()), Keep.both())
            .run(f.system);
    await(third, 300);
    run3.first().drainAndShutdown(run3.second()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(300, third.size());
    Map<Integer, List<Long>> all = new HashMap<>();
    for (List<ConsumerRecord> l : List.of(first, second, third)) {
      for (ConsumerRecord r : l) {
        all.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.offset());
      }
    }
    for (int p = 0; p < 3; p++) {
      List<Long> offsets = all.get(p);
      long duplicates = offsets.size() - offsets.stream().distinct().count();
      assertEquals(100, duplicates, "partition " + p + ": exactly the uncommitted tail (100) came twice");
      assertEquals(300, offsets.stream().distinct().count(), "partition " + p + ": nothing lost");
    }
  }

  @Test
  void twoMembersSplitThePartitionsAndTheSurvivorTakesOverOnLeave() throws Exception {
    f.createTopic("events", 4);
    for (int p = 0; p < 4; p++) {
      f.produce("events", p, values("e", 0, 10), null);
    }
    Map<String, List<TopicPartition>> assigned = new ConcurrentHashMap<>();
    Map<String, List<TopicPartition>> completed = new ConcurrentHashMap<>();
    List<Control> controls = new ArrayList<>();
    for (String name : List.of("a", "b")) {
      assigned.put(name, new CopyOnWriteArrayList<>());
      completed.put(name, new CopyOnWriteArrayList<>());
      Control c =
          Consumer.committablePartitionedSource(f.system, fast(), group("g-split"), Set.of("events"))
              .toMat(
                  Sink.foreach(
                      pair -> {
                        assigned.get(name).add(pair.first());
                        pair.second()
                            .map(CommittableMessage::committableOffset)
                            .runWith(Committer.sink(CommitterSettings.defaults()), f.system)
                            .whenComplete((done, failure) -> completed.get(name).add(pair.first()));
                      }),
                  Keep.left())
              .run(f.system);
      controls.add(c);
      Thread.sleep(500);
    }
    // eventually a stable split: each member holds two partitions, together all four (a
    // rebalance revokes every partition and the old substreams complete in their own time, so
    // two sizes of 2 alone could still count a member's old pair)
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    List<TopicPartition> a = live(assigned, completed, "a");
    List<TopicPartition> b = live(assigned, completed, "b");
    while (System.nanoTime() < deadline && !(a.size() == 2 && b.size() == 2 && new HashSet<>(union(a, b)).size() == 4)) {
      Thread.sleep(50);
      a = live(assigned, completed, "a");
      b = live(assigned, completed, "b");
    }
    assertEquals(2, a.size(), "a holds " + a + ", b holds " + b);
    assertEquals(2, b.size(), "a holds " + a + ", b holds " + b);
    assertTrue(Collections.disjoint(a, b));

    // b leaves: its sub-sources complete, a gets all four
    controls.get(1).shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS);
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    a = live(assigned, completed, "a");
    while (System.nanoTime() < deadline && !(a.size() == 4 && new HashSet<>(a).size() == 4)) {
      Thread.sleep(50);
      a = live(assigned, completed, "a");
    }
    assertEquals(4, a.size(), "a holds " + a);
    assertEquals(4, new HashSet<>(a).size(), "a holds each partition once: " + a);
    assertEquals(0, live(assigned, completed, "b").size());
    controls.get(0).shutdown().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aDeletedTopicFailsTheSourceNamingThePartitionAndTheReason() throws Exception {
    f.createTopic("doomed", 1);
    f.produce("doomed", 0, values("d", 0, 5), null);
    List<ConsumerRecord> seen = new CopyOnWriteArrayList<>();
    java.util.concurrent.CompletionStage<Done> done =
        Consumer.committableSource(f.system, fast(), group("g-doomed"), Set.of("doomed"))
            .map(m -> {
              seen.add(m.record());
              return m.committableOffset();
            })
            .runWith(Committer.sink(CommitterSettings.defaults()), f.system);
    await(seen, 5);
    dev.sluice.actors.registry.TopicRegistry.TopicResult deleted =
        dev.sluice.actors.registry.TopicRegistry.entityRef(f.system)
            .<dev.sluice.actors.registry.TopicRegistry.TopicResult>ask(
                r -> new dev.sluice.actors.registry.TopicRegistry.DeleteTopic("doomed", r), DslFixture.T)
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    assertEquals(dev.sluice.actors.registry.TopicError.NONE, deleted.error());
    java.util.concurrent.ExecutionException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            java.util.concurrent.ExecutionException.class, () -> done.toCompletableFuture().get(60, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("doomed-0") || e.getCause().getMessage().contains("partition=0"), e.getCause().getMessage());
    assertTrue(e.getCause().getMessage().contains("UNKNOWN_TOPIC_OR_PARTITION"), e.getCause().getMessage());
  }

  @Test
  void aCommittedOffsetOutsideTheLogFallsBackToTheResetPolicy() throws Exception {
    f.createTopic("reset-me", 1);
    f.produce("reset-me", 0, values("r", 0, 10), null);
    // a commit from outside the group (as admin tools make) to a position past the log's end
    dev.sluice.actors.group.GroupProtocol.CommitResult committed =
        dev.sluice.actors.group.GroupCoordinator.entityRef(f.system, "g-reset")
            .<dev.sluice.actors.group.GroupProtocol.CommitResult>ask(
                r -> new dev.sluice.actors.group.GroupProtocol.CommitOffsets(
                    "", null, -1, List.of(new dev.sluice.actors.group.GroupProtocol.PartitionOffset("reset-me", 0, 1000, -1, "")), r),
                DslFixture.T)
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    assertEquals(dev.sluice.actors.group.GroupError.NONE, committed.error());
    List<ConsumerRecord> seen = new CopyOnWriteArrayList<>();
    Pair<Control, java.util.concurrent.CompletionStage<Done>> run =
        Consumer.committableSource(f.system, fast(), group("g-reset"), Set.of("reset-me"))
            .map(m -> {
              seen.add(m.record());
              return m.committableOffset();
            })
            .toMat(Committer.sink(CommitterSettings.defaults()), Keep.both())
            .run(f.system);
    await(seen, 10);
    run.first().drainAndShutdown(run.second()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertEquals(0, seen.get(0).offset(), "offset 1000 is past the end: earliest, as the group's reset policy says");
  }

  /** Partitions handed out and not completed yet. */
  static List<TopicPartition> union(List<TopicPartition> a, List<TopicPartition> b) {
    List<TopicPartition> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  static List<TopicPartition> live(Map<String, List<TopicPartition>> assigned, Map<String, List<TopicPartition>> completed, String m) {
    List<TopicPartition> l = new ArrayList<>(assigned.get(m));
    for (TopicPartition done : completed.get(m)) {
      l.remove(done);
    }
    return l;
  }

  static void assertInOrderPerPartition(List<ConsumerRecord> records) {
    Map<Integer, Long> last = new HashMap<>();
    for (ConsumerRecord r : records) {
      Long prev = last.put(r.partition(), r.offset());
      assertTrue(prev == null || r.offset() == prev + 1, "partition " + r.partition() + ": " + prev + " then " + r.offset());
    }
  }
}
