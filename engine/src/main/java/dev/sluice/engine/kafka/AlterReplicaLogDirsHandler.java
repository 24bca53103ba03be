package dev.sluice.engine.kafka;

import dev.sluice.actors.cluster.SluiceMembers;
import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicMetadata;
import dev.sluice.actors.registry.TopicRegistry;
import dev.sluice.actors.registry.TopicRegistryState;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData;
import org.apache.kafka.common.message.AlterReplicaLogDirsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * AlterReplicaLogDirs v1-2, as far as a node with one log dir can honour it:
 * {@code kafka-reassign-partitions --execute} sends it for the {@code log_dirs} of its JSON
 * (the rollback JSON it prints names each partition's current dir). A node's only log dir is
 * its journal directory (see {@link DescribeLogDirsHandler}):
 *
 * <ul>
 *   <li>another path: LOG_DIR_NOT_FOUND;
 *   <li>a partition that lives here: NONE (it is in that dir already);
 *   <li>a partition moving here, or living elsewhere: REPLICA_NOT_AVAILABLE, which the tool
 *       retries until the move has completed (its {@code --timeout});
 *   <li>an unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION.
 * </ul>
 */
final class AlterReplicaLogDirsHandler implements ApiHandler {
  private final GatewayContext context;
  private final Path logDir;

  AlterReplicaLogDirsHandler(GatewayContext context) {
    this.context = context;
    this.logDir =
        Path.of(context.system().settings().config().getString("sluice.persistence.journal.dir")).toAbsolutePath().normalize();
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.ALTER_REPLICA_LOG_DIRS;
  }

  @Override
  public short minVersion() {
    return 1;
  }

  @Override
  public short maxVersion() {
    return 2;
  }

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    AlterReplicaLogDirsRequestData req = request.bodyAs(AlterReplicaLogDirsRequestData.class);
    return context
        .<TopicRegistry.TopicList>askRegistry(TopicRegistry.ListTopics::new)
        .thenCombine(
            context.<TopicRegistry.ReassignmentList>askRegistry(TopicRegistry.ListReassignments::new),
            (list, moves) -> {
              Map<String, TopicMetadata> topics = new HashMap<>();
              list.topics().forEach(t -> topics.put(t.name(), t));
              Map<String, TopicRegistryState.Reassignment> moving = new HashMap<>();
              moves.reassignments().forEach(m -> moving.put(m.key(), m));
              AlterReplicaLogDirsResponseData resp = new AlterReplicaLogDirsResponseData();
              Map<String, AlterReplicaLogDirsResponseData.AlterReplicaLogDirTopicResult> byTopic = new java.util.LinkedHashMap<>();
              for (AlterReplicaLogDirsRequestData.AlterReplicaLogDir dir : req.dirs()) {
                boolean ours = samePath(dir.path());
                for (AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic t : dir.topics()) {
                  for (int p : t.partitions()) {
                    Errors error = ours ? errorFor(topics.get(t.name()), moving, t.name(), p) : Errors.LOG_DIR_NOT_FOUND;
                    byTopic
                        .computeIfAbsent(t.name(), n -> new AlterReplicaLogDirsResponseData.AlterReplicaLogDirTopicResult().setTopicName(n))
                        .partitions()
                        .add(new AlterReplicaLogDirsResponseData.AlterReplicaLogDirPartitionResult().setPartitionIndex(p).setErrorCode(error.code()));
                  }
                }
              }
              resp.results().addAll(byTopic.values());
              return Optional.<ApiMessage>of(resp);
            })
        .exceptionally(err -> Optional.of(failed(req, Errors.REQUEST_TIMED_OUT)));
  }

  private boolean samePath(String path) {
    try {
      return path != null && Path.of(path).toAbsolutePath().normalize().equals(logDir);
    } catch (java.nio.file.InvalidPathException e) {
      return false;
    }
  }

  private Errors errorFor(TopicMetadata t, Map<String, TopicRegistryState.Reassignment> moving, String topic, int partition) {
    if (t == null || t.name() == null || partition < 0 || partition >= t.partitions()) {
      return Errors.UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (moving.containsKey(TopicRegistryState.Reassignment.key(topic, partition))) {
      return Errors.REPLICA_NOT_AVAILABLE;
    }
    int node = t.nodeOf(partition);
    boolean here = node == context.nodeId() || (node < 0 && SluiceMembers.standalone(context.system()));
    return here ? Errors.NONE : Errors.REPLICA_NOT_AVAILABLE;
  }

  private static AlterReplicaLogDirsResponseData failed(AlterReplicaLogDirsRequestData req, Errors error) {
    AlterReplicaLogDirsResponseData resp = new AlterReplicaLogDirsResponseData();
    for (AlterReplicaLogDirsRequestData.AlterReplicaLogDir dir : req.dirs()) {
      for (AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic t : dir.topics()) {
        AlterReplicaLogDirsResponseData.AlterReplicaLogDirTopicResult r =
            new AlterReplicaLogDirsResponseData.AlterReplicaLogDirTopicResult().setTopicName(t.name());
        for (int p : t.partitions()) {
          r.partitions().add(new AlterReplicaLogDirsResponseData.AlterReplicaLogDirPartitionResult().setPartitionIndex(p).setErrorCode(error.code()));
        }
        resp.results().add(r);
      }
    }
    return resp;
  }
}
