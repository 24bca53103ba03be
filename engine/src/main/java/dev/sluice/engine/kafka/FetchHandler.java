package dev.sluice.engine.kafka;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;

/**
 * Fetch: the stored v2 batches of each requested partition, as they are, from the batch
 * containing the fetch offset, up to {@code partition_max_bytes} per partition and
 * {@code max_bytes} per response (the first batch is always returned whole, as Kafka does).
 * When less than {@code min_bytes} is available the request long-polls: every partition waits
 * for data, and the response goes out as soon as one has some or {@code max_wait_ms} ends.
 *
 * <p>Sessionless: the response's session id is 0, so clients keep sending full fetch requests
 * (Kafka's incremental fetch sessions are an optimisation they fall back from). Served up to
 * v12: v13+ address topics by id only.
 */
final class FetchHandler implements ApiHandler {
  private final GatewayContext context;

  FetchHandler(GatewayContext context) {
    this.context = context;
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.FETCH;
  }

  @Override
  public short maxVersion() {
    return 12;
  }

  /** One partition of the request and its latest answer. */
  private static final class Slot {
    final String topic;
    final FetchRequestData.FetchPartition request;
    volatile PartitionEntity.FetchResult result;

    Slot(String topic, FetchRequestData.FetchPartition request) {
      this.topic = topic;
      this.request = request;
    }

    boolean hasData() {
      return result != null && result.error() == PartitionError.NONE && !result.batches().isEmpty();
    }

    boolean canWait() {
      return result != null && result.error() == PartitionError.NONE && result.batches().isEmpty();
    }
  }

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    FetchRequestData req = request.bodyAs(FetchRequestData.class);
    if (req.sessionId() != 0) {
      // we never hand out session ids
      return CompletableFuture.completedFuture(
          Optional.of(new FetchResponseData().setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code()).setSessionId(0)));
    }
    List<Slot> slots = new ArrayList<>();
    for (FetchRequestData.FetchTopic t : req.topics()) {
      for (FetchRequestData.FetchPartition p : t.partitions()) {
        slots.add(new Slot(t.topic(), p));
      }
    }
    return fetchAll(slots, 0)
        .thenCompose(
            v -> {
              long available = 0;
              for (Slot s : slots) {
                available += s.hasData() ? s.result.sizeInBytes() : 0;
              }
              if (req.maxWaitMs() <= 0 || available >= Math.max(1, req.minBytes()) || slots.stream().noneMatch(Slot::canWait)) {
                return CompletableFuture.completedFuture((Void) null);
              }
              return waitForData(slots, req.maxWaitMs());
            })
        .thenApply(v -> Optional.<ApiMessage>of(response(req, slots)));
  }

  private CompletableFuture<Void> fetchAll(List<Slot> slots, long waitMs) {
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (Slot s : slots) {
      all.add(fetch(s, waitMs));
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }

  private CompletableFuture<PartitionEntity.FetchResult> fetch(Slot s, long waitMs) {
    long offset = s.request.fetchOffset();
    int maxBytes = Math.max(0, s.request.partitionMaxBytes());
    return context
        .<PartitionEntity.FetchResult>askPartition(
            s.topic, s.request.partition(), r -> new PartitionEntity.Fetch(offset, maxBytes, 1, waitMs, r), Duration.ofMillis(waitMs + 10_000))
        .handle(
            (r, err) -> {
              PartitionEntity.FetchResult result =
                  GatewayContext.isNotLeader(err)
                      ? new PartitionEntity.FetchResult(PartitionError.NOT_LEADER_OR_FOLLOWER, err.getMessage(), -1, -1, List.of())
                      : GatewayContext.isUnknown(err)
                      ? new PartitionEntity.FetchResult(PartitionError.UNKNOWN_TOPIC_OR_PARTITION, err.getMessage(), -1, -1, List.of())
                      : err != null ? new PartitionEntity.FetchResult(PartitionError.KAFKA_STORAGE_ERROR, "fetch timed out", -1, -1, List.of()) : r;
              s.result = result;
              return result;
            })
        .toCompletableFuture();
  }

  /** Long poll: completes when a partition has data or every wait has ended. */
  private CompletableFuture<Void> waitForData(List<Slot> slots, long waitMs) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    List<Slot> waiting = slots.stream().filter(Slot::canWait).toList();
    AtomicInteger outstanding = new AtomicInteger(waiting.size());
    for (Slot s : waiting) {
      fetch(s, waitMs)
          .thenAccept(
              r -> {
                if (s.hasData() || outstanding.decrementAndGet() == 0) {
                  done.complete(null);
                }
              });
    }
    return done;
  }

  private static FetchResponseData response(FetchRequestData req, List<Slot> slots) {
    FetchResponseData resp = new FetchResponseData().setSessionId(0);
    long budget = req.maxBytes() > 0 ? req.maxBytes() : Integer.MAX_VALUE;
    long used = 0;
    FetchResponseData.FetchableTopicResponse topicResp = null;
    for (Slot s : slots) {
      if (topicResp == null || !topicResp.topic().equals(s.topic)) {
        topicResp = new FetchResponseData.FetchableTopicResponse().setTopic(s.topic);
        resp.responses().add(topicResp);
      }
      PartitionEntity.FetchResult r = s.result;
      FetchResponseData.PartitionData pd =
          new FetchResponseData.PartitionData()
              .setPartitionIndex(s.request.partition())
              .setErrorCode(KafkaErrors.of(r.error()).code())
              .setHighWatermark(r.highWatermark())
              .setLastStableOffset(r.highWatermark())
              .setLogStartOffset(r.logStartOffset())
              .setAbortedTransactions(null)
              .setPreferredReadReplica(-1);
      if (r.error() == PartitionError.KAFKA_STORAGE_ERROR) {
        pd.setErrorCode(Errors.REQUEST_TIMED_OUT.code());
      }
      int size = r.sizeInBytes();
      if (r.error() == PartitionError.NONE && size > 0 && (used == 0 || used + size <= budget)) {
        pd.setRecords(BatchRope.of(r.batches()));
        used += size;
      } else {
        pd.setRecords(MemoryRecords.EMPTY);
      }
      topicResp.partitions().add(pd);
    }
    return resp;
  }
}
