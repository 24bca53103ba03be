package dev.sluice.engine.kafka;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ListOffsetsRequest;

/**
 * ListOffsets: earliest ({@code -2}, and {@code -4}, earliest local), latest ({@code -1}), or
 * the first offset whose timestamp is at or after a given time. {@code -3} (the offset of the
 * largest timestamp) and {@code -5} (tiered storage) are answered with UNSUPPORTED_VERSION for
 * that partition.
 */
final class ListOffsetsHandler implements ApiHandler {
  private final GatewayContext context;

  ListOffsetsHandler(GatewayContext context) {
    this.context = context;
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.LIST_OFFSETS;
  }

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    ListOffsetsRequestData req = request.bodyAs(ListOffsetsRequestData.class);
    ListOffsetsResponseData resp = new ListOffsetsResponseData();
    List<CompletableFuture<?>> pending = new ArrayList<>();
    Duration timeout = Duration.ofMillis(request.version() >= 10 && req.timeoutMs() > 0 ? req.timeoutMs() : 30_000);
    for (ListOffsetsRequestData.ListOffsetsTopic t : req.topics()) {
      ListOffsetsResponseData.ListOffsetsTopicResponse topicResp = new ListOffsetsResponseData.ListOffsetsTopicResponse().setName(t.name());
      resp.topics().add(topicResp);
      for (ListOffsetsRequestData.ListOffsetsPartition p : t.partitions()) {
        ListOffsetsResponseData.ListOffsetsPartitionResponse pr =
            new ListOffsetsResponseData.ListOffsetsPartitionResponse()
                .setPartitionIndex(p.partitionIndex())
                .setTimestamp(-1)
                .setOffset(-1);
        if (request.version() >= 4) {
          pr.setLeaderEpoch(0); // the field is v4+: librdkafka asks at v2, and an older reply must not carry it
        }
        topicResp.partitions().add(pr);
        long ts = p.timestamp();
        if (ts == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
          ts = PartitionEntity.EARLIEST;
        }
        if (ts < PartitionEntity.EARLIEST) {
          pr.setErrorCode(Errors.UNSUPPORTED_VERSION.code());
          continue;
        }
        long query = ts;
        pending.add(
            context
                .<PartitionEntity.OffsetResult>askPartition(t.name(), p.partitionIndex(), r -> new PartitionEntity.ListOffsets(query, r), timeout)
                .handle(
                    (r, err) -> {
                      if (err != null) {
                        pr.setErrorCode(KafkaErrors.ofPartitionAsk(err).code());
                      } else if (r.error() != PartitionError.NONE) {
                        pr.setErrorCode(KafkaErrors.of(r.error()).code());
                      } else {
                        pr.setOffset(r.offset()).setTimestamp(r.timestamp());
                      }
                      return null;
                    })
                .toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(v -> Optional.of(resp));
  }
}
