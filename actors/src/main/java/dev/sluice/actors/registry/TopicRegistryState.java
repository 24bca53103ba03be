package dev.sluice.actors.registry;

import dev.sluice.actors.registry.TopicRegistryEvent.PartitionsAdded;
import dev.sluice.actors.registry.TopicRegistryEvent.TopicConfigAltered;
import dev.sluice.actors.registry.TopicRegistryEvent.TopicCreated;
import dev.sluice.actors.registry.TopicRegistryEvent.TopicDeleted;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.serialization.CborPersisted;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The topic table: every live topic by name. Immutable (a change copies the map) and also the
 * registry's snapshot.
 *
 * <p>This is the registry's whole logic as a plain state machine: each {@code decide} method
 * validates a command against the table and returns a {@link Decision} (an error, or the event to
 * persist together with the resulting metadata); {@link #apply} folds an event into the next
 * table. Both are pure: ids and clocks are passed in, nothing throws for bad input.
 */
public record TopicRegistryState(
    Map<String, TopicMetadata> topics,
    Map<String, Reassignment> reassignments,
    Map<String, Integer> stores,
    Map<String, PendingDeletion> deletions)
    implements CborPersisted {

  /**
   * A deleted topic (by its id in {@code deletions}) whose {@code partitions} have not confirmed
   * their Delete yet. {@code topic} is the metadata it had: where those partitions live.
   * Kept until every one confirmed, so a registry that restarts or moves meanwhile sends the
   * Deletes again. A partition whose name was created again is dropped: the new incarnation's
   * creation replaces what is left of the old one.
   */
  public record PendingDeletion(TopicMetadata topic, List<Integer> partitions) {
    public PendingDeletion {
      partitions = partitions == null ? List.of() : List.copyOf(new java.util.TreeSet<>(partitions));
    }

    /** Whether {@code partition} is among them (they are sorted). */
    boolean contains(int partition) {
      return java.util.Collections.binarySearch(partitions, partition) >= 0;
    }

    /** Without the partitions {@code from .. to-1}; null when none is left. */
    PendingDeletion without(int from, int to) {
      return without(p -> p >= from && p < to);
    }

    /** Without the partitions {@code done}; null when none is left. */
    PendingDeletion without(java.util.function.IntPredicate done) {
      List<Integer> left = partitions.stream().filter(p -> !done.test(p)).toList();
      return left.isEmpty() ? null : left.size() == partitions.size() ? this : new PendingDeletion(topic, left);
    }
  }

  /**
   * A partition moving from {@code fromNode} to {@code toNode} (-1: an unplaced partition);
   * {@code fencing}: its copy was allowed to fence the old leader, so the move can no longer be
   * cancelled, only completed.
   */
  public record Reassignment(
      String topic, String topicId, int partition, int fromNode, int toNode, long startedAtMillis, boolean fencing) {
    public String key() {
      return key(topic, partition);
    }

    public static String key(String topic, int partition) {
      return topic + "-" + partition;
    }
  }

  /** The largest partition count a topic may have. */
  public static final int MAX_PARTITIONS = 100_000;

  private static final Set<String> ENFORCED_SETTINGS =
      Set.of(
          TopicConfig.RETENTION_MS,
          TopicConfig.RETENTION_BYTES,
          TopicConfig.MAX_MESSAGE_BYTES,
          TopicConfig.TIMESTAMP_TYPE,
          TopicConfig.CLEANUP_POLICY,
          TopicConfig.DELETE_RETENTION_MS,
          TopicConfig.MIN_CLEANABLE_DIRTY_RATIO,
          TopicConfig.MIN_COMPACTION_LAG_MS);

  public TopicRegistryState {
    topics = topics == null ? Map.of() : Map.copyOf(topics);
    reassignments = reassignments == null ? Map.of() : Map.copyOf(reassignments);
    stores = stores == null ? Map.of() : Map.copyOf(stores);
    deletions = deletions == null ? Map.of() : Map.copyOf(deletions); // null: a snapshot from before they were kept
  }

  public TopicRegistryState(Map<String, TopicMetadata> topics) {
    this(topics, Map.of(), Map.of(), Map.of());
  }

  public TopicRegistryState(Map<String, TopicMetadata> topics, Map<String, Reassignment> reassignments) {
    this(topics, reassignments, Map.of(), Map.of());
  }

  public static TopicRegistryState empty() {
    return new TopicRegistryState(Map.of(), Map.of(), Map.of(), Map.of());
  }

  /** Deleted topics whose partitions' Deletes are not all confirmed, ordered by name. */
  public List<PendingDeletion> pendingDeletions() {
    List<PendingDeletion> out = new ArrayList<>(deletions.values());
    out.sort(Comparator.comparing((PendingDeletion d) -> d.topic().name()).thenComparing(d -> d.topic().topicId()));
    return out;
  }

  /** Whether {@code partition} of the deleted incarnation {@code topicId} still has to confirm its Delete. */
  public boolean deletionPending(String topicId, int partition) {
    PendingDeletion d = deletions.get(topicId);
    return d != null && d.contains(partition);
  }

  /** The node of {@code partition} of the deleted incarnation {@code topicId}; -1 if unplaced or not pending. */
  public int deletedPartitionNode(String topicId, int partition) {
    PendingDeletion d = deletions.get(topicId);
    return d == null || !d.contains(partition) ? -1 : d.topic().nodeOf(partition);
  }

  /**
   * The node of {@code topic}'s {@code partition}: of the live topic, else of a deleted
   * incarnation whose Delete of it is pending (so the Delete reaches the node with its data);
   * empty if neither knows it.
   */
  public Optional<Integer> nodeOf(String topic, int partition) {
    TopicMetadata t = topic == null ? null : topics.get(topic);
    if (t != null && partition >= 0 && partition < t.partitions()) {
      return Optional.of(t.nodeOf(partition));
    }
    for (PendingDeletion d : deletions.values()) {
      if (d.topic().name().equals(topic) && d.contains(partition)) {
        return Optional.of(d.topic().nodeOf(partition));
      }
    }
    return Optional.empty();
  }

  /**
   * Where a node-local store (a stream processor's state for one input partition) lives: the
   * node it was placed on, or, for a new store, the node of {@code topic}'s {@code partition}
   * now (an event to persist); -1 when the partition is unplaced or unknown (single node).
   */
  public StorePlacement placeStore(String storeId, String topic, int partition) {
    Integer placed = stores.get(storeId);
    if (placed != null) {
      return new StorePlacement(placed, null);
    }
    TopicMetadata t = topics.get(topic);
    int node = t == null || partition < 0 || partition >= t.partitions() ? -1 : t.nodeOf(partition);
    return new StorePlacement(node, node < 0 ? null : new TopicRegistryEvent.StorePlaced(storeId, node));
  }

  /** A store's node, and the event that records it when it was just placed (else null). */
  public record StorePlacement(int nodeId, TopicRegistryEvent event) {}

  /** The partition moves in progress, ordered by topic and partition. */
  public List<Reassignment> reassignmentList() {
    List<Reassignment> out = new ArrayList<>(reassignments.values());
    out.sort(Comparator.comparing(Reassignment::topic).thenComparingInt(Reassignment::partition));
    return out;
  }

  /**
   * The outcome of validating a command. {@code error == NONE} means accepted: then
   * {@code topic} is the topic's metadata after the change (or, for a topic being deleted, the
   * metadata it had) and {@code event} is what to persist, {@code null} when nothing changes.
   */
  public record Decision(TopicError error, String message, TopicRegistryEvent event, TopicMetadata topic) {
    static Decision accept(TopicRegistryEvent event, TopicMetadata topic) {
      return new Decision(TopicError.NONE, null, event, topic);
    }

    static Decision unchanged(TopicMetadata topic) {
      return new Decision(TopicError.NONE, null, null, topic);
    }

    static Decision reject(TopicError error, String message) {
      return new Decision(error, message, null, null);
    }

    public boolean accepted() {
      return error == TopicError.NONE;
    }
  }

  // ---- queries -------------------------------------------------------------------------------

  public Optional<TopicMetadata> topic(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(topics.get(name));
  }

  /** Every topic, ordered by name. */
  public List<TopicMetadata> list() {
    List<TopicMetadata> out = new ArrayList<>(topics.values());
    out.sort(Comparator.comparing(TopicMetadata::name));
    return out;
  }

  // ---- decisions -----------------------------------------------------------------------------

  /**
   * Create {@code name} with {@code partitions} partitions and {@code configs} (Kafka names)
   * over the defaults. {@code topicId} and {@code createdAtMillis} are chosen by the caller.
   */
  public Decision createTopic(
      String name, int partitions, Map<String, String> configs, String topicId, long createdAtMillis) {
    return createTopic(name, partitions, configs, topicId, createdAtMillis, List.of());
  }

  /**
   * As above, placing the partitions round-robin over {@code nodes} (the live nodes' ids),
   * starting at a node chosen by the topic's name so topics do not all start on the same node.
   * No nodes: the topic is unplaced (lives wherever sharding runs it; single-node only).
   */
  public Decision createTopic(
      String name, int partitions, Map<String, String> configs, String topicId, long createdAtMillis, List<Integer> nodes) {
    if (name == null) {
      return missingName();
    }
    String problem = TopicNames.problem(name);
    if (problem != null) {
      return Decision.reject(TopicError.INVALID_TOPIC_EXCEPTION, problem);
    }
    if (topics.containsKey(name)) {
      return Decision.reject(TopicError.TOPIC_ALREADY_EXISTS, "Topic '" + name + "' already exists.");
    }
    String colliding = collidingTopic(name);
    if (colliding != null) {
      return Decision.reject(
          TopicError.INVALID_TOPIC_EXCEPTION,
          "Topic '" + name + "' collides with existing topic: " + colliding
              + " ('.' and '_' are interchangeable in metric names)");
    }
    String countProblem = partitionCountProblem(partitions);
    if (countProblem != null) {
      return Decision.reject(TopicError.INVALID_PARTITIONS, countProblem);
    }
    TopicConfig config;
    try {
      config = TopicConfig.defaults().with(configs == null ? Map.of() : configs);
    } catch (IllegalArgumentException e) { // TopicConfig.InvalidConfigException and its kin
      return Decision.reject(TopicError.INVALID_CONFIG, e.getMessage());
    }
    TopicCreated event =
        new TopicCreated(name, topicId, partitions, config, createdAtMillis, place(name, 0, partitions, nodes));
    return Decision.accept(event, event.metadata());
  }

  /** Describe {@code name}: unchanged on success, with the topic's metadata. */
  public Decision describeTopic(String name) {
    if (name == null) {
      return missingName();
    }
    TopicMetadata t = topics.get(name);
    return t == null ? unknown(name) : Decision.unchanged(t);
  }

  /** Delete {@code name}; the decision's topic is the metadata it had. */
  public Decision deleteTopic(String name) {
    if (name == null) {
      return missingName();
    }
    TopicMetadata t = topics.get(name);
    if (t == null) {
      return unknown(name);
    }
    return Decision.accept(new TopicDeleted(name, t.topicId()), t);
  }

  /** Grow {@code name} to {@code newTotalCount} partitions (Kafka's CreatePartitions). */
  public Decision createPartitions(String name, int newTotalCount) {
    return createPartitions(name, newTotalCount, List.of());
  }

  /** As above, placing the new partitions over {@code nodes} (a topic without placement stays so). */
  public Decision createPartitions(String name, int newTotalCount, List<Integer> nodes) {
    if (name == null) {
      return missingName();
    }
    TopicMetadata t = topics.get(name);
    if (t == null) {
      return unknown(name);
    }
    if (newTotalCount == t.partitions()) {
      return Decision.reject(TopicError.INVALID_PARTITIONS, "Topic already has " + t.partitions() + " partitions.");
    }
    if (newTotalCount < t.partitions()) {
      return Decision.reject(
          TopicError.INVALID_PARTITIONS,
          "Topic currently has " + t.partitions() + " partitions, which is higher than the requested "
              + newTotalCount + ".");
    }
    String countProblem = partitionCountProblem(newTotalCount);
    if (countProblem != null) {
      return Decision.reject(TopicError.INVALID_PARTITIONS, countProblem);
    }
    List<Integer> added = t.placement().isEmpty() ? List.of() : place(name, t.partitions(), newTotalCount, nodes);
    return Decision.accept(
        new PartitionsAdded(name, t.topicId(), t.partitions(), newTotalCount, added), t.withPartitions(newTotalCount, added));
  }

  /** Nodes for partitions {@code from .. to-1}: round-robin over the sorted node ids. */
  static List<Integer> place(String name, int from, int to, List<Integer> nodes) {
    if (nodes == null || nodes.isEmpty()) {
      return List.of();
    }
    List<Integer> sorted = nodes.stream().sorted().distinct().toList();
    int start = Math.floorMod(name.hashCode(), sorted.size());
    List<Integer> placement = new ArrayList<>(to - from);
    for (int p = from; p < to; p++) {
      placement.add(sorted.get((start + p) % sorted.size()));
    }
    return placement;
  }

  /**
   * Change some settings of {@code name}, like Kafka's IncrementalAlterConfigs: each entry sets
   * that setting; an entry whose value is {@code null} resets it to its default. Settings not
   * mentioned keep their values. A change that changes nothing is accepted without an event.
   */
  public Decision alterConfig(String name, Map<String, String> configs) {
    if (name == null) {
      return missingName();
    }
    TopicMetadata t = topics.get(name);
    if (t == null) {
      return unknown(name);
    }
    TopicConfig config;
    try {
      config = altered(t.config(), configs);
    } catch (IllegalArgumentException e) {
      return Decision.reject(TopicError.INVALID_CONFIG, e.getMessage());
    }
    if (config.equals(t.config())) {
      return Decision.unchanged(t);
    }
    return Decision.accept(new TopicConfigAltered(name, t.topicId(), config), t.withConfig(config));
  }

  /**
   * {@code current} with {@code changes} applied as {@link #alterConfig} applies them (a
   * {@code null} value resets that setting to its default): the one check of a settings change,
   * also used to validate one without making it.
   *
   * @throws TopicConfig.InvalidConfigException for an unknown setting or an invalid value; the
   *     message says which
   */
  public static TopicConfig altered(TopicConfig current, Map<String, String> changes) {
    Map<String, String> merged = new TreeMap<>(current.asKafkaConfigs());
    for (Map.Entry<String, String> e : (changes == null ? Map.<String, String>of() : changes).entrySet()) {
      if (e.getValue() != null) {
        merged.put(e.getKey(), e.getValue());
      } else if (ENFORCED_SETTINGS.contains(e.getKey()) || TopicConfig.ACCEPTED_UNENFORCED.contains(e.getKey())) {
        merged.remove(e.getKey());
      } else {
        throw new TopicConfig.InvalidConfigException("unknown topic setting '" + e.getKey() + "'");
      }
    }
    return TopicConfig.defaults().with(merged);
  }

  /**
   * Move {@code name}'s {@code partition} to the single node in {@code replicas} (Kafka's
   * AlterPartitionReassignments), or cancel its move ({@code replicas} null). A move to where
   * the partition already is, or the same move again, changes nothing. {@code liveNodes}: the
   * nodes up now (only those can receive a partition).
   */
  public Decision reassign(String name, int partition, List<Integer> replicas, Set<Integer> liveNodes, long now) {
    if (name == null) {
      return missingName();
    }
    TopicMetadata t = topics.get(name);
    if (t == null || partition < 0 || partition >= t.partitions()) {
      return Decision.reject(TopicError.UNKNOWN_TOPIC_OR_PARTITION, "Partition " + name + "-" + partition + " does not exist.");
    }
    Reassignment current = reassignments.get(Reassignment.key(name, partition));
    if (replicas == null) {
      if (current == null) {
        return Decision.reject(TopicError.NO_REASSIGNMENT_IN_PROGRESS, "No reassignment of " + name + "-" + partition + " is in progress.");
      }
      if (current.fencing()) {
        return Decision.reject(
            TopicError.REASSIGNMENT_IN_PROGRESS,
            "The move of " + name + "-" + partition + " to node " + current.toNode() + " is switching over and can no longer be cancelled.");
      }
      return Decision.accept(new TopicRegistryEvent.ReassignmentCancelled(name, t.topicId(), partition), t);
    }
    if (replicas.size() != 1) {
      return Decision.reject(
          TopicError.INVALID_REPLICATION_FACTOR,
          "Sluice keeps one copy of each partition: name exactly one node for " + name + "-" + partition + ", not " + replicas + ".");
    }
    int target = replicas.get(0);
    if (current != null) {
      if (current.toNode() == target) {
        return Decision.unchanged(t);
      }
      return Decision.reject(
          TopicError.REASSIGNMENT_IN_PROGRESS,
          name + "-" + partition + " is already moving to node " + current.toNode() + "; cancel that first.");
    }
    if (t.nodeOf(partition) == target) {
      return Decision.unchanged(t);
    }
    if (!liveNodes.contains(target)) {
      return Decision.reject(TopicError.INVALID_REPLICA_ASSIGNMENT, "Node " + target + " is not up: a partition can only move to a live node.");
    }
    return Decision.accept(
        new TopicRegistryEvent.ReassignmentStarted(name, t.topicId(), partition, t.nodeOf(partition), target, now), t);
  }

  /** The copy on {@code toNode} asks whether it may fence the old leader: only if that move is still wanted. */
  public Decision mayFence(String name, String topicId, int partition, int toNode) {
    Reassignment r = reassignments.get(Reassignment.key(name, partition));
    if (r == null || !r.topicId().equals(topicId) || r.toNode() != toNode) {
      return Decision.reject(TopicError.NO_REASSIGNMENT_IN_PROGRESS, "No move of " + name + "-" + partition + " to node " + toNode + " is in progress.");
    }
    TopicMetadata t = topics.get(name);
    return r.fencing() ? Decision.unchanged(t) : Decision.accept(new TopicRegistryEvent.ReassignmentFencing(name, topicId, partition, toNode), t);
  }

  /** The copy on {@code toNode} is complete: the partition's placement switches to it. */
  public Decision reassigned(String name, String topicId, int partition, int toNode) {
    TopicMetadata t = topics.get(name);
    Reassignment r = reassignments.get(Reassignment.key(name, partition));
    if (r == null || !r.topicId().equals(topicId) || r.toNode() != toNode || !r.fencing()) {
      if (r == null && t != null && t.topicId().equals(topicId) && t.nodeOf(partition) == toNode) {
        return Decision.unchanged(t); // already switched (a repeated report)
      }
      return Decision.reject(TopicError.NO_REASSIGNMENT_IN_PROGRESS, "No fenced move of " + name + "-" + partition + " to node " + toNode + " is in progress.");
    }
    return Decision.accept(new TopicRegistryEvent.PartitionReassigned(name, topicId, partition, r.fromNode(), toNode), t);
  }

  // ---- events --------------------------------------------------------------------------------

  /**
   * The table after {@code event}. An event that does not fit the table (its topic id names
   * another incarnation) leaves it unchanged: replay never fails.
   */
  public TopicRegistryState apply(TopicRegistryEvent event) {
    if (event instanceof TopicRegistryEvent.StorePlaced p) {
      Map<String, Integer> next = new HashMap<>(stores);
      next.put(p.storeId(), p.nodeId());
      return new TopicRegistryState(topics, reassignments, next, deletions);
    }
    if (event instanceof TopicCreated c) {
      return with(c.name(), c.metadata()).withoutMovesOf(c.name()).withoutDeletionsOf(c.name(), 0, c.partitions());
    }
    if (event instanceof TopicRegistryEvent.PartitionDeletionConfirmed c) {
      PendingDeletion d = deletions.get(c.topicId());
      return d == null ? this : withDeletion(c.topicId(), d.without(c.partitions()::contains));
    }
    TopicMetadata t = topics.get(event.name());
    if (t == null || !t.topicId().equals(topicIdOf(event))) {
      return this;
    }
    if (event instanceof TopicDeleted) {
      List<Integer> all = java.util.stream.IntStream.range(0, t.partitions()).boxed().toList();
      return with(t.name(), null).withoutMovesOf(t.name()).withDeletion(t.topicId(), new PendingDeletion(t, all));
    } else if (event instanceof TopicRegistryEvent.ReassignmentStarted r) {
      Map<String, Reassignment> next = new HashMap<>(reassignments);
      Reassignment m = new Reassignment(r.name(), r.topicId(), r.partition(), r.fromNode(), r.toNode(), r.atMillis(), false);
      next.put(m.key(), m);
      return new TopicRegistryState(topics, next, stores, deletions);
    } else if (event instanceof TopicRegistryEvent.ReassignmentFencing f) {
      Reassignment m = reassignments.get(Reassignment.key(f.name(), f.partition()));
      if (m == null) {
        return this;
      }
      Map<String, Reassignment> next = new HashMap<>(reassignments);
      next.put(m.key(), new Reassignment(m.topic(), m.topicId(), m.partition(), m.fromNode(), m.toNode(), m.startedAtMillis(), true));
      return new TopicRegistryState(topics, next, stores, deletions);
    } else if (event instanceof TopicRegistryEvent.ReassignmentCancelled c) {
      Map<String, Reassignment> next = new HashMap<>(reassignments);
      next.remove(Reassignment.key(c.name(), c.partition()));
      return new TopicRegistryState(topics, next, stores, deletions);
    } else if (event instanceof TopicRegistryEvent.PartitionReassigned r) {
      Map<String, Reassignment> next = new HashMap<>(reassignments);
      next.remove(Reassignment.key(r.name(), r.partition()));
      return new TopicRegistryState(topics, next, stores, deletions).with(t.name(), t.withNode(r.partition(), r.toNode()));
    } else if (event instanceof PartitionsAdded a) {
      return with(t.name(), t.withPartitions(a.newCount(), a.placement())).withoutDeletionsOf(t.name(), a.previousCount(), a.newCount());
    } else if (event instanceof TopicConfigAltered c) {
      return with(t.name(), t.withConfig(c.config()));
    }
    throw new IllegalStateException("unhandled registry event " + event.getClass().getName());
  }

  private static String topicIdOf(TopicRegistryEvent event) {
    if (event instanceof TopicRegistryEvent.ReassignmentEvent r) {
      return r.topicId();
    }
    if (event instanceof TopicDeleted d) {
      return d.topicId();
    } else if (event instanceof PartitionsAdded a) {
      return a.topicId();
    } else if (event instanceof TopicConfigAltered c) {
      return c.topicId();
    }
    return ((TopicCreated) event).topicId();
  }

  private TopicRegistryState with(String name, TopicMetadata topicOrNull) {
    Map<String, TopicMetadata> next = new HashMap<>(topics);
    if (topicOrNull == null) {
      next.remove(name);
    } else {
      next.put(name, topicOrNull);
    }
    return new TopicRegistryState(next, reassignments, stores, deletions);
  }

  private TopicRegistryState withoutMovesOf(String name) {
    if (reassignments.values().stream().noneMatch(r -> r.topic().equals(name))) {
      return this;
    }
    Map<String, Reassignment> next = new HashMap<>(reassignments);
    next.values().removeIf(r -> r.topic().equals(name));
    return new TopicRegistryState(topics, next, stores, deletions);
  }

  /** With {@code topicId}'s pending deletion set to {@code pendingOrNull} (null: none left). */
  private TopicRegistryState withDeletion(String topicId, PendingDeletion pendingOrNull) {
    Map<String, PendingDeletion> next = new HashMap<>(deletions);
    if (pendingOrNull == null) {
      next.remove(topicId);
    } else {
      next.put(topicId, pendingOrNull);
    }
    return new TopicRegistryState(topics, reassignments, stores, next);
  }

  /** Partitions {@code from .. to-1} of the name belong to a new incarnation: no Delete may reach them. */
  private TopicRegistryState withoutDeletionsOf(String name, int from, int to) {
    TopicRegistryState s = this;
    for (Map.Entry<String, PendingDeletion> e : deletions.entrySet()) {
      if (e.getValue().topic().name().equals(name)) {
        s = s.withDeletion(e.getKey(), e.getValue().without(from, to));
      }
    }
    return s;
  }

  // ---- helpers -------------------------------------------------------------------------------

  private String collidingTopic(String name) {
    if (name.indexOf('.') < 0 && name.indexOf('_') < 0) {
      return null;
    }
    String key = TopicNames.collisionKey(name);
    for (String existing : topics.keySet()) {
      if (TopicNames.collisionKey(existing).equals(key)) {
        return existing;
      }
    }
    return null;
  }

  private static String partitionCountProblem(int count) {
    if (count < 1) {
      return "Number of partitions must be at least 1, got " + count + ".";
    }
    if (count > MAX_PARTITIONS) {
      return "Number of partitions must be at most " + MAX_PARTITIONS + ", got " + count + ".";
    }
    return null;
  }

  private static Decision missingName() {
    return Decision.reject(TopicError.INVALID_REQUEST, "the request names no topic");
  }

  private static Decision unknown(String name) {
    return Decision.reject(TopicError.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist.");
  }
}
