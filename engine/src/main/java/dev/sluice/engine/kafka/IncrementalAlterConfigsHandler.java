package dev.sluice.engine.kafka;

import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicNames;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.actors.registry.TopicRegistryState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.clients.admin.AlterConfigOp.OpType;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * IncrementalAlterConfigs v0-1 (what {@code kafka-configs.sh --alter} and
 * {@code Admin.incrementalAlterConfigs} send; {@code kafka-reassign-partitions --verify} sends it
 * to clear replication throttles).
 *
 * <ul>
 *   <li><b>Topics</b>: SET and DELETE change the settings the topic registry stores
 *       ({@link TopicRegistry.AlterTopicConfig}; DELETE resets a setting to its default), with the
 *       registry's checks. APPEND and SUBTRACT are refused (INVALID_REQUEST): Sluice's topic
 *       settings hold single values. Kafka's replication-throttle settings
 *       ({@value #LEADER_THROTTLED_REPLICAS}, {@value #FOLLOWER_THROTTLED_REPLICAS}) are never
 *       set in Sluice, which does not throttle partition copies: deleting them changes nothing
 *       and is accepted, setting them is INVALID_CONFIG.
 *   <li><b>Brokers</b> (a node id, or empty for the cluster default): a node's settings come
 *       from its configuration file and do not change at runtime. Deleting a replication
 *       throttle ({@link #BROKER_THROTTLES}) is accepted and changes nothing; anything else is
 *       refused (INVALID_CONFIG, APPEND/SUBTRACT INVALID_REQUEST).
 *   <li>Other resource types are INVALID_REQUEST.
 * </ul>
 *
 * <p>Each resource is changed all or nothing and answered on its own, in request order: a
 * refused operation fails its resource only. With {@code validate_only} nothing changes: a
 * topic's changes are checked against its current settings (one DescribeTopic) with the same
 * check the registry applies ({@link TopicRegistryState#altered}), and the answer says whether
 * they would have been accepted.
 */
final class IncrementalAlterConfigsHandler implements ApiHandler {
  /** Kafka's {@code resource_type} codes (org.apache.kafka.common.resource.ResourceType). */
  private static final byte RESOURCE_TOPIC = 2;
  private static final byte RESOURCE_BROKER = 4;

  static final String LEADER_THROTTLED_REPLICAS = "leader.replication.throttled.replicas";
  static final String FOLLOWER_THROTTLED_REPLICAS = "follower.replication.throttled.replicas";
  /** Kafka's per-topic lists of throttled replicas (QuotaConfig); never set in Sluice. */
  static final Set<String> TOPIC_THROTTLES = Set.of(LEADER_THROTTLED_REPLICAS, FOLLOWER_THROTTLED_REPLICAS);
  /** Kafka's per-broker replication throttle rates (QuotaConfig); never set in Sluice. */
  static final Set<String> BROKER_THROTTLES =
      Set.of(
          "leader.replication.throttled.rate",
          "follower.replication.throttled.rate",
          "replica.alter.log.dirs.io.max.bytes.per.second");

  private static final String NO_THROTTLING = "Sluice does not throttle partition copies";
  private static final String STATIC_BROKER_SETTINGS =
      "broker settings are static in Sluice: they come from the node's configuration file and do not change at runtime";

  private final GatewayContext context;

  IncrementalAlterConfigsHandler(GatewayContext context) {
    this.context = context;
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.INCREMENTAL_ALTER_CONFIGS;
  }

  @Override
  public short minVersion() {
    return 0;
  }

  @Override
  public short maxVersion() {
    return 1;
  }

  /** A resource's outcome: NONE with a null message, or the error that refused it. */
  private record Outcome(Errors error, String message) {
    static final Outcome OK = new Outcome(Errors.NONE, null);
  }

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    IncrementalAlterConfigsRequestData req = request.bodyAs(IncrementalAlterConfigsRequestData.class);
    // Kafka changes nothing of a resource named twice and answers each occurrence INVALID_REQUEST.
    Set<String> seen = new HashSet<>();
    Set<String> twice = new HashSet<>();
    for (AlterConfigsResource r : req.resources()) {
      if (!seen.add(key(r))) {
        twice.add(key(r));
      }
    }
    List<CompletableFuture<AlterConfigsResourceResponse>> results = new ArrayList<>();
    for (AlterConfigsResource resource : req.resources()) {
      CompletionStage<Outcome> outcome;
      if (twice.contains(key(resource))) {
        outcome = done(new Outcome(Errors.INVALID_REQUEST, "Each resource may appear at most once in a request."));
      } else {
        outcome =
            switch (resource.resourceType()) {
              case RESOURCE_TOPIC -> topic(resource, req.validateOnly());
              case RESOURCE_BROKER -> done(broker(resource));
              default -> done(
                  new Outcome(
                      Errors.INVALID_REQUEST,
                      "unsupported resource type " + resource.resourceType()
                          + ": Sluice alters the configs of topics (2); broker (4) settings are static"));
            };
      }
      results.add(
          outcome
              .thenApply(
                  o ->
                      new AlterConfigsResourceResponse()
                          .setResourceType(resource.resourceType())
                          .setResourceName(resource.resourceName())
                          .setErrorCode(o.error().code())
                          .setErrorMessage(o.message()))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              IncrementalAlterConfigsResponseData resp = new IncrementalAlterConfigsResponseData();
              results.forEach(f -> resp.responses().add(f.join()));
              return Optional.<ApiMessage>of(resp);
            });
  }

  // ---- topics --------------------------------------------------------------------------------

  private CompletionStage<Outcome> topic(AlterConfigsResource resource, boolean validateOnly) {
    String name = resource.resourceName();
    String problem = TopicNames.problem(name);
    if (problem != null) {
      return done(new Outcome(Errors.INVALID_TOPIC_EXCEPTION, problem));
    }
    Outcome duplicate = duplicateKeys(resource);
    if (duplicate != null) {
      return done(duplicate);
    }
    // setting -> new value; null resets it to its default (what AlterTopicConfig takes)
    Map<String, String> changes = new LinkedHashMap<>();
    for (AlterableConfig c : resource.configs()) {
      OpType op = OpType.forId(c.configOperation());
      if (op == null) {
        return done(unknownOperation(c));
      }
      if (op == OpType.APPEND || op == OpType.SUBTRACT) {
        return done(
            new Outcome(
                Errors.INVALID_REQUEST,
                op + " of " + c.name() + " is not supported: Sluice's topic settings hold single values, use SET or DELETE"));
      }
      if (TOPIC_THROTTLES.contains(c.name())) {
        if (op == OpType.SET) {
          return done(
              new Outcome(
                  Errors.INVALID_CONFIG,
                  NO_THROTTLING + ": " + c.name() + " cannot be set (deleting it is accepted and changes nothing)"));
        }
        continue; // DELETE: never set, so already gone
      }
      if (op == OpType.SET && c.value() == null) {
        return done(new Outcome(Errors.INVALID_REQUEST, "SET of " + c.name() + " needs a value (DELETE resets it to its default)"));
      }
      changes.put(c.name(), op == OpType.SET ? c.value() : null);
    }
    return validateOnly ? validate(name, changes) : alter(name, changes);
  }

  /**
   * Even with nothing left to change (only throttle deletions) the registry is asked, so that a
   * topic that does not exist is answered UNKNOWN_TOPIC_OR_PARTITION as Kafka answers it.
   */
  private CompletionStage<Outcome> alter(String name, Map<String, String> changes) {
    return context
        .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.AlterTopicConfig(name, changes, r))
        .handle(
            (result, err) -> {
              if (err != null) {
                return new Outcome(
                    KafkaErrors.ofFailure(err),
                    "The topic registry did not answer within " + context.settings().adminTimeout().toMillis()
                        + " ms; the change may or may not have been made.");
              }
              return fromRegistry(result);
            });
  }

  private CompletionStage<Outcome> validate(String name, Map<String, String> changes) {
    return context
        .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.DescribeTopic(name, r))
        .handle(
            (described, err) -> {
              if (err != null) {
                return new Outcome(KafkaErrors.ofFailure(err), registryTimeout());
              }
              if (described.error() != TopicError.NONE) {
                return fromRegistry(described);
              }
              try {
                TopicRegistryState.altered(described.topic().config(), changes);
                return Outcome.OK;
              } catch (IllegalArgumentException e) { // TopicConfig.InvalidConfigException
                return new Outcome(Errors.INVALID_CONFIG, e.getMessage());
              }
            });
  }

  private static Outcome fromRegistry(TopicRegistry.TopicResult result) {
    if (result.error() == TopicError.NONE) {
      return Outcome.OK;
    }
    Errors error = KafkaErrors.of(result.error());
    return new Outcome(error, result.message() != null ? result.message() : error.message());
  }

  // ---- brokers -------------------------------------------------------------------------------

  private Outcome broker(AlterConfigsResource resource) {
    String name = resource.resourceName();
    // An empty name is the cluster-wide default; a node id must be this node's (the admin client
    // sends a broker's changes to that broker), as Kafka checks it.
    if (name != null && !name.isEmpty()) {
      int id;
      try {
        id = Integer.parseInt(name.trim());
      } catch (NumberFormatException e) {
        return new Outcome(Errors.INVALID_REQUEST, "Broker id must be an integer, but it is: " + name);
      }
      if (id != context.nodeId()) {
        return new Outcome(
            Errors.INVALID_REQUEST, "Unexpected broker id, expected " + context.nodeId() + " or empty string, but received " + name);
      }
    }
    Outcome duplicate = duplicateKeys(resource);
    if (duplicate != null) {
      return duplicate;
    }
    for (AlterableConfig c : resource.configs()) {
      OpType op = OpType.forId(c.configOperation());
      if (op == null) {
        return unknownOperation(c);
      }
      boolean throttle = BROKER_THROTTLES.contains(c.name());
      if (op == OpType.DELETE && throttle) {
        continue; // never set, so already gone
      }
      if (op == OpType.APPEND || op == OpType.SUBTRACT) {
        return new Outcome(Errors.INVALID_REQUEST, op + " of " + c.name() + " is not supported: " + STATIC_BROKER_SETTINGS);
      }
      if (throttle) {
        return new Outcome(Errors.INVALID_CONFIG, NO_THROTTLING + ": " + c.name() + " cannot be set (deleting it is accepted and changes nothing)");
      }
      return new Outcome(
          Errors.INVALID_CONFIG,
          c.name() + " cannot be " + (op == OpType.SET ? "set" : "deleted") + ": " + STATIC_BROKER_SETTINGS);
    }
    return Outcome.OK;
  }

  // ---- shared --------------------------------------------------------------------------------

  /** Kafka refuses a resource that names a setting twice (e.g. SET and DELETE of one key). */
  private static Outcome duplicateKeys(AlterConfigsResource resource) {
    Set<String> names = new HashSet<>();
    for (AlterableConfig c : resource.configs()) {
      if (!names.add(c.name())) {
        return new Outcome(Errors.INVALID_REQUEST, "Error due to duplicate config keys: " + c.name() + " appears more than once.");
      }
    }
    return null;
  }

  private static Outcome unknownOperation(AlterableConfig c) {
    return new Outcome(Errors.INVALID_REQUEST, "Unknown config operation " + c.configOperation() + " for " + c.name());
  }

  private static String key(AlterConfigsResource r) {
    return r.resourceType() + "/" + r.resourceName();
  }

  private String registryTimeout() {
    return "The topic registry did not answer within " + context.settings().adminTimeout().toMillis() + " ms.";
  }

  private static <T> CompletableFuture<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
