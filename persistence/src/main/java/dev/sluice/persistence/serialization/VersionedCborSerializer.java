package dev.sluice.persistence.serialization;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Serializer id 7302 for {@link CborPersisted} events and snapshots.
 *
 * <pre>
 *   manifest: the class name
 *   bytes:    formatVersion:u8 (=1) | Jackson CBOR of the record
 * </pre>
 * Readers accept unknown fields, so a newer writer's extra fields do not break an older reader.
 */
public final class VersionedCborSerializer extends SerializerWithStringManifest {
  public static final int IDENTIFIER = 7302;
  static final byte FORMAT_V1 = 1;

  private final ObjectMapper mapper =
      new ObjectMapper(new CBORFactory())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .configure(SerializationFeature.FAIL_ON_EMPTY_BEANS, false);
  private final ConcurrentHashMap<String, Class<?>> classes = new ConcurrentHashMap<>();

  public VersionedCborSerializer(ExtendedActorSystem system) {}

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    return o.getClass().getName();
  }

  @Override
  public byte[] toBinary(Object o) {
    try {
      byte[] body = mapper.writeValueAsBytes(o);
      byte[] out = new byte[body.length + 1];
      out[0] = FORMAT_V1;
      System.arraycopy(body, 0, out, 1, body.length);
      return out;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass().getName() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (bytes.length == 0 || bytes[0] != FORMAT_V1) {
      throw new NotSerializableException(
          "unknown format version " + (bytes.length == 0 ? "(empty)" : bytes[0]) + " for " + manifest);
    }
    Class<?> type =
        classes.computeIfAbsent(
            manifest,
            m -> {
              try {
                return Class.forName(m, false, getClass().getClassLoader());
              } catch (ClassNotFoundException e) {
                return Void.class;
              }
            });
    if (type == Void.class || !CborPersisted.class.isAssignableFrom(type)) {
      throw new NotSerializableException("not a CborPersisted class: " + manifest);
    }
    try {
      return mapper.readValue(Arrays.copyOfRange(bytes, 1, bytes.length), type);
    } catch (IOException e) {
      NotSerializableException ex = new NotSerializableException("cannot read " + manifest + ": " + e.getMessage());
      ex.initCause(e);
      throw ex;
    }
  }
}
