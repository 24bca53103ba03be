package dev.sluice.engine.kafka;

import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicMetadata;
import dev.sluice.actors.registry.TopicNames;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.actors.registry.TopicRegistryState;
import dev.sluice.persistence.partition.TopicConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin APIs of the Kafka gateway, served from the {@link TopicRegistry}: CreateTopics
 * (v2-7), DeleteTopics (v1-6), CreatePartitions (v0-3), DescribeConfigs (v1-4) and
 * DescribeCluster (v0-2).
 *
 * <p>Sluice answers like a one-broker Kafka cluster: that node is every partition's only replica
 * and the controller, so the only replication factor is 1 and manual replica assignments are
 * refused. Batch requests answer per item, in request order, as Kafka does: one bad topic never
 * fails the others, and no error closes the connection. A registry that does not answer within
 * {@code sluice.kafka.admin-timeout} makes the affected items {@code REQUEST_TIMED_OUT}; a
 * REQUEST_TIMED_OUT from the registry itself means the change was recorded but some partitions
 * have not confirmed it yet (the registry keeps retrying them).
 *
 * <p>Registry replies are handled on the thread that completes them (plain {@code thenApply}):
 * the work is small and never blocks.
 */
final class AdminHandlers {
  private static final Logger LOG = LoggerFactory.getLogger(AdminHandlers.class);

  /** Kafka's {@code resource_type} codes (org.apache.kafka.common.resource.ResourceType). */
  private static final byte RESOURCE_TOPIC = 2;
  private static final byte RESOURCE_BROKER = 4;

  /** DescribeCluster {@code endpoint_type} codes (org.apache.kafka.common.requests.EndpointType). */
  private static final byte ENDPOINT_BROKER = 1;
  private static final byte ENDPOINT_CONTROLLER = 2;

  /**
   * Kafka's types of the topic settings Sluice stores (from Kafka's LogConfig), for
   * DescribeConfigs v3+; a setting not listed is reported as STRING.
   */
  private static final Map<String, ConfigType> TOPIC_CONFIG_TYPES =
      Map.ofEntries(
          Map.entry(TopicConfig.RETENTION_MS, ConfigType.LONG),
          Map.entry(TopicConfig.RETENTION_BYTES, ConfigType.LONG),
          Map.entry(TopicConfig.MAX_MESSAGE_BYTES, ConfigType.INT),
          Map.entry(TopicConfig.TIMESTAMP_TYPE, ConfigType.STRING),
          Map.entry(TopicConfig.CLEANUP_POLICY, ConfigType.LIST),
          Map.entry("compression.type", ConfigType.STRING),
          Map.entry("delete.retention.ms", ConfigType.LONG),
          Map.entry("file.delete.delay.ms", ConfigType.LONG),
          Map.entry("flush.messages", ConfigType.LONG),
          Map.entry("flush.ms", ConfigType.LONG),
          Map.entry("index.interval.bytes", ConfigType.INT),
          Map.entry("local.retention.bytes", ConfigType.LONG),
          Map.entry("local.retention.ms", ConfigType.LONG),
          Map.entry("max.compaction.lag.ms", ConfigType.LONG),
          Map.entry("message.timestamp.after.max.ms", ConfigType.LONG),
          Map.entry("message.timestamp.before.max.ms", ConfigType.LONG),
          Map.entry("min.cleanable.dirty.ratio", ConfigType.DOUBLE),
          Map.entry("min.compaction.lag.ms", ConfigType.LONG),
          Map.entry("min.insync.replicas", ConfigType.INT),
          Map.entry("preallocate", ConfigType.BOOLEAN),
          Map.entry("segment.bytes", ConfigType.INT),
          Map.entry("segment.index.bytes", ConfigType.INT),
          Map.entry("segment.jitter.ms", ConfigType.LONG),
          Map.entry("segment.ms", ConfigType.LONG),
          Map.entry("unclean.leader.election.enable", ConfigType.BOOLEAN),
          Map.entry("message.downconversion.enable", ConfigType.BOOLEAN));

  private AdminHandlers() {}

  // ---- CreateTopics --------------------------------------------------------------------------

  /**
   * CreateTopics v2-7. Each topic is checked here first (name, existence, partition count,
   * replication factor, settings) against one registry listing, so the errors come in Kafka's
   * order; the registry stays the authority and re-checks when it creates. With
   * {@code validate_only} nothing is created, and the response says what would have been.
   * Topics are created concurrently; the response waits for all of them.
   */
  public static final class CreateTopics implements ApiHandler {
    private final GatewayContext context;

    public CreateTopics(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.CREATE_TOPICS;
    }

    @Override
    public short minVersion() {
      return 2;
    }

    @Override
    public short maxVersion() {
      return 7;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      CreateTopicsRequestData req = request.bodyAs(CreateTopicsRequestData.class);
      // Kafka answers every entry of a name given twice with one INVALID_REQUEST and creates none.
      Set<String> duplicates = duplicates(req.topics().stream().map(CreateTopicsRequestData.CreatableTopic::name).toList());
      return listTopics(context)
          .thenCompose(
              existing -> {
                List<CompletableFuture<CreateTopicsResponseData.CreatableTopicResult>> results = new ArrayList<>();
                Set<String> answered = new HashSet<>();
                for (CreateTopicsRequestData.CreatableTopic topic : req.topics()) {
                  if (duplicates.contains(topic.name())) {
                    if (answered.add(topic.name())) {
                      results.add(CompletableFuture.completedFuture(failed(topic.name(), Errors.INVALID_REQUEST, "Duplicate topic name.")));
                    }
                  } else if (existing.isEmpty()) {
                    results.add(CompletableFuture.completedFuture(failed(topic.name(), Errors.REQUEST_TIMED_OUT, registryTimeout(context))));
                  } else {
                    results.add(create(topic, existing.get(), req.validateOnly()).toCompletableFuture());
                  }
                }
                return allOf(results);
              })
          .thenApply(
              results -> {
                CreateTopicsResponseData resp = new CreateTopicsResponseData();
                results.forEach(resp.topics()::add);
                return Optional.<ApiMessage>of(resp);
              });
    }

    private CompletionStage<CreateTopicsResponseData.CreatableTopicResult> create(
        CreateTopicsRequestData.CreatableTopic topic, Map<String, TopicMetadata> existing, boolean validateOnly) {
      String name = topic.name();
      Map<String, String> configs = new LinkedHashMap<>();
      topic.configs().forEach(c -> configs.put(c.name(), c.value()));
      int partitions = topic.numPartitions() == -1 ? context.settings().defaultPartitions() : topic.numPartitions();

      String nameProblem = TopicNames.problem(name);
      if (nameProblem != null) {
        return done(failed(name, Errors.INVALID_TOPIC_EXCEPTION, nameProblem));
      }
      if (existing.containsKey(name)) {
        return done(failed(name, Errors.TOPIC_ALREADY_EXISTS, "Topic '" + name + "' already exists."));
      }
      String colliding = collidingTopic(name, existing.keySet());
      if (colliding != null) {
        return done(
            failed(
                name, Errors.INVALID_TOPIC_EXCEPTION,
                "Topic '" + name + "' collides with existing topic: " + colliding
                    + " ('.' and '_' are interchangeable in metric names)"));
      }
      if (!topic.assignments().isEmpty()) {
        return done(
            failed(name, Errors.INVALID_REQUEST, "manual replica assignment is not supported: Sluice places every partition on its one replica"));
      }
      if (topic.numPartitions() == 0 || topic.numPartitions() < -1) {
        return done(failed(name, Errors.INVALID_PARTITIONS, "Number of partitions was set to an invalid non-positive value."));
      }
      if (partitions > TopicRegistryState.MAX_PARTITIONS) {
        return done(
            failed(
                name, Errors.INVALID_PARTITIONS,
                "Number of partitions must be at most " + TopicRegistryState.MAX_PARTITIONS + ", got " + partitions + "."));
      }
      short rf = topic.replicationFactor();
      if (rf == 0 || rf < -1) {
        return done(
            failed(name, Errors.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0, or -1 to use the default value."));
      }
      if (rf > 1) {
        return done(
            failed(
                name, Errors.INVALID_REPLICATION_FACTOR,
                "Unable to replicate the partition " + rf + " time(s): Sluice keeps one replica of every partition,"
                    + " so the replication factor must be 1 (or -1 for the default)."));
      }
      TopicConfig config;
      try {
        config = TopicConfig.defaults().with(configs);
      } catch (IllegalArgumentException e) { // TopicConfig.InvalidConfigException and its kin
        return done(failed(name, Errors.INVALID_CONFIG, e.getMessage()));
      }
      if (validateOnly) {
        return done(created(null, name, partitions, config, configs.keySet()));
      }
      return context
          .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.CreateTopic(name, partitions, configs, r))
          .handle(
              (result, err) -> {
                if (err != null) {
                  return failed(name, KafkaErrors.ofFailure(err), registryTimeout(context));
                }
                if (result.error() != TopicError.NONE) {
                  return failed(name, KafkaErrors.of(result.error()), result.message());
                }
                TopicMetadata t = result.topic();
                return created(t.topicId(), t.name(), t.partitions(), t.config(), configs.keySet());
              });
    }

    /**
     * A successful result. Fields newer than the request's version (topic id: v7; partition
     * count, replication factor, settings: v5) are dropped by the encoder, so they are set
     * unconditionally.
     */
    private static CreateTopicsResponseData.CreatableTopicResult created(
        String topicId, String name, int partitions, TopicConfig config, Set<String> explicit) {
      CreateTopicsResponseData.CreatableTopicResult result =
          new CreateTopicsResponseData.CreatableTopicResult()
              .setName(name)
              .setErrorCode(Errors.NONE.code())
              .setNumPartitions(partitions)
              .setReplicationFactor((short) 1);
      if (topicId != null) { // validate_only: no id yet, Kafka answers the zero UUID
        result.setTopicId(GatewayContext.kafkaUuid(topicId));
      }
      List<CreateTopicsResponseData.CreatableTopicConfigs> configs = new ArrayList<>();
      for (Map.Entry<String, String> e : config.asKafkaConfigs().entrySet()) {
        ConfigSource source = explicit.contains(e.getKey()) ? ConfigSource.TOPIC_CONFIG : ConfigSource.DEFAULT_CONFIG;
        configs.add(
            new CreateTopicsResponseData.CreatableTopicConfigs()
                .setName(e.getKey())
                .setValue(e.getValue())
                .setReadOnly(false)
                .setConfigSource(source.id())
                .setIsSensitive(false));
      }
      return result.setConfigs(configs);
    }

    /** A failed result: partition count and replication factor stay at Kafka's -1. */
    private static CreateTopicsResponseData.CreatableTopicResult failed(String name, Errors error, String message) {
      return new CreateTopicsResponseData.CreatableTopicResult()
          .setName(name)
          .setErrorCode(error.code())
          .setErrorMessage(message == null ? error.message() : message)
          .setNumPartitions(-1)
          .setReplicationFactor((short) -1);
    }

    /** The existing topic {@code name} would collide with ('.' and '_' are the same in metric names). */
    private static String collidingTopic(String name, Set<String> existing) {
      if (name.indexOf('.') < 0 && name.indexOf('_') < 0) {
        return null;
      }
      String key = TopicNames.collisionKey(name);
      for (String other : existing) {
        if (TopicNames.collisionKey(other).equals(key)) {
          return other;
        }
      }
      return null;
    }
  }

  // ---- DeleteTopics --------------------------------------------------------------------------

  /**
   * DeleteTopics v1-6. Up to v5 topics are named; v6 names each by name or by topic id, and an
   * id is resolved to its name through one registry listing (an id no topic has is
   * UNKNOWN_TOPIC_ID). Deletions run concurrently; the response waits for all of them.
   */
  public static final class DeleteTopics implements ApiHandler {
    private final GatewayContext context;

    public DeleteTopics(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.DELETE_TOPICS;
    }

    @Override
    public short minVersion() {
      return 1;
    }

    @Override
    public short maxVersion() {
      return 6;
    }

    /** One entry of the request: a name, or (v6) a topic id. */
    private record Target(String name, Uuid topicId) {
      boolean byId() {
        return name == null;
      }
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      DeleteTopicsRequestData req = request.bodyAs(DeleteTopicsRequestData.class);
      List<Target> targets = new ArrayList<>();
      if (request.version() >= 6) {
        req.topics().forEach(t -> targets.add(new Target(t.name(), t.topicId())));
      } else {
        req.topicNames().forEach(n -> targets.add(new Target(n, Uuid.ZERO_UUID)));
      }
      // As Kafka's controller: a name or id given twice is refused once, and not deleted.
      Set<String> duplicateNames = duplicates(targets.stream().filter(t -> !t.byId()).map(Target::name).toList());
      Set<Uuid> duplicateIds = duplicates(targets.stream().filter(Target::byId).map(Target::topicId).toList());
      boolean anyById = targets.stream().anyMatch(t -> t.byId() && !Uuid.ZERO_UUID.equals(t.topicId()));
      CompletionStage<Optional<Map<String, TopicMetadata>>> listing =
          anyById ? listTopics(context) : CompletableFuture.completedFuture(Optional.of(Map.of()));
      return listing
          .thenCompose(
              existing -> {
                Map<Uuid, String> namesById = new HashMap<>();
                existing.ifPresent(ts -> ts.values().forEach(t -> namesById.put(GatewayContext.kafkaUuid(t.topicId()), t.name())));
                List<CompletableFuture<DeleteTopicsResponseData.DeletableTopicResult>> results = new ArrayList<>();
                Set<Object> answered = new HashSet<>();
                for (Target t : targets) {
                  boolean hasId = t.topicId() != null && !Uuid.ZERO_UUID.equals(t.topicId());
                  if (t.name() != null && hasId) {
                    results.add(done(failed(t, Errors.INVALID_REQUEST, "You may not specify both topic name and topic id.")));
                  } else if (t.name() == null && !hasId) {
                    results.add(done(failed(t, Errors.INVALID_REQUEST, "Neither topic name nor id were specified.")));
                  } else if (!t.byId() && duplicateNames.contains(t.name())) {
                    if (answered.add(t.name())) {
                      results.add(done(failed(t, Errors.INVALID_REQUEST, "Duplicate topic name.")));
                    }
                  } else if (t.byId() && duplicateIds.contains(t.topicId())) {
                    if (answered.add(t.topicId())) {
                      results.add(done(failed(t, Errors.INVALID_REQUEST, "Duplicate topic id.")));
                    }
                  } else if (!t.byId()) {
                    results.add(delete(t, t.name()).toCompletableFuture());
                  } else if (existing.isEmpty()) {
                    results.add(done(failed(t, Errors.REQUEST_TIMED_OUT, registryTimeout(context))));
                  } else if (!namesById.containsKey(t.topicId())) {
                    results.add(done(failed(t, Errors.UNKNOWN_TOPIC_ID, "No topic has id " + t.topicId() + ".")));
                  } else {
                    // The name was looked up a moment ago; a topic deleted and re-created under
                    // it since then would be deleted too (Kafka's controller deletes by id).
                    results.add(delete(t, namesById.get(t.topicId())).toCompletableFuture());
                  }
                }
                return allOf(results);
              })
          .thenApply(
              results -> {
                DeleteTopicsResponseData resp = new DeleteTopicsResponseData();
                results.forEach(resp.responses()::add);
                return Optional.<ApiMessage>of(resp);
              });
    }

    private CompletionStage<DeleteTopicsResponseData.DeletableTopicResult> delete(Target target, String name) {
      return context
          .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.DeleteTopic(name, r))
          .handle(
              (result, err) -> {
                if (err != null) {
                  return failed(target, KafkaErrors.ofFailure(err), registryTimeout(context)).setName(name);
                }
                // The topic id (v6) and the message (v5) are dropped by the encoder for older versions.
                DeleteTopicsResponseData.DeletableTopicResult out =
                    new DeleteTopicsResponseData.DeletableTopicResult()
                        .setName(name)
                        .setTopicId(result.topic() != null ? GatewayContext.kafkaUuid(result.topic().topicId()) : target.topicId())
                        .setErrorCode(KafkaErrors.of(result.error()).code());
                return result.error() == TopicError.NONE ? out : out.setErrorMessage(messageOr(result.message(), result.error()));
              });
    }

    private static DeleteTopicsResponseData.DeletableTopicResult failed(Target target, Errors error, String message) {
      return new DeleteTopicsResponseData.DeletableTopicResult()
          .setName(target.name())
          .setTopicId(target.topicId() == null ? Uuid.ZERO_UUID : target.topicId())
          .setErrorCode(error.code())
          .setErrorMessage(message);
    }
  }

  // ---- CreatePartitions ----------------------------------------------------------------------

  /**
   * CreatePartitions v0-3: grows topics. Manual assignments are refused; {@code validate_only}
   * checks the new count against the topic's current one without changing anything.
   */
  public static final class CreatePartitions implements ApiHandler {
    private final GatewayContext context;

    public CreatePartitions(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.CREATE_PARTITIONS;
    }

    @Override
    public short minVersion() {
      return 0;
    }

    @Override
    public short maxVersion() {
      return 3;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      CreatePartitionsRequestData req = request.bodyAs(CreatePartitionsRequestData.class);
      Set<String> duplicates = duplicates(req.topics().stream().map(CreatePartitionsRequestData.CreatePartitionsTopic::name).toList());
      Set<String> answered = new HashSet<>();
      List<CompletableFuture<CreatePartitionsResponseData.CreatePartitionsTopicResult>> results = new ArrayList<>();
      for (CreatePartitionsRequestData.CreatePartitionsTopic topic : req.topics()) {
        if (duplicates.contains(topic.name())) {
          if (answered.add(topic.name())) {
            results.add(done(result(topic.name(), Errors.INVALID_REQUEST, "Duplicate topic name.")));
          }
        } else if (topic.assignments() != null) {
          results.add(
              done(result(topic.name(), Errors.INVALID_REQUEST, "manual replica assignment is not supported: Sluice places every partition on its one replica")));
        } else {
          results.add(grow(topic.name(), topic.count(), req.validateOnly()).toCompletableFuture());
        }
      }
      return allOf(results)
          .thenApply(
              rs -> {
                CreatePartitionsResponseData resp = new CreatePartitionsResponseData();
                resp.results().addAll(rs);
                return Optional.<ApiMessage>of(resp);
              });
    }

    private CompletionStage<CreatePartitionsResponseData.CreatePartitionsTopicResult> grow(String name, int count, boolean validateOnly) {
      CompletionStage<CreatePartitionsResponseData.CreatePartitionsTopicResult> answer =
          validateOnly
              ? context
                  .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.DescribeTopic(name, r))
                  .thenApply(d -> d.error() != TopicError.NONE ? fromRegistry(name, d) : validate(name, d.topic().partitions(), count))
              : context
                  .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.CreatePartitions(name, count, r))
                  .thenApply(r -> fromRegistry(name, r));
      return answer.exceptionally(err -> result(name, KafkaErrors.ofFailure(err), registryTimeout(context)));
    }

    /** The registry's own checks (TopicRegistryState.createPartitions), for validate_only. */
    private static CreatePartitionsResponseData.CreatePartitionsTopicResult validate(String name, int current, int count) {
      if (count == current) {
        return result(name, Errors.INVALID_PARTITIONS, "Topic already has " + current + " partitions.");
      }
      if (count < current) {
        return result(
            name, Errors.INVALID_PARTITIONS,
            "Topic currently has " + current + " partitions, which is higher than the requested " + count + ".");
      }
      if (count > TopicRegistryState.MAX_PARTITIONS) {
        return result(
            name, Errors.INVALID_PARTITIONS,
            "Number of partitions must be at most " + TopicRegistryState.MAX_PARTITIONS + ", got " + count + ".");
      }
      return result(name, Errors.NONE, null);
    }

    private static CreatePartitionsResponseData.CreatePartitionsTopicResult fromRegistry(String name, TopicRegistry.TopicResult r) {
      return r.error() == TopicError.NONE
          ? result(name, Errors.NONE, null)
          : result(name, KafkaErrors.of(r.error()), messageOr(r.message(), r.error()));
    }

    private static CreatePartitionsResponseData.CreatePartitionsTopicResult result(String name, Errors error, String message) {
      return new CreatePartitionsResponseData.CreatePartitionsTopicResult()
          .setName(name)
          .setErrorCode(error.code())
          .setErrorMessage(message);
    }
  }

  // ---- DescribeConfigs -----------------------------------------------------------------------

  /**
   * DescribeConfigs v1-4 for topics and for this broker. A topic's settings are those the
   * registry stores, each reported as set on the topic (TOPIC_CONFIG) when its value differs
   * from the default and as DEFAULT_CONFIG otherwise; all can be changed, none is sensitive. The
   * broker reports a small read-only set: {@code broker.id}, {@code auto.create.topics.enable},
   * {@code num.partitions} and {@code log.retention.ms}. Other resource types are refused with
   * INVALID_REQUEST.
   */
  public static final class DescribeConfigs implements ApiHandler {
    private final GatewayContext context;

    public DescribeConfigs(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.DESCRIBE_CONFIGS;
    }

    @Override
    public short minVersion() {
      return 1;
    }

    @Override
    public short maxVersion() {
      return 4;
    }

    /** One setting as described: value, where it comes from, its type and whether it can change. */
    private record Entry(String name, String value, ConfigSource source, ConfigType type, boolean readOnly) {}

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      DescribeConfigsRequestData req = request.bodyAs(DescribeConfigsRequestData.class);
      // Synonyms exist from v1; Sluice has no inheritance chain, so a setting's only synonym is itself.
      boolean synonyms = req.includeSynonyms();
      List<CompletableFuture<DescribeConfigsResponseData.DescribeConfigsResult>> results = new ArrayList<>();
      for (DescribeConfigsRequestData.DescribeConfigsResource resource : req.resources()) {
        CompletionStage<DescribeConfigsResponseData.DescribeConfigsResult> result =
            switch (resource.resourceType()) {
              case RESOURCE_TOPIC -> topic(resource);
              case RESOURCE_BROKER -> done(broker(resource));
              default -> done(
                  failed(
                      resource, Errors.INVALID_REQUEST,
                      "unsupported resource type " + resource.resourceType()
                          + ": Sluice describes the configs of topics (2) and brokers (4)"));
            };
        results.add(
            result
                .thenApply(
                    r -> {
                      if (r.errorCode() == Errors.NONE.code()) {
                        r.configs().forEach(c -> c.setSynonyms(synonyms ? List.of(synonym(c)) : new ArrayList<>()));
                      }
                      return r;
                    })
                .toCompletableFuture());
      }
      return allOf(results)
          .thenApply(
              rs -> {
                DescribeConfigsResponseData resp = new DescribeConfigsResponseData();
                resp.results().addAll(rs);
                return Optional.<ApiMessage>of(resp);
              });
    }

    private CompletionStage<DescribeConfigsResponseData.DescribeConfigsResult> topic(
        DescribeConfigsRequestData.DescribeConfigsResource resource) {
      String name = resource.resourceName();
      String problem = TopicNames.problem(name);
      if (problem != null) {
        return done(failed(resource, Errors.INVALID_TOPIC_EXCEPTION, problem));
      }
      return context
          .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.DescribeTopic(name, r))
          .handle(
              (d, err) -> {
                if (err != null) {
                  return failed(resource, KafkaErrors.ofFailure(err), registryTimeout(context));
                }
                if (d.error() != TopicError.NONE) {
                  return failed(resource, KafkaErrors.of(d.error()), messageOr(d.message(), d.error()));
                }
                Map<String, String> defaults = TopicConfig.defaults().asKafkaConfigs();
                List<Entry> entries = new ArrayList<>();
                d.topic().config().asKafkaConfigs().forEach(
                    (key, value) ->
                        entries.add(
                            new Entry(
                                key,
                                value,
                                value.equals(defaults.get(key)) ? ConfigSource.DEFAULT_CONFIG : ConfigSource.TOPIC_CONFIG,
                                TOPIC_CONFIG_TYPES.getOrDefault(key, ConfigType.STRING),
                                false)));
                return described(resource, entries);
              });
    }

    private DescribeConfigsResponseData.DescribeConfigsResult broker(DescribeConfigsRequestData.DescribeConfigsResource resource) {
      String name = resource.resourceName();
      // An empty name asks for the cluster-wide broker defaults; Sluice's are this node's.
      if (name != null && !name.isEmpty()) {
        int id;
        try {
          id = Integer.parseInt(name.trim());
        } catch (NumberFormatException e) {
          return failed(resource, Errors.INVALID_REQUEST, "Broker id must be an integer, but it is: " + name);
        }
        if (id != context.nodeId()) {
          return failed(
              resource, Errors.INVALID_REQUEST,
              "Unexpected broker id, expected " + context.nodeId() + " or empty string, but received " + name);
        }
      }
      // Read-only: Sluice takes these from the node's configuration, not from AlterConfigs.
      List<Entry> entries =
          List.of(
              new Entry("auto.create.topics.enable", Boolean.toString(context.settings().autoCreateTopics()),
                  ConfigSource.STATIC_BROKER_CONFIG, ConfigType.BOOLEAN, true),
              new Entry("broker.id", Integer.toString(context.nodeId()), ConfigSource.STATIC_BROKER_CONFIG, ConfigType.INT, true),
              new Entry("log.retention.ms", Long.toString(TopicConfig.DEFAULT_RETENTION_MS), ConfigSource.DEFAULT_CONFIG,
                  ConfigType.LONG, true),
              new Entry("num.partitions", Integer.toString(context.settings().defaultPartitions()),
                  ConfigSource.STATIC_BROKER_CONFIG, ConfigType.INT, true));
      return described(resource, entries);
    }

    /** The entries asked for ({@code configuration_keys}; null: all), in name order. */
    private static DescribeConfigsResponseData.DescribeConfigsResult described(
        DescribeConfigsRequestData.DescribeConfigsResource resource, List<Entry> entries) {
      Set<String> wanted = resource.configurationKeys() == null ? null : new HashSet<>(resource.configurationKeys());
      List<DescribeConfigsResponseData.DescribeConfigsResourceResult> configs = new ArrayList<>();
      entries.stream()
          .filter(e -> wanted == null || wanted.contains(e.name()))
          .sorted(java.util.Comparator.comparing(Entry::name))
          .forEach(
              e ->
                  // config_type (v3+) is dropped by the encoder for older versions.
                  configs.add(
                      new DescribeConfigsResponseData.DescribeConfigsResourceResult()
                          .setName(e.name())
                          .setValue(e.value())
                          .setReadOnly(e.readOnly())
                          .setConfigSource(e.source().id())
                          .setIsSensitive(false)
                          .setConfigType(e.type().id())
                          .setDocumentation(null)));
      return new DescribeConfigsResponseData.DescribeConfigsResult()
          .setErrorCode(Errors.NONE.code())
          .setResourceType(resource.resourceType())
          .setResourceName(resource.resourceName())
          .setConfigs(configs);
    }

    private static DescribeConfigsResponseData.DescribeConfigsSynonym synonym(
        DescribeConfigsResponseData.DescribeConfigsResourceResult c) {
      return new DescribeConfigsResponseData.DescribeConfigsSynonym()
          .setName(c.name())
          .setValue(c.value())
          .setSource(c.configSource());
    }

    private static DescribeConfigsResponseData.DescribeConfigsResult failed(
        DescribeConfigsRequestData.DescribeConfigsResource resource, Errors error, String message) {
      return new DescribeConfigsResponseData.DescribeConfigsResult()
          .setErrorCode(error.code())
          .setErrorMessage(message)
          .setResourceType(resource.resourceType())
          .setResourceName(resource.resourceName());
    }
  }

  // ---- DescribeCluster -----------------------------------------------------------------------

  /**
   * DescribeCluster v0-2: this node as the only broker and the controller. Only the broker
   * endpoint type exists here: a request for controllers is answered MISMATCHED_ENDPOINT_TYPE,
   * an unknown type UNSUPPORTED_ENDPOINT_TYPE, as a Kafka broker answers them. No broker is ever
   * fenced, so {@code include_fenced_brokers} (v2) changes nothing.
   */
  public static final class DescribeCluster implements ApiHandler {
    private final GatewayContext context;

    public DescribeCluster(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.DESCRIBE_CLUSTER;
    }

    @Override
    public short minVersion() {
      return 0;
    }

    @Override
    public short maxVersion() {
      return 2;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      DescribeClusterRequestData req = request.bodyAs(DescribeClusterRequestData.class);
      byte endpointType = req.endpointType(); // v0 has no such field: it decodes as brokers (1)
      if (endpointType != ENDPOINT_BROKER) {
        // v0 cannot carry these codes (nor a non-broker endpoint type); Kafka answers INVALID_REQUEST there.
        Errors error =
            request.version() == 0
                ? Errors.INVALID_REQUEST
                : endpointType == ENDPOINT_CONTROLLER ? Errors.MISMATCHED_ENDPOINT_TYPE : Errors.UNSUPPORTED_ENDPOINT_TYPE;
        String message =
            endpointType == ENDPOINT_CONTROLLER
                ? "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER"
                : "Unsupported endpoint type " + endpointType;
        return done(Optional.of(new DescribeClusterResponseData().setErrorCode(error.code()).setErrorMessage(message)));
      }
      DescribeClusterResponseData resp =
          new DescribeClusterResponseData()
              .setEndpointType(ENDPOINT_BROKER)
              .setClusterId(context.clusterId())
              .setControllerId(context.metadataNode())
              // Integer.MIN_VALUE (the schema default) means "not asked for".
              .setClusterAuthorizedOperations(req.includeClusterAuthorizedOperations() ? 0 : Integer.MIN_VALUE);
      context.liveBrokers()
          .forEach(
              (id, hp) ->
                  resp.brokers()
                      .add(
                          new DescribeClusterResponseData.DescribeClusterBroker()
                              .setBrokerId(id)
                              .setHost(hp.host())
                              .setPort(hp.port())
                              .setRack(null)
                              .setIsFenced(false)));
      return done(Optional.of(resp));
    }
  }

  // ---- shared --------------------------------------------------------------------------------

  /**
   * Every topic by name, or empty when the registry did not answer in time (the callers answer
   * REQUEST_TIMED_OUT per item rather than failing the request).
   */
  private static CompletionStage<Optional<Map<String, TopicMetadata>>> listTopics(GatewayContext context) {
    return context
        .<TopicRegistry.TopicList>askRegistry(TopicRegistry.ListTopics::new)
        .handle(
            (list, err) -> {
              if (err != null || list.error() != TopicError.NONE) {
                LOG.warn("Topic registry did not list topics: {}", err != null ? err.toString() : list.message());
                return Optional.empty();
              }
              Map<String, TopicMetadata> byName = new HashMap<>();
              list.topics().forEach(t -> byName.put(t.name(), t));
              return Optional.of(byName);
            });
  }

  /** The values that occur more than once, in order of first occurrence. */
  private static <T> Set<T> duplicates(List<T> values) {
    Set<T> seen = new HashSet<>();
    Set<T> twice = new LinkedHashSet<>();
    for (T v : values) {
      if (!seen.add(v)) {
        twice.add(v);
      }
    }
    return twice;
  }

  /** All results in order; each future answers its own errors, so none fails. */
  private static <T> CompletableFuture<List<T>> allOf(List<CompletableFuture<T>> futures) {
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(v -> futures.stream().map(CompletableFuture::join).toList());
  }

  private static <T> CompletableFuture<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  private static String registryTimeout(GatewayContext context) {
    return "The topic registry did not answer within " + context.settings().adminTimeout().toMillis() + " ms.";
  }

  private static String messageOr(String message, TopicError error) {
    return message != null ? message : KafkaErrors.of(error).message();
  }
}
