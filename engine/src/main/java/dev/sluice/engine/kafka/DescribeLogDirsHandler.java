package dev.sluice.engine.kafka;

import dev.sluice.actors.cluster.SluiceMembers;
import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.actors.registry.TopicError;
import dev.sluice.actors.registry.TopicMetadata;
import dev.sluice.actors.registry.TopicRegistry;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DescribeLogDirs v1-4 (what {@code kafka-log-dirs.sh}, {@code Admin.describeLogDirs} and
 * {@code Admin.describeReplicaLogDirs} send; {@code kafka-reassign-partitions --execute} uses it
 * to print the current assignment).
 *
 * <p>A node has one log dir: its journal directory ({@code sluice.persistence.journal.dir}, as an
 * absolute path), holding the partitions the topic registry places on this node. Partitions of a
 * topic that predates placement live on the node of a single-node cluster, so only such a node
 * reports them. Each partition's size is what its entity reports ({@code sizeInBytes}: the record
 * batches it holds); its offset lag is 0 (a partition has one copy, its log is the current one)
 * and none is a "future" log. Total and usable bytes (v4) are those of the directory's file
 * system, -1 if it cannot be read. The request's topic filter is honoured (null: every topic); a
 * topic or partition that does not exist, or is not on this node, is left out, as Kafka leaves it
 * out.
 *
 * <p>Not reported: the copy of a partition that is being moved to this node (it is not the
 * partition's log until the move completes). A partition that does not answer within
 * {@code sluice.kafka.admin-timeout} is left out, with a warning in the log. A topic registry
 * that does not answer makes the whole response REQUEST_TIMED_OUT (the top-level error, v3+).
 */
final class DescribeLogDirsHandler implements ApiHandler {
  private static final Logger LOG = LoggerFactory.getLogger(DescribeLogDirsHandler.class);

  /** Partitions asked for their size at once: bounds the entities woken (and recovered) at a time. */
  private static final int DESCRIBE_PARALLELISM = 16;

  private final GatewayContext context;
  private final Path logDir;

  DescribeLogDirsHandler(GatewayContext context) {
    this.context = context;
    this.logDir =
        Path.of(context.system().settings().config().getString("sluice.persistence.journal.dir")).toAbsolutePath().normalize();
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.DESCRIBE_LOG_DIRS;
  }

  @Override
  public short minVersion() {
    return 1;
  }

  @Override
  public short maxVersion() {
    return 4;
  }

  private record PartitionSize(String topic, int partition, long sizeInBytes) {}

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    DescribeLogDirsRequestData req = request.bodyAs(DescribeLogDirsRequestData.class);
    Map<String, Set<Integer>> filter = null;
    if (req.topics() != null) {
      filter = new LinkedHashMap<>();
      for (DescribeLogDirsRequestData.DescribableLogDirTopic t : req.topics()) {
        filter.computeIfAbsent(t.topic(), n -> new HashSet<>()).addAll(t.partitions());
      }
    }
    Map<String, Set<Integer>> wanted = filter;
    return context
        .<TopicRegistry.TopicList>askRegistry(TopicRegistry.ListTopics::new)
        .handle(
            (list, err) -> {
              if (err != null || list.error() != TopicError.NONE) {
                LOG.warn("DescribeLogDirs: the topic registry did not list topics: {}", err != null ? err.toString() : list.message());
                return null;
              }
              context.placement().rememberAll(list.topics());
              return localPartitions(list.topics(), wanted);
            })
        .thenCompose(
            partitions -> {
              if (partitions == null) {
                return CompletableFuture.completedFuture(
                    Optional.<ApiMessage>of(new DescribeLogDirsResponseData().setErrorCode(Errors.REQUEST_TIMED_OUT.code())));
              }
              return sizes(partitions).thenApply(sizes -> Optional.<ApiMessage>of(response(sizes)));
            });
  }

  /** The partitions whose log is on this node, among those asked for, by topic name then number. */
  private List<PartitionSize> localPartitions(List<TopicMetadata> topics, Map<String, Set<Integer>> wanted) {
    boolean alone = SluiceMembers.standalone(context.system());
    List<PartitionSize> here = new ArrayList<>();
    for (TopicMetadata t : topics) {
      Set<Integer> asked = wanted == null ? null : wanted.get(t.name());
      if (wanted != null && asked == null) {
        continue;
      }
      for (int p = 0; p < t.partitions(); p++) {
        int node = t.nodeOf(p);
        boolean local = node == context.nodeId() || (node < 0 && alone);
        if (local && (asked == null || asked.contains(p))) {
          here.add(new PartitionSize(t.name(), p, 0));
        }
      }
    }
    return here;
  }

  /** Each partition's size from its entity, a bounded number at a time; those that fail are left out. */
  private CompletionStage<List<PartitionSize>> sizes(List<PartitionSize> partitions) {
    return Source.from(partitions)
        .mapAsync(
            DESCRIBE_PARALLELISM,
            p ->
                context
                    .<PartitionEntity.PartitionInfo>askPartition(
                        p.topic(), p.partition(), PartitionEntity.Describe::new, context.settings().adminTimeout())
                    .handle(
                        (info, err) -> {
                          if (err != null) {
                            if (!GatewayContext.isUnknown(err)) {
                              LOG.warn("DescribeLogDirs leaves out {}-{}: {}", p.topic(), p.partition(), err.toString());
                            }
                            return Optional.<PartitionSize>empty();
                          }
                          if (info.error() != PartitionError.NONE) {
                            return Optional.<PartitionSize>empty(); // created or deleted just now
                          }
                          return Optional.of(new PartitionSize(p.topic(), p.partition(), info.sizeInBytes()));
                        }))
        .filter(Optional::isPresent)
        .map(Optional::get)
        .runWith(Sink.seq(), context.system());
  }

  private DescribeLogDirsResponseData response(List<PartitionSize> sizes) {
    Map<String, DescribeLogDirsResponseData.DescribeLogDirsTopic> byTopic = new LinkedHashMap<>();
    for (PartitionSize s : sizes) {
      byTopic
          .computeIfAbsent(s.topic(), n -> new DescribeLogDirsResponseData.DescribeLogDirsTopic().setName(n))
          .partitions()
          .add(
              new DescribeLogDirsResponseData.DescribeLogDirsPartition()
                  .setPartitionIndex(s.partition())
                  .setPartitionSize(s.sizeInBytes())
                  .setOffsetLag(0)
                  .setIsFutureKey(false));
    }
    long total = -1;
    long usable = -1;
    try {
      FileStore store = Files.getFileStore(logDir);
      total = store.getTotalSpace();
      usable = store.getUsableSpace();
    } catch (IOException | SecurityException e) {
      LOG.debug("Cannot read the file system of {}: {}", logDir, e.toString());
    }
    // total/usable bytes (v4) are dropped by the encoder for older versions
    DescribeLogDirsResponseData.DescribeLogDirsResult dir =
        new DescribeLogDirsResponseData.DescribeLogDirsResult()
            .setErrorCode(Errors.NONE.code())
            .setLogDir(logDir.toString())
            .setTopics(new ArrayList<>(byTopic.values()))
            .setTotalBytes(total)
            .setUsableBytes(usable);
    return new DescribeLogDirsResponseData().setErrorCode(Errors.NONE.code()).setResults(new ArrayList<>(List.of(dir)));
  }
}
