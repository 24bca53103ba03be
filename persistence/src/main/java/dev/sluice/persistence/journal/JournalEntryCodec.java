package dev.sluice.persistence.journal;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;

/**
 * The value stored for one journal entry. Versioned from the first byte so a later layout can be
 * read beside this one.
 *
 * <pre>
 *   0                   1                   5         7
 *   +-------------------+-------------------+---------+----------+---------+----------+-----------+-----------
 *   | format version=1  | serializerId:i32  | mLen:u16| manifest | wLen:u16| writerId | ts:i64    | payload...
 *   +-------------------+-------------------+---------+----------+---------+----------+-----------+-----------
 * </pre>
 * {@code payload} is the event as its bound Pekko serializer wrote it (for a record batch: the
 * batch serializer's bytes, which embed the Kafka v2 batch unchanged).
 */
public final class JournalEntryCodec {
  public static final byte FORMAT_V1 = 1;

  private JournalEntryCodec() {}

  /** A decoded entry; {@code payload} is a view into the stored value. */
  public record Decoded(int serializerId, String manifest, String writerUuid, long timestamp, ByteBuffer payload) {
    /** The payload as its own array (a copy unless it already spans the whole array). */
    public byte[] payloadBytes() {
      byte[] out = new byte[payload.remaining()];
      payload.duplicate().get(out);
      return out;
    }
  }

  public static byte[] encode(int serializerId, String manifest, String writerUuid, long timestamp, byte[] payload) {
    return encode(serializerId, manifest, writerUuid, timestamp, payload.length, buf -> buf.put(payload));
  }

  /**
   * Encodes an entry whose payload {@code writePayload} writes in place ({@code payloadSize}
   * bytes), so a large payload is copied once, into the entry.
   */
  public static byte[] encode(
      int serializerId, String manifest, String writerUuid, long timestamp, int payloadSize,
      java.util.function.Consumer<ByteBuffer> writePayload) {
    byte[] m = manifest.getBytes(UTF_8);
    byte[] w = writerUuid.getBytes(UTF_8);
    if (m.length > 0xFFFF || w.length > 0xFFFF) {
      throw new IllegalArgumentException("manifest and writer id must fit in 65535 bytes");
    }
    ByteBuffer buf = ByteBuffer.allocate(1 + 4 + 2 + m.length + 2 + w.length + 8 + payloadSize);
    buf.put(FORMAT_V1).putInt(serializerId);
    buf.putShort((short) m.length).put(m);
    buf.putShort((short) w.length).put(w);
    buf.putLong(timestamp);
    writePayload.accept(buf);
    if (buf.hasRemaining()) {
      throw new IllegalStateException("payload wrote " + (payloadSize - buf.remaining()) + " of " + payloadSize + " bytes");
    }
    return buf.array();
  }

  public static Decoded decode(byte[] value) {
    ByteBuffer buf = ByteBuffer.wrap(value);
    byte version = buf.get();
    if (version != FORMAT_V1) {
      throw new IllegalStateException("unknown journal entry format version " + version);
    }
    int serializerId = buf.getInt();
    String manifest = readString(buf);
    String writer = readString(buf);
    long ts = buf.getLong();
    return new Decoded(serializerId, manifest, writer, ts, buf.slice());
  }

  private static String readString(ByteBuffer buf) {
    int len = Short.toUnsignedInt(buf.getShort());
    String s = new String(buf.array(), buf.arrayOffset() + buf.position(), len, UTF_8);
    buf.position(buf.position() + len);
    return s;
  }
}
