package dev.sluice.dsl.javadsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.group.GroupCoordinator;
import dev.sluice.actors.group.GroupProtocol;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DSL group member whose coordinator moves while it holds the member's JoinGroup (the
 * coordinator answers NOT_COORDINATOR, as it does when Cluster Sharding moves it to a node that
 * joined) joins again and consumes, instead of failing its stream.
 */
class CoordinatorMoveTest {
  @TempDir Path dataDir;
  DslFixture f;

  @BeforeEach
  void start() {
    // a first join is held for 3 s, waiting for more members: the window in which it moves
    f = new DslFixture("coordinator-move", dataDir, "sluice.group.initial-rebalance-delay = 3 s\n");
  }

  @AfterEach
  void stop() {
    f.shutdown();
  }

  @Test
  void aMemberWhoseHeldJoinIsAnsweredNotCoordinatorJoinsAgain() throws Exception {
    f.createTopic("moving", 2);
    List<String[]> values = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      values.add(new String[] {null, "v" + i});
    }
    f.produce("moving", 0, values, null);
    f.produce("moving", 1, values, null);

    List<ConsumerRecord> seen = new CopyOnWriteArrayList<>();
    Pair<Control, CompletionStage<Done>> run =
        Consumer.committableSource(
                f.system,
                ConsumerSettings.defaults().withPollWait(Duration.ofMillis(100)),
                ConsumerGroupSettings.of("g-move")
                    .withAutoOffsetReset(StartOffset.earliest())
                    .withTimeouts(Duration.ofSeconds(6), Duration.ofSeconds(10), Duration.ofMillis(200)),
                Set.of("moving"))
            .map(m -> seen.add(m.record()))
            .toMat(Sink.ignore(), Keep.both())
            .run(f.system);

    // the member's JoinGroup is held once the coordinator lists it as a member
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && members("g-move") == 0) {
      Thread.sleep(50);
    }
    assertEquals(1, members("g-move"), "the member's join reached the coordinator");
    assertTrue(seen.isEmpty(), "nothing is consumed while the join is held");
    GroupCoordinator.entityRef(f.system, "g-move").tell(new GroupCoordinator.HandOff());

    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && seen.size() < 100 && !run.second().toCompletableFuture().isDone()) {
      Thread.sleep(50);
    }
    assertFalse(run.second().toCompletableFuture().isDone(), "the stream is still running: " + run.second());
    assertEquals(100, seen.size(), "every record is consumed after the member joined again");
    run.first().shutdown().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private int members(String groupId) throws Exception {
    GroupProtocol.GroupDescription d =
        GroupCoordinator.entityRef(f.system, groupId)
            .<GroupProtocol.GroupDescription>ask(GroupProtocol.Describe::new, Duration.ofSeconds(10))
            .toCompletableFuture()
            .get(15, TimeUnit.SECONDS);
    return d.members().size();
  }
}
