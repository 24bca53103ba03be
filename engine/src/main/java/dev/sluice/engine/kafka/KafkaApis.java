package dev.sluice.engine.kafka;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes one request frame, routes it to its {@link ApiHandler} and encodes the response frame
 * (4-byte length + response header + body), with kafka-clients' generated message classes.
 *
 * <p>As a Kafka broker does: an {@code ApiVersions} request of a version newer than supported is
 * answered (v0-encoded) with {@code UNSUPPORTED_VERSION} and the supported ranges, so the client
 * can retry at a version both sides know; any other request of an API or version this broker did
 * not advertise, or that does not parse exactly, is a {@link ProtocolViolation} and closes the
 * connection.
 */
final class KafkaApis {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaApis.class);
  /** What Kafka accepts as client software name and version (ApiVersions v3+). */
  private static final java.util.regex.Pattern SOFTWARE = java.util.regex.Pattern.compile("[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?");

  private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
  private final ApiVersionsResponseData.ApiVersionCollection advertised = new ApiVersionsResponseData.ApiVersionCollection();

  KafkaApis(Collection<ApiHandler> apis) {
    for (ApiHandler h : apis) {
      handlers.put(h.apiKey(), h);
    }
    handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
    for (ApiHandler h : handlers.values()) {
      advertised.add(
          new ApiVersionsResponseData.ApiVersion()
              .setApiKey(h.apiKey().id)
              .setMinVersion(h.minVersion())
              .setMaxVersion(h.maxVersion()));
    }
  }

  /** The API versions this gateway advertises (ApiVersions), by API. */
  Map<ApiKeys, ApiHandler> handlers() {
    return handlers;
  }

  /**
   * Serves one frame (without its length prefix). Completes with the response frame, or empty
   * when the request gets none; fails with {@link ProtocolViolation} when the connection must
   * be closed.
   */
  CompletionStage<Optional<ByteString>> serve(ByteBuffer frame) {
    return serve(frame, "");
  }

  /** As {@link #serve(ByteBuffer)}, for a connection from {@code clientHost}. */
  CompletionStage<Optional<ByteString>> serve(ByteBuffer frame, String clientHost) {
    if (frame.remaining() < 8) {
      throw new ProtocolViolation("request of " + frame.remaining() + " bytes is shorter than a request header");
    }
    short apiKeyId = frame.getShort(0);
    short version = frame.getShort(2);
    int correlationId = frame.getInt(4);
    ApiHandler handler = ApiKeys.hasId(apiKeyId) ? handlers.get(ApiKeys.forId(apiKeyId)) : null;
    if (handler == null) {
      throw new ProtocolViolation("unsupported API key " + apiKeyId + " (version " + version + ")");
    }
    if (version < handler.minVersion() || version > handler.maxVersion()) {
      if (handler.apiKey() == ApiKeys.API_VERSIONS && version > handler.maxVersion()) {
        return CompletableFuture.completedFuture(Optional.of(unsupportedApiVersions(correlationId)));
      }
      throw new ProtocolViolation(
          "unsupported version " + version + " of " + handler.apiKey() + " (supported "
              + handler.minVersion() + ".." + handler.maxVersion() + ")");
    }
    KafkaRequest request = decode(frame, handler.apiKey(), clientHost);
    CompletionStage<Optional<ApiMessage>> response;
    try {
      response = handler.handle(request);
    } catch (RuntimeException e) {
      LOG.error("{} v{} handler failed", handler.apiKey(), version, e);
      throw new ProtocolViolation("internal error serving " + handler.apiKey() + ": " + e);
    }
    return response.thenApply(body -> body.map(b -> encode(request.header(), b)));
  }

  private static KafkaRequest decode(ByteBuffer frame, ApiKeys apiKey, String clientHost) {
    try {
      ByteBuffer buf = frame.duplicate();
      RequestHeader header = RequestHeader.parse(buf);
      ApiMessage body = AbstractRequest.parseRequest(apiKey, header.apiVersion(), new ByteBufferAccessor(buf)).request.data();
      if (buf.hasRemaining()) {
        throw new ProtocolViolation(buf.remaining() + " bytes left over after " + apiKey + " v" + header.apiVersion());
      }
      return new KafkaRequest(header, body, clientHost);
    } catch (ProtocolViolation e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ProtocolViolation("malformed " + apiKey + " request: " + e);
    }
  }

  /**
   * Encodes header and body into the frame (length prefix included) the way Kafka's own network
   * layer does ({@link SendBuilder}): the small fields go into one buffer, and the record batches
   * of a Fetch response are not copied at all: the frame is a rope of byte strings over the
   * arrays that already hold them, which the TCP stage then writes out.
   */
  static ByteString encode(RequestHeader requestHeader, ApiMessage body) {
    Send send = SendBuilder.buildResponseSend(requestHeader.toResponseHeader(), body, requestHeader.apiVersion());
    RopeChannel rope = new RopeChannel();
    try {
      for (int i = 0; i < 1_000_000 && !send.completed(); i++) { // completes in one write; bounded anyway
        send.writeTo(rope);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // RopeChannel does no I/O
    }
    if (!send.completed() || rope.result().size() != send.size()) {
      throw new IllegalStateException(body.apiKey() + " response encoded to " + rope.result().size() + " of " + send.size() + " bytes");
    }
    return rope.result();
  }

  /** A channel that "writes" by appending the buffers it is given, uncopied, to a byte string. */
  private static final class RopeChannel implements TransferableChannel {
    private ByteString out = ByteString.emptyByteString();

    ByteString result() {
      return out;
    }

    @Override
    public int write(ByteBuffer src) {
      int n = src.remaining();
      if (n == 0) {
        return 0;
      }
      ByteString part;
      if (src.hasArray()) {
        part = ByteString.fromArrayUnsafe(src.array(), src.arrayOffset() + src.position(), n);
      } else {
        part = ByteString.fromByteBuffer(src.duplicate());
      }
      src.position(src.limit());
      out = out.concat(part);
      return n;
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
      long n = 0;
      for (int i = offset; i < offset + length; i++) {
        n += write(srcs[i]);
      }
      return n;
    }

    @Override
    public long write(ByteBuffer[] srcs) {
      return write(srcs, 0, srcs.length);
    }

    @Override
    public boolean hasPendingWrites() {
      return false;
    }

    @Override
    public long transferFrom(java.nio.channels.FileChannel fileChannel, long position, long count) {
      throw new UnsupportedOperationException("responses hold no file regions");
    }

    @Override
    public boolean isOpen() {
      return true;
    }

    @Override
    public void close() {}
  }

  private static ByteString frame(ByteBuffer payload) {
    byte[] out = new byte[4 + payload.remaining()];
    ByteBuffer.wrap(out).putInt(payload.remaining()).put(payload);
    return ByteString.fromArrayUnsafe(out);
  }

  /** ApiVersions of a version we do not know: a v0 response with UNSUPPORTED_VERSION. */
  private ByteString unsupportedApiVersions(int correlationId) {
    ApiVersionsResponseData body =
        new ApiVersionsResponseData().setErrorCode(Errors.UNSUPPORTED_VERSION.code()).setApiKeys(advertised.duplicate());
    ResponseHeader header = new ResponseHeader(correlationId, (short) 0);
    return frame(RequestUtils.serialize(header.data(), (short) 0, body, (short) 0));
  }

  private final class ApiVersionsHandler implements ApiHandler {
    @Override
    public ApiKeys apiKey() {
      return ApiKeys.API_VERSIONS;
    }

    @Override
    public CompletionStage<Optional<ApiMessage>> handle(KafkaRequest request) {
      ApiVersionsRequestData req = request.bodyAs(ApiVersionsRequestData.class);
      ApiVersionsResponseData resp = new ApiVersionsResponseData().setApiKeys(advertised.duplicate());
      if (request.version() >= 3 && !(SOFTWARE.matcher(req.clientSoftwareName()).matches() && SOFTWARE.matcher(req.clientSoftwareVersion()).matches())) {
        resp.setErrorCode(Errors.INVALID_REQUEST.code());
      }
      return CompletableFuture.completedFuture(Optional.of(resp));
    }
  }
}
