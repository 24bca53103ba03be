package dev.sluice.actors.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.registry.TopicRegistryEvent.PartitionsAdded;
import dev.sluice.actors.registry.TopicRegistryEvent.TopicConfigAltered;
import dev.sluice.actors.registry.TopicRegistryEvent.TopicCreated;
import dev.sluice.actors.registry.TopicRegistryEvent.TopicDeleted;
import dev.sluice.actors.registry.TopicRegistryState.Decision;
import dev.sluice.persistence.partition.TopicConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The registry's logic without actors: decisions for every command and the event fold. */
class TopicRegistryStateTest {

  static final long NOW = 1_700_000_000_000L;

  /** The state after creating {@code name} with {@code partitions} partitions and id {@code "id-" + name}. */
  static TopicRegistryState withTopic(TopicRegistryState state, String name, int partitions) {
    Decision d = state.createTopic(name, partitions, Map.of(), "id-" + name, NOW);
    assertTrue(d.accepted(), "creating " + name + " should be accepted, got " + d);
    return state.apply(d.event());
  }

  static TopicRegistryState withTopic(String name, int partitions) {
    return withTopic(TopicRegistryState.empty(), name, partitions);
  }

  static void assertRejected(Decision d, TopicError expected, String messagePart) {
    assertEquals(expected, d.error(), "error of " + d);
    assertNull(d.event(), "a rejected command persists nothing, got " + d.event());
    assertTrue(
        d.message() != null && d.message().contains(messagePart),
        "message should mention '" + messagePart + "', was: " + d.message());
  }

  // ---- topic names ---------------------------------------------------------------------------

  static Stream<String> legalNames() {
    return Stream.of(
        "a", "Z", "0", "-", "_", "...", "a.", ".a", "a..", "orders", "Orders-2024_v1.0", "__consumer_offsets",
        "x".repeat(TopicNames.MAX_LENGTH));
  }

  @ParameterizedTest
  @MethodSource("legalNames")
  void legalNamesAreAccepted(String name) {
    assertNull(TopicNames.problem(name), "'" + name + "' is a legal Kafka topic name");
    Decision d = TopicRegistryState.empty().createTopic(name, 1, Map.of(), "id", NOW);
    assertEquals(TopicError.NONE, d.error(), "create '" + name + "': " + d.message());
    assertEquals(name, ((TopicCreated) d.event()).name());
  }

  static Stream<Arguments> illegalNames() {
    String tooLong = "y".repeat(TopicNames.MAX_LENGTH + 1);
    String illegalChars = "a character other than ASCII alphanumerics";
    return Stream.of(
        Arguments.of("", "can't be empty"),
        Arguments.of(".", "cannot be \".\" or \"..\""),
        Arguments.of("..", "cannot be \".\" or \"..\""),
        Arguments.of(tooLong, "can't be longer than 249 characters"),
        Arguments.of("has space", illegalChars),
        Arguments.of("slash/ed", illegalChars),
        Arguments.of("colon:ed", illegalChars),
        Arguments.of("star*", illegalChars),
        Arguments.of("plus+", illegalChars),
        Arguments.of("tab\t", illegalChars),
        Arguments.of("new\nline", illegalChars),
        Arguments.of("umlaut-\u00e4", illegalChars),
        Arguments.of("fullwidth-\uff21", illegalChars),
        Arguments.of("emoji-\ud83d\ude00", illegalChars));
  }

  @ParameterizedTest
  @MethodSource("illegalNames")
  void illegalNamesAreRejected(String name, String messagePart) {
    assertFalse(TopicNames.isLegal(name), "'" + name + "' is not a legal Kafka topic name");
    assertRejected(
        TopicRegistryState.empty().createTopic(name, 1, Map.of(), "id", NOW), TopicError.INVALID_TOPIC_EXCEPTION, messagePart);
  }

  @Test
  void nameLengthBoundaryIs249() {
    assertTrue(TopicNames.isLegal("n".repeat(249)), "249 characters are allowed");
    assertFalse(TopicNames.isLegal("n".repeat(250)), "250 characters are too many");
  }

  @Test
  void namesDifferingOnlyByDotAndUnderscoreCollide() {
    TopicRegistryState state = withTopic("metrics.cpu", 1);
    assertRejected(state.createTopic("metrics_cpu", 1, Map.of(), "id2", NOW), TopicError.INVALID_TOPIC_EXCEPTION, "collides with existing topic: metrics.cpu");
    assertTrue(state.createTopic("metrics-cpu", 1, Map.of(), "id3", NOW).accepted(), "'-' does not collide with '.'");
  }

  @Test
  void missingNameIsAnInvalidRequestForEveryCommand() {
    TopicRegistryState state = withTopic("t", 1);
    assertRejected(state.createTopic(null, 1, Map.of(), "id", NOW), TopicError.INVALID_REQUEST, "names no topic");
    assertRejected(state.describeTopic(null), TopicError.INVALID_REQUEST, "names no topic");
    assertRejected(state.deleteTopic(null), TopicError.INVALID_REQUEST, "names no topic");
    assertRejected(state.createPartitions(null, 2), TopicError.INVALID_REQUEST, "names no topic");
    assertRejected(state.alterConfig(null, Map.of()), TopicError.INVALID_REQUEST, "names no topic");
  }

  // ---- create --------------------------------------------------------------------------------

  @Test
  void createRecordsIdTimeCountAndResolvedConfig() {
    Decision d =
        TopicRegistryState.empty().createTopic("orders", 3, Map.of("retention.ms", "60000", "segment.bytes", "1024"), "uuid-1", NOW);
    assertEquals(TopicError.NONE, d.error(), "create orders: " + d.message());
    TopicConfig expectedConfig = TopicConfig.defaults().with(Map.of("retention.ms", "60000", "segment.bytes", "1024"));
    assertEquals(new TopicCreated("orders", "uuid-1", 3, expectedConfig, NOW), d.event());
    TopicMetadata expected = new TopicMetadata("orders", "uuid-1", 3, expectedConfig, NOW);
    assertEquals(expected, d.topic(), "the decision carries the new topic's metadata");

    TopicRegistryState state = TopicRegistryState.empty().apply(d.event());
    assertEquals(expected, state.topic("orders").orElseThrow(), "the table holds the topic after the event");
    assertEquals(60_000, state.topic("orders").orElseThrow().config().retentionMs());
  }

  @Test
  void createOfAnExistingTopicIsRejected() {
    TopicRegistryState state = withTopic("orders", 3);
    assertRejected(state.createTopic("orders", 3, Map.of(), "other", NOW), TopicError.TOPIC_ALREADY_EXISTS, "already exists");
  }

  @ParameterizedTest
  @ValueSource(ints = {Integer.MIN_VALUE, -1, 0, TopicRegistryState.MAX_PARTITIONS + 1, Integer.MAX_VALUE})
  void createWithAPartitionCountOutOfRangeIsRejected(int partitions) {
    assertRejected(
        TopicRegistryState.empty().createTopic("t", partitions, Map.of(), "id", NOW),
        TopicError.INVALID_PARTITIONS,
        "Number of partitions must be");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 1000, TopicRegistryState.MAX_PARTITIONS})
  void createWithAPartitionCountInRangeIsAccepted(int partitions) {
    Decision d = TopicRegistryState.empty().createTopic("t", partitions, Map.of(), "id", NOW);
    assertEquals(TopicError.NONE, d.error(), d.message());
    assertEquals(partitions, d.topic().partitions());
  }

  static Stream<Arguments> invalidConfigs() {
    Map<String, String> nullValue = new HashMap<>();
    nullValue.put("retention.ms", null);
    return Stream.of(
        Arguments.of(Map.of("no.such.setting", "1"), "unknown topic setting 'no.such.setting'"),
        Arguments.of(Map.of("retention.ms", "soon"), "retention.ms must be a whole number"),
        Arguments.of(Map.of("retention.ms", "-5"), "retention.ms must be -1"),
        Arguments.of(Map.of("message.timestamp.type", "Whenever"), "must be CreateTime or LogAppendTime"),
        Arguments.of(Map.of("cleanup.policy", "compact,purge"), "cleanup.policy must be delete, compact or both"),
        Arguments.of(nullValue, "retention.ms has no value"));
  }

  @ParameterizedTest
  @MethodSource("invalidConfigs")
  void createWithAnInvalidConfigIsRejectedWithTopicConfigsMessage(Map<String, String> configs, String messagePart) {
    assertRejected(TopicRegistryState.empty().createTopic("t", 1, configs, "id", NOW), TopicError.INVALID_CONFIG, messagePart);
  }

  @Test
  void createWithNullConfigsUsesTheDefaults() {
    Decision d = TopicRegistryState.empty().createTopic("t", 1, null, "id", NOW);
    assertEquals(TopicConfig.defaults(), d.topic().config());
  }

  @Test
  void checksRunInKafkasOrderNameThenExistenceThenPartitionsThenConfig() {
    TopicRegistryState state = withTopic("t", 1);
    assertEquals(TopicError.INVALID_TOPIC_EXCEPTION, state.createTopic("bad name", 0, Map.of("x", "y"), "id", NOW).error());
    assertEquals(TopicError.TOPIC_ALREADY_EXISTS, state.createTopic("t", 0, Map.of("x", "y"), "id", NOW).error());
    assertEquals(TopicError.INVALID_PARTITIONS, state.createTopic("u", 0, Map.of("x", "y"), "id", NOW).error());
    assertEquals(TopicError.INVALID_CONFIG, state.createTopic("u", 1, Map.of("x", "y"), "id", NOW).error());
  }

  // ---- describe / list -----------------------------------------------------------------------

  @Test
  void describeAnswersTheMetadataOrUnknown() {
    TopicRegistryState state = withTopic("t", 2);
    Decision d = state.describeTopic("t");
    assertEquals(TopicError.NONE, d.error());
    assertNull(d.event(), "describe persists nothing");
    assertEquals(state.topic("t").orElseThrow(), d.topic());
    assertRejected(state.describeTopic("nope"), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "'nope' does not exist");
  }

  @Test
  void listIsOrderedByName() {
    TopicRegistryState state = withTopic(withTopic(withTopic("m", 1), "b", 1), "z", 1);
    assertEquals(List.of("b", "m", "z"), state.list().stream().map(TopicMetadata::name).toList());
    assertTrue(TopicRegistryState.empty().list().isEmpty(), "an empty registry lists nothing");
  }

  // ---- delete --------------------------------------------------------------------------------

  @Test
  void deleteRemovesTheTopicAndTheNameCanBeCreatedAgainWithANewId() {
    TopicRegistryState state = withTopic("t", 4);
    Decision d = state.deleteTopic("t");
    assertEquals(TopicError.NONE, d.error());
    assertEquals(new TopicDeleted("t", "id-t"), d.event());
    assertEquals(4, d.topic().partitions(), "the decision carries the deleted topic, for its partitions");
    TopicRegistryState after = state.apply(d.event());
    assertTrue(after.topic("t").isEmpty(), "the topic is gone after TopicDeleted");

    Decision again = after.createTopic("t", 1, Map.of(), "id-t-2", NOW + 1);
    assertTrue(again.accepted(), "a deleted name can be reused: " + again.message());
    assertEquals("id-t-2", after.apply(again.event()).topic("t").orElseThrow().topicId());
  }

  @Test
  void aDeletedTopicsPartitionsStayPendingAndLocatableUntilEachConfirms() {
    TopicRegistryState state =
        TopicRegistryState.empty()
            .apply(new TopicCreated("t", "id-t", 3, TopicConfig.defaults(), NOW, List.of(2, 3, 1)));
    state = state.apply(state.deleteTopic("t").event());

    assertEquals(1, state.pendingDeletions().size());
    assertEquals(List.of(0, 1, 2), state.pendingDeletions().get(0).partitions());
    assertTrue(state.deletionPending("id-t", 1));
    assertEquals(java.util.Optional.of(3), state.nodeOf("t", 1), "a pending Delete is routed to the node with the data");
    assertEquals(3, state.deletedPartitionNode("id-t", 1));
    assertEquals(-1, state.deletedPartitionNode("id-other", 1), "not a pending deletion");
    assertEquals(java.util.Optional.empty(), state.nodeOf("t", 3), "no such partition");

    state = state.apply(new TopicRegistryEvent.PartitionDeletionConfirmed("t", "id-t", List.of(1)));
    assertFalse(state.deletionPending("id-t", 1), "confirmed");
    assertEquals(java.util.Optional.empty(), state.nodeOf("t", 1));
    assertTrue(state.deletionPending("id-t", 0));
    state = state.apply(new TopicRegistryEvent.PartitionDeletionConfirmed("t", "id-t", List.of(2, 0)));
    assertTrue(state.pendingDeletions().isEmpty(), "all confirmed: nothing is kept");
    assertEquals(state, state.apply(new TopicRegistryEvent.PartitionDeletionConfirmed("t", "id-t", List.of(2))), "a repeated confirmation changes nothing");
  }

  @Test
  void aNameCreatedAgainTakesItsPartitionsOutOfThePendingDeletion() {
    TopicRegistryState state = withTopic("t", 4);
    state = state.apply(state.deleteTopic("t").event());
    state = state.apply(state.createTopic("t", 2, Map.of(), "id-t-2", NOW + 1).event());

    assertFalse(state.deletionPending("id-t", 0), "t-0 is the new incarnation's now");
    assertFalse(state.deletionPending("id-t", 1));
    assertTrue(state.deletionPending("id-t", 2), "t-2 of the old incarnation still has to go");
    assertEquals(java.util.Optional.of(-1), state.nodeOf("t", 3), "t-3 (unplaced) is still found for its Delete");

    state = state.apply(state.createPartitions("t", 3).event());
    assertFalse(state.deletionPending("id-t", 2), "t-2 belongs to the new incarnation once it has 3 partitions");
    assertEquals(List.of(3), state.pendingDeletions().get(0).partitions());
  }

  @Test
  void deleteOfAnUnknownTopicIsRejected() {
    assertRejected(withTopic("t", 1).deleteTopic("u"), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "'u' does not exist");
  }

  // ---- create partitions ---------------------------------------------------------------------

  @Test
  void createPartitionsGrowsTheTopic() {
    TopicRegistryState state = withTopic("t", 3);
    Decision d = state.createPartitions("t", 5);
    assertEquals(TopicError.NONE, d.error(), d.message());
    assertEquals(new PartitionsAdded("t", "id-t", 3, 5), d.event());
    assertEquals(5, d.topic().partitions());
    assertEquals(5, state.apply(d.event()).topic("t").orElseThrow().partitions());
    assertEquals(3, state.topic("t").orElseThrow().partitions(), "apply leaves the old state unchanged");
  }

  @Test
  void createPartitionsMustGrowTheTopicWithinTheLimit() {
    TopicRegistryState state = withTopic("t", 3);
    assertRejected(state.createPartitions("t", 3), TopicError.INVALID_PARTITIONS, "Topic already has 3 partitions");
    assertRejected(state.createPartitions("t", 2), TopicError.INVALID_PARTITIONS, "higher than the requested 2");
    assertRejected(state.createPartitions("t", -1), TopicError.INVALID_PARTITIONS, "higher than the requested -1");
    assertRejected(
        state.createPartitions("t", TopicRegistryState.MAX_PARTITIONS + 1), TopicError.INVALID_PARTITIONS, "at most 100000");
    assertRejected(state.createPartitions("u", 9), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "'u' does not exist");
  }

  // ---- alter config --------------------------------------------------------------------------

  @Test
  void alterConfigSetsTheGivenSettingsAndKeepsTheOthers() {
    TopicRegistryState state = withTopic("t", 1);
    TopicRegistryState once = state.apply(state.alterConfig("t", Map.of("retention.ms", "1000", "flush.ms", "5")).event());
    Decision d = once.alterConfig("t", Map.of("max.message.bytes", "2048"));
    assertEquals(TopicError.NONE, d.error(), d.message());
    TopicConfig expected =
        TopicConfig.defaults().with(Map.of("retention.ms", "1000", "flush.ms", "5", "max.message.bytes", "2048"));
    assertEquals(new TopicConfigAltered("t", "id-t", expected), d.event());
    assertEquals(expected, once.apply(d.event()).topic("t").orElseThrow().config(), "earlier settings are kept");
  }

  @Test
  void alterConfigWithANullValueResetsThatSettingToItsDefault() {
    TopicRegistryState state = withTopic("t", 1);
    state = state.apply(state.alterConfig("t", Map.of("retention.ms", "1000", "flush.ms", "5", "max.message.bytes", "99")).event());
    Map<String, String> reset = new HashMap<>();
    reset.put("retention.ms", null);
    reset.put("flush.ms", null);
    TopicConfig after = state.apply(state.alterConfig("t", reset).event()).topic("t").orElseThrow().config();
    assertEquals(TopicConfig.DEFAULT_RETENTION_MS, after.retentionMs(), "retention.ms back to its default");
    assertFalse(after.unenforced().containsKey("flush.ms"), "flush.ms no longer set, got " + after.unenforced());
    assertEquals(99, after.maxMessageBytes(), "max.message.bytes untouched");
  }

  @Test
  void alterConfigThatChangesNothingPersistsNothing() {
    TopicRegistryState state = withTopic("t", 1);
    Decision d = state.alterConfig("t", Map.of("retention.ms", Long.toString(TopicConfig.DEFAULT_RETENTION_MS)));
    assertEquals(TopicError.NONE, d.error());
    assertNull(d.event(), "nothing to persist when the settings stay the same");
    assertEquals(state.topic("t").orElseThrow(), d.topic());
  }

  @Test
  void alterConfigErrors() {
    TopicRegistryState state = withTopic("t", 1);
    assertRejected(state.alterConfig("u", Map.of()), TopicError.UNKNOWN_TOPIC_OR_PARTITION, "'u' does not exist");
    assertRejected(state.alterConfig("t", Map.of("retention.bytes", "lots")), TopicError.INVALID_CONFIG, "retention.bytes must be a whole number");
    assertRejected(state.alterConfig("t", Map.of("bogus", "1")), TopicError.INVALID_CONFIG, "unknown topic setting 'bogus'");
    Map<String, String> resetUnknown = new HashMap<>();
    resetUnknown.put("bogus", null);
    assertRejected(state.alterConfig("t", resetUnknown), TopicError.INVALID_CONFIG, "unknown topic setting 'bogus'");
  }

  @Test
  void alteredIsTheCheckAlterConfigMakes() {
    TopicConfig current = TopicConfig.defaults().with(Map.of("retention.ms", "1000", "flush.ms", "5"));
    Map<String, String> changes = new HashMap<>();
    changes.put("retention.ms", null);
    changes.put("max.message.bytes", "2048");
    TopicConfig altered = TopicRegistryState.altered(current, changes);
    assertEquals(TopicConfig.defaults().with(Map.of("flush.ms", "5", "max.message.bytes", "2048")), altered, "reset, set and kept");
    TopicRegistryState state = withTopic("t", 1);
    state = state.apply(state.alterConfig("t", Map.of("retention.ms", "1000", "flush.ms", "5")).event());
    assertEquals(altered, state.alterConfig("t", changes).topic().config(), "the same result as alterConfig");

    Map<String, String> resetUnknown = new HashMap<>();
    resetUnknown.put("bogus", null);
    TopicConfig.InvalidConfigException unknown =
        assertThrows(TopicConfig.InvalidConfigException.class, () -> TopicRegistryState.altered(current, resetUnknown));
    assertTrue(unknown.getMessage().contains("unknown topic setting 'bogus'"), unknown.getMessage());
    assertThrows(TopicConfig.InvalidConfigException.class, () -> TopicRegistryState.altered(current, Map.of("retention.ms", "soon")));
  }

  @Test
  void compactionSettingsAreSetAndResetLikeTheOthers() {
    TopicConfig compacted =
        TopicConfig.defaults().with(Map.of("cleanup.policy", "compact", "delete.retention.ms", "1000", "min.cleanable.dirty.ratio", "0.2", "min.compaction.lag.ms", "5"));
    Map<String, String> reset = new HashMap<>();
    reset.put("cleanup.policy", null);
    reset.put("delete.retention.ms", null);
    reset.put("min.cleanable.dirty.ratio", null);
    reset.put("min.compaction.lag.ms", null);
    assertEquals(TopicConfig.defaults(), TopicRegistryState.altered(compacted, reset), "each back to its default");
    assertEquals(compacted, TopicRegistryState.altered(TopicConfig.defaults(), compacted.asKafkaConfigs()));
  }

  // ---- event fold ----------------------------------------------------------------------------

  @Test
  void eventsOfAnotherIncarnationAreIgnoredOnReplay() {
    TopicRegistryState state = withTopic("t", 2);
    assertEquals(state, state.apply(new TopicDeleted("t", "old-id")), "TopicDeleted of an old id changes nothing");
    assertEquals(state, state.apply(new PartitionsAdded("t", "old-id", 2, 9)), "PartitionsAdded of an old id changes nothing");
    assertEquals(state, state.apply(new TopicConfigAltered("t", "old-id", TopicConfig.defaults().with(Map.of("retention.ms", "1")))));
    assertEquals(state, state.apply(new TopicDeleted("absent", "x")), "events of absent topics change nothing");
  }

  @Test
  void stateIsImmutable() {
    TopicRegistryState state = withTopic("t", 1);
    assertThrows(UnsupportedOperationException.class, () -> state.topics().put("x", state.topic("t").orElseThrow()));
    Map<String, TopicMetadata> source = new HashMap<>(state.topics());
    TopicRegistryState copy = new TopicRegistryState(source);
    source.clear();
    assertEquals(1, copy.topics().size(), "the state copies the map it is given");
  }

  @Test
  void settingsRetryDelayDoublesUpToTheMaximum() {
    TopicRegistrySettings s =
        new TopicRegistrySettings(java.time.Duration.ofSeconds(10), 8, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(5), 10);
    assertEquals(List.of(1L, 2L, 4L, 5L, 5L), Stream.of(1, 2, 3, 4, 50).map(a -> s.retryDelay(a).toSeconds()).toList());
    assertThrows(IllegalArgumentException.class, () -> new TopicRegistrySettings(java.time.Duration.ZERO, 8, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(5), 10));
  }
}
