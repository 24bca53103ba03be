package dev.sluice.actors.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.registry.TopicRegistryState.Decision;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The registry's decisions about partition moves, as a pure state machine. */
class ReassignmentStateTest {
  private static final Set<Integer> LIVE = Set.of(1, 2, 3);

  private static TopicRegistryState withTopic() {
    Decision created = TopicRegistryState.empty().createTopic("t", 3, Map.of(), "id-1", 0L, List.of(1, 2, 3));
    return TopicRegistryState.empty().apply(created.event());
  }

  private static TopicRegistryState apply(TopicRegistryState s, Decision d) {
    assertTrue(d.accepted(), d.message());
    return d.event() == null ? s : s.apply(d.event());
  }

  @Test
  void aMoveGoesThroughFencingToTheNewPlacement() {
    TopicRegistryState s = withTopic();
    int from = s.topics().get("t").nodeOf(0);
    int to = from == 3 ? 1 : from + 1;
    Decision start = s.reassign("t", 0, List.of(to), LIVE, 5L);
    assertInstanceOf(TopicRegistryEvent.ReassignmentStarted.class, start.event());
    s = apply(s, start);
    assertEquals(1, s.reassignmentList().size());
    assertEquals(from, s.reassignmentList().get(0).fromNode());

    // the same move again changes nothing; another target is refused while it runs
    assertNull(s.reassign("t", 0, List.of(to), LIVE, 6L).event());
    assertEquals(TopicError.REASSIGNMENT_IN_PROGRESS, s.reassign("t", 0, List.of(from), LIVE, 6L).error());

    // a report of a complete copy before fencing was allowed is refused
    assertEquals(TopicError.NO_REASSIGNMENT_IN_PROGRESS, s.reassigned("t", "id-1", 0, to).error());
    assertEquals(TopicError.NO_REASSIGNMENT_IN_PROGRESS, s.mayFence("t", "id-1", 0, from).error());
    s = apply(s, s.mayFence("t", "id-1", 0, to));
    assertTrue(s.reassignmentList().get(0).fencing());
    assertNull(s.mayFence("t", "id-1", 0, to).event(), "asking again is answered yes without a new event");
    assertEquals(TopicError.REASSIGNMENT_IN_PROGRESS, s.reassign("t", 0, null, LIVE, 7L).error(), "no cancel once fencing");

    s = apply(s, s.reassigned("t", "id-1", 0, to));
    assertEquals(to, s.topics().get("t").nodeOf(0));
    assertTrue(s.reassignments().isEmpty());
    assertNull(s.reassigned("t", "id-1", 0, to).event(), "a repeated report is acknowledged");
  }

  @Test
  void badMovesAreRefusedWithKafkasErrors() {
    TopicRegistryState s = withTopic();
    assertEquals(TopicError.UNKNOWN_TOPIC_OR_PARTITION, s.reassign("t", 3, List.of(1), LIVE, 0L).error());
    assertEquals(TopicError.UNKNOWN_TOPIC_OR_PARTITION, s.reassign("nope", 0, List.of(1), LIVE, 0L).error());
    assertEquals(TopicError.INVALID_REPLICATION_FACTOR, s.reassign("t", 0, List.of(1, 2), LIVE, 0L).error());
    assertEquals(TopicError.INVALID_REPLICA_ASSIGNMENT, s.reassign("t", 0, List.of(9), LIVE, 0L).error());
    assertEquals(TopicError.NO_REASSIGNMENT_IN_PROGRESS, s.reassign("t", 0, null, LIVE, 0L).error());
    int home = s.topics().get("t").nodeOf(1);
    assertNull(s.reassign("t", 1, List.of(home), LIVE, 0L).event(), "a move to where it is changes nothing");
  }

  @Test
  void cancellingBeforeFencingAndDeletingTheTopicEndTheMove() {
    TopicRegistryState s = withTopic();
    int from = s.topics().get("t").nodeOf(2);
    int to = from == 1 ? 2 : 1;
    s = apply(s, s.reassign("t", 2, List.of(to), LIVE, 0L));
    TopicRegistryState cancelled = apply(s, s.reassign("t", 2, null, LIVE, 1L));
    assertTrue(cancelled.reassignments().isEmpty());
    assertEquals(from, cancelled.topics().get("t").nodeOf(2));
    assertEquals(TopicError.NO_REASSIGNMENT_IN_PROGRESS, cancelled.mayFence("t", "id-1", 2, to).error(), "a cancelled copy may not fence");

    TopicRegistryState deleted = apply(s, s.deleteTopic("t"));
    assertTrue(deleted.reassignments().isEmpty());
  }

  @Test
  void aStoreIsPlacedOnItsPartitionsNodeOnceAndStaysWhenThePartitionMoves() {
    TopicRegistryState s = withTopic();
    int home = s.topics().get("t").nodeOf(1);
    TopicRegistryState.StorePlacement first = s.placeStore("app/agg/t/1", "t", 1);
    assertEquals(home, first.nodeId());
    assertInstanceOf(TopicRegistryEvent.StorePlaced.class, first.event());
    s = s.apply(first.event());
    assertNull(s.placeStore("app/agg/t/1", "t", 1).event(), "a placed store is only looked up");

    int to = home == 1 ? 2 : 1;
    s = apply(s, s.reassign("t", 1, List.of(to), LIVE, 0L));
    s = apply(s, s.mayFence("t", "id-1", 1, to));
    s = apply(s, s.reassigned("t", "id-1", 1, to));
    assertEquals(to, s.topics().get("t").nodeOf(1));
    assertEquals(home, s.placeStore("app/agg/t/1", "t", 1).nodeId(), "the store stays where its log is");
    assertEquals(-1, s.placeStore("app/agg/nope/0", "nope", 0).nodeId(), "an unknown partition is not placed");
    assertNull(s.placeStore("app/agg/nope/0", "nope", 0).event());
  }
}
