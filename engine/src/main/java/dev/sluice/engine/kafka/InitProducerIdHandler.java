package dev.sluice.engine.kafka;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * InitProducerId for idempotent producers (the Java producer's default): a fresh producer id
 * that is never reused (durably reserved in blocks) with epoch 0. A producer that resets its
 * state (KIP-360) gets a fresh id too. Transactional producers are refused with
 * UNSUPPORTED_VERSION: Sluice has no transaction coordinator.
 */
final class InitProducerIdHandler implements ApiHandler {
  private final GatewayContext context;

  InitProducerIdHandler(GatewayContext context) {
    this.context = context;
  }

  @Override
  public ApiKeys apiKey() {
    return ApiKeys.INIT_PRODUCER_ID;
  }

  @Override
  public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
    InitProducerIdRequestData req = request.bodyAs(InitProducerIdRequestData.class);
    if (req.transactionalId() != null) {
      return CompletableFuture.completedFuture(
          Optional.of(new InitProducerIdResponseData().setErrorCode(Errors.UNSUPPORTED_VERSION.code()).setProducerId(-1).setProducerEpoch((short) -1)));
    }
    return context
        .allocateProducerId()
        .handle(
            (allocated, err) ->
                Optional.<ApiMessage>of(
                    err != null
                        ? new InitProducerIdResponseData()
                            .setErrorCode(Errors.COORDINATOR_LOAD_IN_PROGRESS.code())
                            .setProducerId(-1)
                            .setProducerEpoch((short) -1)
                        : new InitProducerIdResponseData().setProducerId(allocated.producerId()).setProducerEpoch((short) 0)));
  }
}
