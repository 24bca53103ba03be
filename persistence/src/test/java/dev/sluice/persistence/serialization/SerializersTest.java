package dev.sluice.persistence.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.sluice.persistence.batch.LogRecord;
import dev.sluice.persistence.batch.RecordBatches;
import dev.sluice.persistence.partition.BatchAppended;
import dev.sluice.persistence.partition.ConfigChanged;
import dev.sluice.persistence.partition.LogTruncated;
import dev.sluice.persistence.partition.PartitionCreated;
import dev.sluice.persistence.partition.PartitionDeleted;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.testkit.TestSystems;
import java.io.NotSerializableException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import scala.util.Try;

/**
 * Checks, through a real ActorSystem's serialization extension, that every persisted partition
 * event is bound to its Sluice serializer and round-trips.
 */
class SerializersTest {
  @TempDir static Path dataDir;

  private static ActorTestKit testKit;
  private static Serialization serialization;

  @BeforeAll
  static void startSystem() {
    // TestSystems defaults to the cluster provider, which this module does not depend on;
    // serialization bindings are the same with the local one.
    testKit = ActorTestKit.create("ser", TestSystems.config(dataDir, "pekko.actor.provider = local"));
    serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
  }

  @AfterAll
  static void stopSystem() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
  }

  private static BatchAppended batchAppended() {
    byte[] batch =
        RecordBatches.build(
            List.of(
                LogRecord.of(1_700_000_000_000L, "k".getBytes(), "v".getBytes()),
                LogRecord.of(1_700_000_000_001L, null, new byte[300], List.of(new LogRecord.Header("h", null)))));
    RecordBatches.assignBaseOffset(batch, 4242);
    return new BatchAppended(1_700_000_000_123L, batch);
  }

  private static TopicConfig config() {
    return TopicConfig.defaults()
        .with(
            Map.of(
                "retention.ms", "3600000", "max.message.bytes", "65536", "message.timestamp.type", "LogAppendTime",
                "segment.bytes", "1048576", "min.insync.replicas", "2"));
  }

  static Stream<Arguments> events() {
    return Stream.of(
        Arguments.of(batchAppended(), BatchAppendedSerializer.IDENTIFIER),
        Arguments.of(new PartitionCreated("orders", 3, "5b1c7e2a-topic-id", config()), VersionedCborSerializer.IDENTIFIER),
        Arguments.of(new PartitionCreated("t", 0, "id", TopicConfig.defaults()), VersionedCborSerializer.IDENTIFIER),
        Arguments.of(new ConfigChanged(config()), VersionedCborSerializer.IDENTIFIER),
        Arguments.of(new LogTruncated(1_000_000L, "retention.ms=3600000"), VersionedCborSerializer.IDENTIFIER),
        Arguments.of(new PartitionDeleted("topic orders deleted"), VersionedCborSerializer.IDENTIFIER));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("events")
  void eachEventUsesItsSerializerAndRoundTrips(Object event, int expectedId) {
    Serializer serializer = serialization.findSerializerFor(event);
    assertEquals(
        expectedId, serializer.identifier(),
        event.getClass().getSimpleName() + " is bound to " + serializer.getClass().getName());

    String manifest = Serializers.manifestFor(serializer, event);
    byte[] bytes = serializer.toBinary(event);
    assertEquals(1, bytes[0], "first byte must be format version 1");
    Try<Object> back = serialization.deserialize(bytes, serializer.identifier(), manifest);

    assertTrue(back.isSuccess(), "deserialization failed: " + back);
    assertEquals(event, back.get(), event.getClass().getSimpleName() + " after a round trip");
  }

  @ParameterizedTest(name = "{0}, version byte {1}")
  @MethodSource("eventsWithWrongVersions")
  void aWrongFormatVersionIsRejected(Object event, byte version) {
    Serializer serializer = serialization.findSerializerFor(event);
    String manifest = Serializers.manifestFor(serializer, event);
    byte[] bytes = serializer.toBinary(event);
    bytes[0] = version;

    assertThrows(
        NotSerializableException.class,
        () -> ((SerializerWithStringManifest) serializer).fromBinary(bytes, manifest),
        "format version " + version + " must be refused");
    Try<Object> viaExtension = serialization.deserialize(bytes, serializer.identifier(), manifest);
    assertTrue(viaExtension.isFailure(), "the extension returned " + viaExtension);
    assertInstanceOf(NotSerializableException.class, viaExtension.failed().get(), "failure cause");
  }

  static Stream<Arguments> eventsWithWrongVersions() {
    return events()
        .flatMap(a -> Stream.of((byte) 0, (byte) 2, (byte) -1).map(v -> Arguments.of(a.get()[0], v)));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 8})
  void aBatchAppendedShorterThanItsHeaderIsRejected(int length) throws Exception {
    SerializerWithStringManifest serializer =
        (SerializerWithStringManifest) serialization.serializerFor(BatchAppended.class);
    byte[] bytes = Arrays.copyOf(serializer.toBinary(batchAppended()), length);

    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(bytes, BatchAppendedSerializer.MANIFEST));
  }

  @Test
  void anUnknownManifestIsRejected() throws Exception {
    SerializerWithStringManifest batches =
        (SerializerWithStringManifest) serialization.serializerFor(BatchAppended.class);
    byte[] batchBytes = batches.toBinary(batchAppended());
    assertThrows(NotSerializableException.class, () -> batches.fromBinary(batchBytes, "XX"), "BatchAppended manifest");

    SerializerWithStringManifest cbor =
        (SerializerWithStringManifest) serialization.serializerFor(PartitionDeleted.class);
    byte[] cborBytes = cbor.toBinary(new PartitionDeleted("r"));
    NotSerializableException notPersisted =
        assertThrows(
            NotSerializableException.class,
            () -> cbor.fromBinary(cborBytes, "java.util.ArrayList"),
            "a class that is not CborPersisted must not be instantiated");
    assertTrue(notPersisted.getMessage().contains("java.util.ArrayList"), notPersisted.getMessage());
    assertThrows(
        NotSerializableException.class, () -> cbor.fromBinary(cborBytes, "dev.sluice.NoSuchClass"), "unknown class");
    assertThrows(
        NotSerializableException.class, () -> cbor.fromBinary(new byte[0], PartitionDeleted.class.getName()), "empty bytes");
  }

  /** CborPersisted promises that a newer writer's extra fields do not break an older reader. */
  @Test
  void cborReadersIgnoreUnknownFieldsAndDefaultMissingOnes() throws Exception {
    SerializerWithStringManifest cbor =
        (SerializerWithStringManifest) serialization.serializerFor(LogTruncated.class);
    ObjectMapper mapper = new ObjectMapper(new CBORFactory());
    Map<String, Object> newer = new LinkedHashMap<>();
    newer.put("newLogStartOffset", 42L);
    newer.put("reason", "retention.bytes");
    newer.put("fieldAddedLater", List.of(1, 2, 3));

    Object read = cbor.fromBinary(versioned(mapper.writeValueAsBytes(newer)), LogTruncated.class.getName());
    assertEquals(new LogTruncated(42L, "retention.bytes"), read, "an extra field must be ignored");

    Object older =
        cbor.fromBinary(
            versioned(mapper.writeValueAsBytes(Map.of("newLogStartOffset", 7L))), LogTruncated.class.getName());
    assertEquals(new LogTruncated(7L, null), older, "a missing field must take its Java default");
  }

  private static byte[] versioned(byte[] body) {
    byte[] out = new byte[body.length + 1];
    out[0] = 1;
    System.arraycopy(body, 0, out, 1, body.length);
    return out;
  }
}
