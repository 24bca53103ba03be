package dev.sluice.persistence.serialization;

import dev.sluice.persistence.partition.BatchAppended;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializer id 7301: binary form of {@link BatchAppended}, the journal's bulk.
 *
 * <pre>
 *   0 formatVersion:u8 (=1) | 1 logAppendTime:i64 | 9 Kafka v2 record batch (to the end)
 * </pre>
 */
public final class BatchAppendedSerializer extends SerializerWithStringManifest {
  public static final int IDENTIFIER = 7301;
  static final String MANIFEST = "BA";
  private static final byte FORMAT_V1 = 1;
  private static final int HEADER = 9;

  public BatchAppendedSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    if (!(o instanceof BatchAppended b)) {
      throw new IllegalArgumentException("BatchAppendedSerializer cannot serialize " + o.getClass().getName());
    }
    ByteBuffer buf = ByteBuffer.allocate(sizeOf(b));
    write(b, buf);
    return buf.array();
  }

  /** Bytes {@link #write} writes for {@code b}. */
  public static int sizeOf(BatchAppended b) {
    return HEADER + b.batch().length;
  }

  /** Writes the binary form of {@code b} at {@code buf}'s position (the journal writes it in place). */
  public static void write(BatchAppended b, ByteBuffer buf) {
    buf.put(FORMAT_V1).putLong(b.logAppendTime()).put(b.batch());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) {
      throw new NotSerializableException("unknown manifest '" + manifest + "' for BatchAppendedSerializer");
    }
    if (bytes.length < HEADER || bytes[0] != FORMAT_V1) {
      throw new NotSerializableException("not a v1 BatchAppended (" + bytes.length + " bytes)");
    }
    return read(ByteBuffer.wrap(bytes));
  }

  /** The Kafka batch inside a v1 {@link BatchAppended}'s binary form, as a view (no copy). */
  public static ByteBuffer batchRegion(ByteBuffer serialized) {
    ByteBuffer b = serialized.duplicate();
    if (b.remaining() < HEADER || b.get(b.position()) != FORMAT_V1) {
      throw new IllegalStateException("not a v1 BatchAppended (" + serialized.remaining() + " bytes)");
    }
    b.position(b.position() + HEADER);
    return b.slice();
  }

  /** The log-append time of a v1 {@link BatchAppended}'s binary form, without copying its batch. */
  public static long logAppendTime(ByteBuffer serialized) {
    if (serialized.remaining() < HEADER || serialized.get(serialized.position()) != FORMAT_V1) {
      throw new IllegalStateException("not a v1 BatchAppended (" + serialized.remaining() + " bytes)");
    }
    return serialized.getLong(serialized.position() + 1);
  }

  /**
   * Reads a v1 {@link BatchAppended} from {@code buf} (its remaining bytes), copying the batch
   * once. The read side uses this straight on stored journal entries.
   */
  public static BatchAppended read(ByteBuffer buf) throws NotSerializableException {
    ByteBuffer b = buf.duplicate();
    if (b.remaining() < HEADER || b.get() != FORMAT_V1) {
      throw new NotSerializableException("not a v1 BatchAppended (" + buf.remaining() + " bytes)");
    }
    long appendTime = b.getLong();
    byte[] batch = new byte[b.remaining()];
    b.get(batch);
    return new BatchAppended(appendTime, batch);
  }
}
