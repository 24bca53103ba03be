package dev.sluice.engine.kafka;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.actors.partition.PartitionEntity;
import dev.sluice.actors.partition.PartitionError;
import dev.sluice.engine.NodeSettings;
import dev.sluice.engine.SluiceNode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input: 10,000 random and mutated frames (garbage bodies, truncated frames, oversized and
 * negative lengths, unknown API keys and versions, produce requests with corrupted batches).
 * The node stays up, a well-behaved producer on its own connection keeps working throughout,
 * and no log is changed by garbage.
 */
class GatewayFuzzTest {
  static final int FRAMES = 10_000;
  static final String TARGET = "fuzz-target";
  @TempDir Path dataDir;

  @Test
  void garbageNeverHurtsTheNodeOrTheLog() throws Exception {
    try (SluiceNode node =
        SluiceNode.start(NodeSettings.of(dataDir).withClusterPort(0).withKafkaPort(0))) {
      String bootstrap = "127.0.0.1:" + node.kafkaPort();
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic(TARGET, 1, (short) 1), new NewTopic("good", 1, (short) 1)))
            .all().get(30, TimeUnit.SECONDS);
      }
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
      Random random = new Random(42);
      long goodRecords = 0;
      int corruptAnswers = 0;
      try (KafkaProducer<byte[], byte[]> good = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        int sent = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        while (sent < FRAMES && System.nanoTime() < deadline) {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", node.kafkaPort()), 5000);
            s.setSoTimeout(5000);
            // a few frames per connection until the server closes it
            for (int i = 0; i < 5 && sent < FRAMES; i++) {
              sent++;
              int kind = random.nextInt(10);
              if (kind < 3) {
                corruptAnswers += sendCorruptProduce(s, random, sent) ? 1 : 0;
              } else {
                sendGarbage(s, random, kind, node.kafkaPort());
              }
            }
          } catch (IOException expected) {
            // the server closed the connection on garbage: that is the contract
          }
          if (sent % 500 == 0) {
            good.send(new ProducerRecord<>("good", ("ok-" + sent).getBytes(UTF_8))).get(30, TimeUnit.SECONDS);
            goodRecords++;
          }
        }
        assertEquals(FRAMES, sent, "fuzzing did not finish in time");
      }
      assertTrue(corruptAnswers > 100, "corrupt batches were answered with CORRUPT_MESSAGE (" + corruptAnswers + ")");
      assertEquals(0, describe(node, TARGET).highWatermark(), "garbage must not reach the log");
      assertEquals(goodRecords, describe(node, "good").highWatermark(), "every good record is in the log");
    }
  }

  static PartitionEntity.PartitionInfo describe(SluiceNode node, String topic) throws Exception {
    PartitionEntity.PartitionInfo info =
        node.partition(topic, 0)
            .<PartitionEntity.PartitionInfo>ask(PartitionEntity.Describe::new, Duration.ofSeconds(30))
            .toCompletableFuture()
            .get(60, TimeUnit.SECONDS);
    assertEquals(PartitionError.NONE, info.error());
    return info;
  }

  /** A well-formed Produce v9 whose batch has a byte flipped inside its CRC-covered part. */
  static boolean sendCorruptProduce(Socket s, Random random, int correlationId) throws IOException {
    MemoryRecords records =
        MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(System.currentTimeMillis(), null, ("v" + random.nextInt()).getBytes(UTF_8)));
    byte[] batch = new byte[records.sizeInBytes()];
    records.buffer().duplicate().get(batch);
    int at = 17 + random.nextInt(batch.length - 17); // CRC field and everything it covers
    batch[at] ^= (byte) (1 + random.nextInt(255));
    ProduceRequestData data = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
    ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName(TARGET);
    topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(MemoryRecords.readableRecords(ByteBuffer.wrap(batch))));
    data.topicData().add(topic);
    short version = 9;
    RequestHeader header = new RequestHeader(ApiKeys.PRODUCE, version, "fuzz", correlationId);
    ByteBuffer payload = RequestUtils.serialize(header.data(), header.headerVersion(), data, version);
    writeFrame(s.getOutputStream(), payload);
    DataInputStream in = new DataInputStream(s.getInputStream());
    byte[] response = new byte[in.readInt()];
    in.readFully(response);
    ByteBuffer buf = ByteBuffer.wrap(response);
    ResponseHeader.parse(buf, ApiKeys.PRODUCE.responseHeaderVersion(version));
    ProduceResponseData resp = new ProduceResponseData(new ByteBufferAccessor(buf), version);
    short code = resp.responses().iterator().next().partitionResponses().get(0).errorCode();
    assertTrue(code == Errors.CORRUPT_MESSAGE.code() || code == Errors.INVALID_RECORD.code(),
        "a corrupted batch is refused, got " + Errors.forCode(code));
    return code == Errors.CORRUPT_MESSAGE.code();
  }

  static void sendGarbage(Socket s, Random random, int kind, int port) throws IOException {
    OutputStream out = s.getOutputStream();
    switch (kind) {
      case 3, 4, 5 -> { // random body, sane length
        byte[] body = new byte[random.nextInt(200)];
        random.nextBytes(body);
        writeFrame(out, ByteBuffer.wrap(body));
      }
      case 6 -> { // a length larger than the maximum frame
        out.write(ByteBuffer.allocate(4).putInt(200 << 20).array());
        out.flush();
      }
      case 7 -> { // a negative length
        out.write(ByteBuffer.allocate(4).putInt(-1 - random.nextInt(1000)).array());
        out.flush();
      }
      case 8 -> { // unknown API key or unsupported version, plausible header
        ByteBuffer header = ByteBuffer.allocate(14);
        header.putShort((short) (random.nextBoolean() ? 999 + random.nextInt(1000) : ApiKeys.PRODUCE.id));
        header.putShort((short) (50 + random.nextInt(100)));
        header.putInt(random.nextInt()).putShort((short) 0);
        writeFrame(out, header.flip());
      }
      default -> { // truncated: the length promises more than is ever sent
        out.write(ByteBuffer.allocate(4).putInt(1000).array());
        byte[] some = new byte[random.nextInt(100)];
        random.nextBytes(some);
        out.write(some);
        out.flush();
        throw new IOException("truncated frame left behind; next connection");
      }
    }
    // The server closes the connection on garbage; wait for that, briefly. (Random bytes that
    // happen to form a valid request get an answer instead.) Either way: next connection.
    InputStream in = s.getInputStream();
    s.setSoTimeout(2000);
    int first = in.read();
    throw new IOException(first == -1 ? "closed by the server" : "answered; next connection");
  }

  static void writeFrame(OutputStream out, ByteBuffer payload) throws IOException {
    byte[] frame = new byte[4 + payload.remaining()];
    ByteBuffer.wrap(frame).putInt(payload.remaining()).put(payload);
    out.write(frame);
    out.flush();
  }
}
