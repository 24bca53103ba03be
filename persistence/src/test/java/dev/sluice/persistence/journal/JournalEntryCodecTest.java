package dev.sluice.persistence.journal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests of the versioned journal entry layout. */
class JournalEntryCodecTest {

  static Stream<Arguments> entries() {
    byte[] big = new byte[100_000];
    Arrays.fill(big, (byte) 0x5A);
    return Stream.of(
        Arguments.of(7301, "BA", "3f2a9c1e-writer", 1_700_000_000_000L, "batch bytes".getBytes(UTF_8)),
        Arguments.of(7302, "dev.sluice.persistence.partition.PartitionCreated", "w", 0L, new byte[] {1, 0, -1}),
        Arguments.of(0, "", "", -1L, new byte[0]),
        Arguments.of(-1, "mänïfest ✓", "wrïter ✓", Long.MAX_VALUE, big),
        Arguments.of(Integer.MAX_VALUE, "m".repeat(0xFFFF), "w".repeat(0xFFFF), Long.MIN_VALUE, new byte[] {42}));
  }

  @ParameterizedTest
  @MethodSource("entries")
  void roundTrips(int serializerId, String manifest, String writerUuid, long timestamp, byte[] payload) {
    byte[] encoded = JournalEntryCodec.encode(serializerId, manifest, writerUuid, timestamp, payload);

    assertEquals(JournalEntryCodec.FORMAT_V1, encoded[0], "first byte must be the format version");
    JournalEntryCodec.Decoded d = JournalEntryCodec.decode(encoded);
    assertEquals(serializerId, d.serializerId(), "serializer id");
    assertEquals(manifest, d.manifest(), "manifest");
    assertEquals(writerUuid, d.writerUuid(), "writer uuid");
    assertEquals(timestamp, d.timestamp(), "timestamp");
    assertEquals(payload.length, d.payload().remaining(), "payload view length");
    assertArrayEquals(payload, d.payloadBytes(), "payload");
    assertArrayEquals(payload, d.payloadBytes(), "payloadBytes() must not consume the payload view");
  }

  @ParameterizedTest
  @ValueSource(bytes = {0, 2, 3, 127, -1, -128})
  void rejectsUnknownFormatVersions(byte version) {
    byte[] encoded = JournalEntryCodec.encode(7301, "BA", "w", 1L, new byte[] {1, 2, 3});
    encoded[0] = version;

    IllegalStateException e = assertThrows(IllegalStateException.class, () -> JournalEntryCodec.decode(encoded));
    assertEquals(
        "unknown journal entry format version " + version, e.getMessage(),
        "the error should name the version it does not know");
  }
}
