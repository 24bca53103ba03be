package dev.sluice.engine.kafka;

import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Framing;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Kafka-protocol listener, on Pekko Streams TCP. Per connection: length-prefixed
 * framing with a maximum frame size, requests served concurrently up to
 * {@code max-in-flight-per-connection} (pipelining) with responses written in request order,
 * and TCP backpressure beyond that. A frame that is oversized, malformed or of an API/version
 * this broker did not advertise closes that connection only, with a log line saying why.
 */
public final class KafkaGateway implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaGateway.class);

  /**
   * How often every gateway fetches the topic list in the background. Like a Kafka broker's
   * metadata cache, it lets a gateway answer Metadata while the topic registry restarts on another
   * node, even if no client had asked it before.
   */
  static final Duration TOPIC_LIST_REFRESH = Duration.ofSeconds(10);

  private final Tcp.ServerBinding binding;
  private final KafkaApis apis;
  private final org.apache.pekko.actor.Cancellable topicListRefresh;

  private KafkaGateway(Tcp.ServerBinding binding, KafkaApis apis, org.apache.pekko.actor.Cancellable topicListRefresh) {
    this.binding = binding;
    this.apis = apis;
    this.topicListRefresh = topicListRefresh;
  }

  /** Binds the listener (fails if the port is taken) and serves until {@link #close()}. */
  public static KafkaGateway start(ActorSystem<?> system, GatewayContext context) {
    KafkaSettings settings = context.settings();
    KafkaApis apis = new KafkaApis(handlers(context));
    CompletionStage<Tcp.ServerBinding> bound =
        Tcp.get(system)
            .bind(settings.host(), settings.port())
            .to(
                Sink.foreach(
                    connection -> {
                      InetSocketAddress remote = connection.remoteAddress();
                      connection.handleWith(connectionFlow(apis, settings, remote), system);
                    }))
            .run(system);
    try {
      Tcp.ServerBinding binding = bound.toCompletableFuture().get(30, TimeUnit.SECONDS);
      context.boundTo(binding.localAddress().getPort());
      LOG.info("Kafka gateway listening on {} (advertised as {}:{})", binding.localAddress(), settings.advertisedHost(), context.advertisedPort());
      org.apache.pekko.actor.Cancellable refresh =
          system.scheduler().scheduleWithFixedDelay(
              Duration.ofSeconds(1),
              TOPIC_LIST_REFRESH,
              () -> context
                  .<dev.sluice.actors.registry.TopicRegistry.TopicList>askRegistry(
                      dev.sluice.actors.registry.TopicRegistry.ListTopics::new, TOPIC_LIST_REFRESH)
                  .thenAccept(l -> context.placement().rememberAll(l.topics())), // no answer: the next round asks again
              system.executionContext());
      return new KafkaGateway(binding, apis, refresh);
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot listen for Kafka clients on " + settings.host() + ":" + settings.port() + ": " + rootMessage(e), e);
    }
  }

  static List<ApiHandler> handlers(GatewayContext context) {
    List<ApiHandler> handlers = new java.util.ArrayList<>(GroupHandlers.all(context));
    handlers.addAll(List.of(
        new MetadataHandler(context),
        new ProduceHandler(context),
        new FetchHandler(context),
        new ListOffsetsHandler(context),
        new DeleteRecordsHandler(context),
        new InitProducerIdHandler(context),
        new AdminHandlers.CreateTopics(context),
        new AdminHandlers.DeleteTopics(context),
        new AdminHandlers.CreatePartitions(context),
        new AdminHandlers.DescribeConfigs(context),
        new IncrementalAlterConfigsHandler(context),
        new DescribeLogDirsHandler(context),
        new AlterReplicaLogDirsHandler(context),
        new AdminHandlers.DescribeCluster(context),
        new ReassignmentHandlers.Alter(context),
        new ReassignmentHandlers.ListMoves(context)));
    return handlers;
  }

  private static Flow<ByteString, ByteString, NotUsed> connectionFlow(KafkaApis apis, KafkaSettings settings, InetSocketAddress remote) {
    String clientHost = "/" + remote.getAddress().getHostAddress();
    return Flow.<ByteString>create()
        .via(Framing.lengthField(4, 0, settings.maxFrameBytes() + 4, ByteOrder.BIG_ENDIAN))
        .mapAsync(settings.maxInFlightPerConnection(), frame -> apis.serve(frame.drop(4).asByteBuffer(), clientHost))
        .filter(Optional::isPresent)
        .map(Optional::get)
        .watchTermination(
            (notUsed, done) -> {
              done.whenComplete(
                  (d, error) -> {
                    if (error != null) {
                      LOG.warn("Closing Kafka connection from {}: {}", remote, rootMessage(error));
                    }
                  });
              return NotUsed.getInstance();
            });
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.toString() : c.getMessage();
  }

  /** The bound address (the actual port when configured with port 0). */
  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  /** Stops accepting connections. */
  @Override
  public void close() {
    topicListRefresh.cancel();
    try {
      binding.unbind().toCompletableFuture().get(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      LOG.warn("Unbinding the Kafka gateway failed", e);
    }
  }
}
