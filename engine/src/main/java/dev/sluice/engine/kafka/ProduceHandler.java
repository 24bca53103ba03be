package dev.sluice.engine.kafka;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Produce: each partition's record batch goes, as sent, to its partition entity, which
 * validates it (size, CRC, structure), deduplicates idempotent retries and assigns offsets.
 * {@code acks=1} and {@code acks=all} are answered once the batch is in the journal (one
 * replica: the leader's write is the whole in-sync set); {@code acks=0} gets no response.
 *
 * <p>Served up to v12: v13 addresses topics by id only, so advertising v12 keeps clients on
 * topic names (they fall back as the protocol notes describe).
 */
final class ProduceHandler implements ApiHandler {
  private final GatewayContext context;

  ProduceHandler(GatewayContext context) {
    this.context = context;
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.PRODUCE;
  }

  @Override
  public short maxVersion() {
    return 12;
  }

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    ProduceRequestData req = request.bodyAs(ProduceRequestData.class);
    Duration timeout = Duration.ofMillis(Math.max(1000, req.timeoutMs()));
    ProduceResponseData resp = new ProduceResponseData();
    List<CompletableFuture<?>> pending = new ArrayList<>();
    for (ProduceRequestData.TopicProduceData topic : req.topicData()) {
      ProduceResponseData.TopicProduceResponse topicResp = new ProduceResponseData.TopicProduceResponse().setName(topic.name());
      resp.responses().add(topicResp);
      for (ProduceRequestData.PartitionProduceData pd : topic.partitionData()) {
        ProduceResponseData.PartitionProduceResponse partResp =
            new ProduceResponseData.PartitionProduceResponse().setIndex(pd.index()).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
        topicResp.partitionResponses().add(partResp);
        if (req.transactionalId() != null) {
          partResp.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("transactions are not supported by Sluice");
          continue;
        }
        if (!(pd.records() instanceof MemoryRecords records) || records.sizeInBytes() == 0) {
          partResp.setErrorCode(Errors.INVALID_RECORD.code()).setErrorMessage("no record batch");
          continue;
        }
        byte[] batch = new byte[records.sizeInBytes()];
        ByteBuffer buf = records.buffer().duplicate();
        buf.get(batch);
        if (req.acks() == 0) {
          int node = context.placement().nodeOf(topic.name(), pd.index());
          if (node < 0 || node == context.nodeId()) {
            context.partition(topic.name(), pd.index()).tell(new PartitionEntity.Append(batch, context.system().ignoreRef()));
          }
          continue;
        }
        pending.add(
            context
                .<PartitionEntity.AppendResult>askPartition(
                    topic.name(), pd.index(), (ActorRef<PartitionEntity.AppendResult> r) -> new PartitionEntity.Append(batch, r), timeout)
                .handle(
                    (r, err) -> {
                      if (GatewayContext.isNotLeader(err)) {
                        partResp.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code()).setErrorMessage(err.getMessage());
                      } else if (GatewayContext.isUnknown(err)) {
                        partResp.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                      } else if (err != null) {
                        partResp.setErrorCode(Errors.REQUEST_TIMED_OUT.code()).setErrorMessage("append timed out");
                      } else if (r.error() != PartitionError.NONE) {
                        partResp.setErrorCode(KafkaErrors.of(r.error()).code()).setErrorMessage(r.message());
                      } else {
                        partResp.setBaseOffset(r.baseOffset()).setLogAppendTimeMs(r.logAppendTime()).setLogStartOffset(r.logStartOffset());
                      }
                      return null;
                    })
                .toCompletableFuture());
      }
    }
    if (req.acks() == 0) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(v -> Optional.of(resp));
  }
}
