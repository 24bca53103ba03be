package dev.sluice.engine.kafka;

import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.actors.registry.TopicRegistryState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * Moving partitions between nodes with Kafka's admin API (what {@code kafka-reassign-partitions}
 * and {@code Admin.alterPartitionReassignments} send). Sluice keeps one copy of each partition,
 * so a reassignment names exactly one node: the partition's log is copied there, the old copy is
 * fenced and the partition switches (see {@code PartitionReplica}).
 */
final class ReassignmentHandlers {
  private ReassignmentHandlers() {}

  /** AlterPartitionReassignments v0-1: start (or cancel, with null replicas) partition moves. */
  static final class Alter implements ApiHandler {
    private final GatewayContext context;

    Alter(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.ALTER_PARTITION_REASSIGNMENTS;
    }

    @Override
    public short minVersion() {
      return 0;
    }

    @Override
    public short maxVersion() {
      return 1;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      AlterPartitionReassignmentsRequestData req = request.bodyAs(AlterPartitionReassignmentsRequestData.class);
      List<TopicRegistry.ReassignmentRequest> moves = new ArrayList<>();
      for (AlterPartitionReassignmentsRequestData.ReassignableTopic t : req.topics()) {
        for (AlterPartitionReassignmentsRequestData.ReassignablePartition p : t.partitions()) {
          moves.add(new TopicRegistry.ReassignmentRequest(t.name(), p.partitionIndex(), p.replicas()));
        }
      }
      return context
          .<TopicRegistry.ReassignmentResults>askRegistry(r -> new TopicRegistry.AlterReassignments(moves, r))
          .handle(
              (results, err) -> {
                AlterPartitionReassignmentsResponseData resp = new AlterPartitionReassignmentsResponseData();
                Map<String, AlterPartitionReassignmentsResponseData.ReassignableTopicResponse> byTopic = new LinkedHashMap<>();
                for (int i = 0; i < moves.size(); i++) {
                  TopicRegistry.ReassignmentRequest m = moves.get(i);
                  Errors error;
                  String message;
                  if (err != null) {
                    error = KafkaErrors.ofFailure(err);
                    message = "the topic registry did not answer in time; the move may or may not have started";
                  } else {
                    TopicRegistry.ReassignmentOutcome o = results.outcomes().get(i);
                    error = KafkaErrors.of(o.error());
                    message = o.error() == TopicError.NONE ? null : o.message();
                  }
                  byTopic
                      .computeIfAbsent(m.topic(), n -> new AlterPartitionReassignmentsResponseData.ReassignableTopicResponse().setName(n))
                      .partitions()
                      .add(
                          new AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse()
                              .setPartitionIndex(m.partition())
                              .setErrorCode(error.code())
                              .setErrorMessage(message));
                }
                resp.responses().addAll(byTopic.values());
                return Optional.<ApiMessage>of(resp);
              });
    }
  }

  /** ListPartitionReassignments v0: the moves in progress, as replicas / adding / removing. */
  static final class ListMoves implements ApiHandler {
    private final GatewayContext context;

    ListMoves(GatewayContext context) {
      this.context = context;
    }

    @Override
    public ApiKeys apiKey() {
      return ApiKeys.LIST_PARTITION_REASSIGNMENTS;
    }

    @Override
    public short minVersion() {
      return 0;
    }

    @Override
    public short maxVersion() {
      return 0;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      ListPartitionReassignmentsRequestData req = request.bodyAs(ListPartitionReassignmentsRequestData.class);
      Map<String, Set<Integer>> wanted = null;
      if (req.topics() != null) {
        wanted = new LinkedHashMap<>();
        for (ListPartitionReassignmentsRequestData.ListPartitionReassignmentsTopics t : req.topics()) {
          wanted.computeIfAbsent(t.name(), n -> new java.util.HashSet<>()).addAll(t.partitionIndexes());
        }
      }
      Map<String, Set<Integer>> filter = wanted;
      return context
          .<TopicRegistry.ReassignmentList>askRegistry(TopicRegistry.ListReassignments::new)
          .handle(
              (list, err) -> {
                ListPartitionReassignmentsResponseData resp = new ListPartitionReassignmentsResponseData();
                if (err != null) {
                  Errors e = KafkaErrors.ofFailure(err);
                  return Optional.<ApiMessage>of(resp.setErrorCode(e.code()).setErrorMessage("the topic registry did not answer in time"));
                }
                Map<String, ListPartitionReassignmentsResponseData.OngoingTopicReassignment> byTopic = new LinkedHashMap<>();
                for (TopicRegistryState.Reassignment r : list.reassignments()) {
                  if (filter != null && !filter.getOrDefault(r.topic(), Set.of()).contains(r.partition())) {
                    continue;
                  }
                  List<Integer> removing = r.fromNode() >= 0 ? List.of(r.fromNode()) : List.of();
                  List<Integer> replicas = new ArrayList<>(removing);
                  replicas.add(r.toNode());
                  byTopic
                      .computeIfAbsent(r.topic(), n -> new ListPartitionReassignmentsResponseData.OngoingTopicReassignment().setName(n))
                      .partitions()
                      .add(
                          new ListPartitionReassignmentsResponseData.OngoingPartitionReassignment()
                              .setPartitionIndex(r.partition())
                              .setReplicas(replicas)
                              .setAddingReplicas(List.of(r.toNode()))
                              .setRemovingReplicas(removing));
                }
                resp.topics().addAll(byTopic.values());
                return Optional.<ApiMessage>of(resp);
              });
    }
  }
}
