package dev.sluice.engine.kafka;

import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicMetadata;
import dev.sluice.actors.registry.TopicNames;
import dev.sluice.actors.registry.TopicRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * Metadata: every live node's gateway as a broker; each partition led by the node that holds its
 * log (no leader, LEADER_NOT_AVAILABLE, while that node is down); all
 * topics or the requested ones, with stable topic ids. A requested topic that does not exist is
 * created when the client allows it and {@code sluice.kafka.auto-create-topics} is on (Kafka's
 * {@code auto.create.topics.enable}), with {@code sluice.kafka.num-partitions} partitions.
 */
final class MetadataHandler implements ApiHandler {
  private final GatewayContext context;

  MetadataHandler(GatewayContext context) {
    this.context = context;
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.METADATA;
  }

  /** How long Metadata waits for the registry before it answers from the last topic list seen (if any). */
  private static final java.time.Duration REGISTRY_WAIT = java.time.Duration.ofSeconds(3);

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    MetadataRequestData req = request.bodyAs(MetadataRequestData.class);
    boolean all = req.topics() == null || (request.version() == 0 && req.topics().isEmpty());
    boolean autoCreate = (request.version() < 4 || req.allowAutoTopicCreation()) && context.settings().autoCreateTopics();
    // Like a Kafka broker's metadata cache: while the registry does not answer (it is being
    // restarted on another node after a node failure), the topic table last seen is served.
    java.time.Duration wait = context.placement().lastList() == null ? context.settings().adminTimeout() : REGISTRY_WAIT;
    return context
        .<TopicRegistry.TopicList>askRegistry(TopicRegistry.ListTopics::new, wait)
        .thenApply(
            l -> {
              context.placement().rememberAll(l.topics());
              return l.topics();
            })
        .exceptionally(
            err -> {
              List<TopicMetadata> known = context.placement().lastList();
              if (known == null) {
                throw new java.util.concurrent.CompletionException(err);
              }
              return known;
            })
        .thenComposeAsync(
            listed -> {
              Map<String, TopicMetadata> byName = new HashMap<>();
              Map<Uuid, TopicMetadata> byId = new HashMap<>();
              for (TopicMetadata t : listed) {
                byName.put(t.name(), t);
                byId.put(GatewayContext.kafkaUuid(t.topicId()), t);
              }
              if (all) {
                MetadataResponseData resp = base();
                for (TopicMetadata t : listed) {
                  resp.topics().add(topic(t));
                }
                return CompletableFuture.completedFuture(resp);
              }
              List<CompletableFuture<MetadataResponseData.MetadataResponseTopic>> topics = new ArrayList<>();
              for (MetadataRequestData.MetadataRequestTopic rt : req.topics()) {
                topics.add(resolve(rt, byName, byId, autoCreate).toCompletableFuture());
              }
              return CompletableFuture.allOf(topics.toArray(CompletableFuture[]::new))
                  .thenApply(
                      v -> {
                        MetadataResponseData resp = base();
                        for (CompletableFuture<MetadataResponseData.MetadataResponseTopic> t : topics) {
                          MetadataResponseData.MetadataResponseTopic topic = t.join();
                          if (topic.name() == null || resp.topics().find(topic.name()) == null) {
                            resp.topics().add(topic);
                          }
                        }
                        return resp;
                      });
            },
            context.executor())
        .handle(
            (resp, err) ->
                Optional.<ApiMessage>of(err == null ? resp : base().setErrorCode(Errors.REQUEST_TIMED_OUT.code())));
  }

  private CompletionStage<MetadataResponseData.MetadataResponseTopic> resolve(
      MetadataRequestData.MetadataRequestTopic rt, Map<String, TopicMetadata> byName, Map<Uuid, TopicMetadata> byId, boolean autoCreate) {
    if (rt.name() == null) {
      TopicMetadata t = byId.get(rt.topicId());
      return CompletableFuture.completedFuture(
          t != null ? topic(t) : error(null, Errors.UNKNOWN_TOPIC_ID).setTopicId(rt.topicId()));
    }
    TopicMetadata known = byName.get(rt.name());
    if (known != null) {
      return CompletableFuture.completedFuture(topic(known));
    }
    if (TopicNames.problem(rt.name()) != null) {
      return CompletableFuture.completedFuture(error(rt.name(), Errors.INVALID_TOPIC_EXCEPTION));
    }
    if (!autoCreate) {
      return CompletableFuture.completedFuture(error(rt.name(), Errors.UNKNOWN_TOPIC_OR_PARTITION));
    }
    return context
        .<TopicRegistry.TopicResult>askRegistry(
            r -> new TopicRegistry.CreateTopic(rt.name(), context.settings().defaultPartitions(), Map.of(), r))
        .thenCompose(
            created -> {
              if (created.error() == TopicError.NONE) {
                return CompletableFuture.completedFuture(topic(created.topic()));
              }
              if (created.error() == TopicError.TOPIC_ALREADY_EXISTS) { // created concurrently
                return context
                    .<TopicRegistry.TopicResult>askRegistry(r -> new TopicRegistry.DescribeTopic(rt.name(), r))
                    .thenApply(d -> d.error() == TopicError.NONE ? topic(d.topic()) : error(rt.name(), Errors.LEADER_NOT_AVAILABLE));
              }
              // the partitions are still being created: the client retries
              return CompletableFuture.completedFuture(
                  error(rt.name(), created.error() == TopicError.REQUEST_TIMED_OUT ? Errors.LEADER_NOT_AVAILABLE : KafkaErrors.of(created.error())));
            })
        .exceptionally(e -> error(rt.name(), Errors.LEADER_NOT_AVAILABLE));
  }

  private MetadataResponseData base() {
    MetadataResponseData resp =
        new MetadataResponseData().setClusterId(context.clusterId()).setControllerId(context.metadataNode());
    context.liveBrokers()
        .forEach(
            (id, hp) ->
                resp.brokers().add(new MetadataResponseData.MetadataResponseBroker().setNodeId(id).setHost(hp.host()).setPort(hp.port())));
    return resp;
  }

  private MetadataResponseData.MetadataResponseTopic topic(TopicMetadata t) {
    MetadataResponseData.MetadataResponseTopic topic =
        new MetadataResponseData.MetadataResponseTopic()
            .setName(t.name())
            .setTopicId(GatewayContext.kafkaUuid(t.topicId()))
            .setIsInternal(false);
    java.util.Set<Integer> live = context.liveBrokers().keySet();
    for (int p = 0; p < t.partitions(); p++) {
      int node = t.nodeOf(p) < 0 ? context.nodeId() : t.nodeOf(p);
      List<Integer> replicas = List.of(node);
      boolean up = live.contains(node);
      // a partition whose node is down has no leader: clients wait and ask again
      topic.partitions()
          .add(
              new MetadataResponseData.MetadataResponsePartition()
                  .setErrorCode(up ? Errors.NONE.code() : Errors.LEADER_NOT_AVAILABLE.code())
                  .setPartitionIndex(p)
                  .setLeaderId(up ? node : -1)
                  .setLeaderEpoch(0)
                  .setReplicaNodes(replicas)
                  .setIsrNodes(up ? replicas : List.of())
                  .setOfflineReplicas(up ? List.of() : replicas));
    }
    return topic;
  }

  private static MetadataResponseData.MetadataResponseTopic error(String name, Errors error) {
    return new MetadataResponseData.MetadataResponseTopic().setName(name).setErrorCode(error.code());
  }
}
