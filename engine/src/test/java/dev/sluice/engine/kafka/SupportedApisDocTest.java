package dev.sluice.engine.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's table of supported Kafka APIs is what a running node advertises (ApiVersions
 * over the wire), and an ApiVersions request newer than supported gets UNSUPPORTED_VERSION with
 * the supported ranges, as Kafka answers it.
 */
class SupportedApisDocTest {
  @TempDir Path dataDir;

  static ApiVersionsResponseData apiVersions(int port, short version) throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
      s.setSoTimeout(10_000);
      RequestHeader header = new RequestHeader(ApiKeys.API_VERSIONS, version, "doc-test", 1);
      ApiVersionsRequestData body = new ApiVersionsRequestData().setClientSoftwareName("doc-test").setClientSoftwareVersion("1.0");
      short encodeAs = (short) Math.min(version, ApiKeys.API_VERSIONS.latestVersion());
      ByteBuffer payload = RequestUtils.serialize(header.data(), ApiKeys.API_VERSIONS.requestHeaderVersion(encodeAs), body, encodeAs);
      ByteBuffer framed = ByteBuffer.allocate(4 + payload.remaining()).putInt(payload.remaining()).put(payload);
      if (version > encodeAs) {
        framed.putShort(6, version); // a version from the future, as a newer client would send
      }
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.write(framed.array());
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      byte[] resp = new byte[in.readInt()];
      in.readFully(resp);
      ByteBuffer buf = ByteBuffer.wrap(resp);
      assertEquals(1, ResponseHeader.parse(buf, (short) 0).correlationId());
      short readAs = version > encodeAs ? 0 : version;
      return new ApiVersionsResponseData(new ByteBufferAccessor(buf), readAs);
    }
  }

  static String table(ApiVersionsResponseData resp) {
    List<ApiVersionsResponseData.ApiVersion> apis = new ArrayList<>(resp.apiKeys());
    apis.sort(Comparator.comparingInt(ApiVersionsResponseData.ApiVersion::apiKey));
    StringBuilder out = new StringBuilder("| API (key) | versions |\n|---|---|\n");
    for (ApiVersionsResponseData.ApiVersion v : apis) {
      out.append("| ").append(ApiKeys.forId(v.apiKey()).name).append(" (").append(v.apiKey()).append(") | ")
          .append(v.minVersion()).append("–").append(v.maxVersion()).append(" |\n");
    }
    return out.toString();
  }

  @Test
  void readmeListsExactlyWhatTheNodeAdvertises() throws Exception {
    try (SluiceNode node = SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      ApiVersionsResponseData resp = apiVersions(node.kafkaPort(), (short) 3);
      assertEquals(Errors.NONE.code(), resp.errorCode());
      String expected = table(resp);
      String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
      int start = readme.indexOf("<!-- kafka-apis:start -->");
      int end = readme.indexOf("<!-- kafka-apis:end -->");
      assertTrue(start >= 0 && end > start, "README.md lacks the kafka-apis markers");
      String documented = readme.substring(start + "<!-- kafka-apis:start -->".length(), end).trim() + "\n";
      assertEquals(expected, documented, "README's supported-API table must match what the node advertises; expected:\n" + expected);

      ApiVersionsResponseData future = apiVersions(node.kafkaPort(), (short) 99);
      assertEquals(Errors.UNSUPPORTED_VERSION.code(), future.errorCode(), "a newer ApiVersions is answered, not dropped");
      assertEquals(resp.apiKeys().size(), future.apiKeys().size(), "with the supported ranges");
    }
  }
}
