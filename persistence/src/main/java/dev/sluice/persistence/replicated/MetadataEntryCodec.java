package dev.sluice.persistence.replicated;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * The bytes stored in Distributed Data for one journal event or one snapshot. Versioned from the
 * first byte so a later layout can be read beside this one.
 *
 * <pre>
 *   0          1                5
 *   +----------+----------------+----------+-------------+----------+-----------------+----------+------------+-----------+----------
 *   | ver=1:u8 | serializerId   | mLen:u16 | manifest    | aLen:u16 | adapterManifest | wLen:u16 | writerUuid | ts:i64    | payload...
 *   +----------+----------------+----------+-------------+----------+-----------------+----------+------------+-----------+----------
 * </pre>
 * {@code serializerId}/{@code manifest} name the Pekko serializer of {@code payload};
 * {@code adapterManifest} is the event adapter manifest of the {@code PersistentRepr} (empty for
 * snapshots); {@code writerUuid} is empty for snapshots.
 *
 * <p>Stateless and thread-safe.
 */
final class MetadataEntryCodec {
  static final byte FORMAT_V1 = 1;

  private MetadataEntryCodec() {}

  /** A decoded entry; {@code payload} is the object its serializer read back. */
  record Decoded(String adapterManifest, String writerUuid, long timestamp, Object payload) {}

  static byte[] encode(Serialization serialization, Object payload, String adapterManifest, String writerUuid, long timestamp) {
    Serializer serializer = serialization.findSerializerFor(payload);
    byte[] m = Serializers.manifestFor(serializer, payload).getBytes(UTF_8);
    byte[] a = adapterManifest.getBytes(UTF_8);
    byte[] w = writerUuid.getBytes(UTF_8);
    if (m.length > 0xFFFF || a.length > 0xFFFF || w.length > 0xFFFF) {
      throw new IllegalArgumentException("manifests and writer id must fit in 65535 bytes");
    }
    byte[] bytes = serializer.toBinary(payload);
    return ByteBuffer.allocate(1 + 4 + 2 + m.length + 2 + a.length + 2 + w.length + 8 + bytes.length)
        .put(FORMAT_V1)
        .putInt(serializer.identifier())
        .putShort((short) m.length).put(m)
        .putShort((short) a.length).put(a)
        .putShort((short) w.length).put(w)
        .putLong(timestamp)
        .put(bytes)
        .array();
  }

  static Decoded decode(Serialization serialization, byte[] value) {
    ByteBuffer buf = ByteBuffer.wrap(value);
    byte version = buf.get();
    if (version != FORMAT_V1) {
      throw new IllegalStateException("unknown replicated entry format version " + version);
    }
    int serializerId = buf.getInt();
    String manifest = readString(buf);
    String adapterManifest = readString(buf);
    String writer = readString(buf);
    long timestamp = buf.getLong();
    byte[] bytes = new byte[buf.remaining()];
    buf.get(bytes);
    Object payload = serialization.deserialize(bytes, serializerId, manifest).get();
    return new Decoded(adapterManifest, writer, timestamp, payload);
  }

  /** The timestamp of a stored entry, without deserializing its payload. */
  static long timestamp(byte[] value) {
    ByteBuffer buf = ByteBuffer.wrap(value);
    byte version = buf.get();
    if (version != FORMAT_V1) {
      throw new IllegalStateException("unknown replicated entry format version " + version);
    }
    buf.getInt();
    for (int i = 0; i < 3; i++) { // manifest, adapter manifest, writer id
      int len = Short.toUnsignedInt(buf.getShort());
      buf.position(buf.position() + len);
    }
    return buf.getLong();
  }

  private static String readString(ByteBuffer buf) {
    int len = Short.toUnsignedInt(buf.getShort());
    String s = new String(buf.array(), buf.position(), len, UTF_8);
    buf.position(buf.position() + len);
    return s;
  }
}
