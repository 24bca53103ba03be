package dev.sluice.engine.kafka;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;

/**
 * DeleteRecords ({@code kafka-delete-records.sh}, {@code Admin.deleteRecords}): moves each
 * partition's log start offset up to the requested offset ({@code -1}: the high watermark), as
 * retention does, and answers with the new start, the "low watermark". The records below it can
 * no longer be fetched; their journal entries are deleted once a snapshot covers the change.
 */
final class DeleteRecordsHandler implements ApiHandler {
  private final GatewayContext context;

  DeleteRecordsHandler(GatewayContext context) {
    this.context = context;
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.DELETE_RECORDS;
  }

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    DeleteRecordsRequestData req = request.bodyAs(DeleteRecordsRequestData.class);
    DeleteRecordsResponseData resp = new DeleteRecordsResponseData();
    List<CompletableFuture<?>> pending = new ArrayList<>();
    Duration timeout = Duration.ofMillis(req.timeoutMs() > 0 ? req.timeoutMs() : 30_000);
    for (DeleteRecordsRequestData.DeleteRecordsTopic t : req.topics()) {
      DeleteRecordsResponseData.DeleteRecordsTopicResult topicResult = resp.topics().find(t.name());
      if (topicResult == null) { // a topic named twice is answered once, with all its partitions
        topicResult = new DeleteRecordsResponseData.DeleteRecordsTopicResult().setName(t.name());
        resp.topics().add(topicResult);
      }
      for (DeleteRecordsRequestData.DeleteRecordsPartition p : t.partitions()) {
        if (topicResult.partitions().find(p.partitionIndex()) != null) {
          continue; // the same partition twice: the first request of it is the one carried out
        }
        DeleteRecordsResponseData.DeleteRecordsPartitionResult pr =
            new DeleteRecordsResponseData.DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex()).setLowWatermark(-1);
        topicResult.partitions().add(pr);
        long offset = p.offset();
        pending.add(
            context
                .<PartitionEntity.OffsetResult>askPartition(
                    t.name(), p.partitionIndex(), r -> new PartitionEntity.DeleteRecords(offset, r), timeout)
                .handle(
                    (r, err) -> {
                      if (err != null) {
                        pr.setErrorCode(KafkaErrors.ofPartitionAsk(err).code());
                      } else if (r.error() != PartitionError.NONE) {
                        pr.setErrorCode(KafkaErrors.of(r.error()).code());
                      } else {
                        pr.setLowWatermark(r.offset());
                      }
                      return null;
                    })
                .toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(v -> Optional.of(resp));
  }
}
