package dev.sluice.dsl.javadsl;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Common {@link Serde}s, byte-compatible with Kafka's own serializers (UTF-8 strings, big-endian
 * 8-byte longs and 4-byte ints), so processors and Kafka clients read each other's records.
 */
public final class Serdes {
  private Serdes() {}

  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

  public static Serde<String> string() {
    return new Serde<>() {
      @Override
      public byte[] serialize(String v) {
        return v == null ? null : v.getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public String deserialize(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
      }
    };
  }

  public static Serde<Long> longs() {
    return new Serde<>() {
      @Override
      public byte[] serialize(Long v) {
        return v == null ? null : ByteBuffer.allocate(8).putLong(v).array();
      }

      @Override
      public Long deserialize(byte[] b) {
        if (b == null) {
          return null;
        }
        if (b.length != 8) {
          throw new IllegalArgumentException("a long needs 8 bytes, got " + b.length);
        }
        return ByteBuffer.wrap(b).getLong();
      }
    };
  }

  public static Serde<Integer> integers() {
    return new Serde<>() {
      @Override
      public byte[] serialize(Integer v) {
        return v == null ? null : ByteBuffer.allocate(4).putInt(v).array();
      }

      @Override
      public Integer deserialize(byte[] b) {
        if (b == null) {
          return null;
        }
        if (b.length != 4) {
          throw new IllegalArgumentException("an int needs 4 bytes, got " + b.length);
        }
        return ByteBuffer.wrap(b).getInt();
      }
    };
  }

  public static Serde<byte[]> bytes() {
    return new Serde<>() {
      @Override
      public byte[] serialize(byte[] v) {
        return v;
      }

      @Override
      public byte[] deserialize(byte[] b) {
        return b;
      }
    };
  }

  /** JSON with Jackson, for records and plain Java objects. */
  public static <T> Serde<T> json(Class<T> type) {
    return new Serde<>() {
      @Override
      public byte[] serialize(T v) {
        try {
          return v == null ? null : JSON.writeValueAsBytes(v);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public T deserialize(byte[] b) {
        try {
          return b == null ? null : JSON.readValue(b, type);
        } catch (IOException e) {
          throw new UncheckedIOException("not a JSON " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
      }
    };
  }

  /**
   * Window keys as Kafka Streams' time-windowed serde writes them: the key's bytes followed by
   * the window start (8 bytes, big-endian); the end is start + {@code size}.
   */
  public static <K> Serde<Windowed<K>> windowed(Serde<K> inner, Duration size) {
    long sizeMs = size.toMillis();
    return new Serde<>() {
      @Override
      public byte[] serialize(Windowed<K> w) {
        if (w == null) {
          return null;
        }
        byte[] k = inner.serialize(w.key());
        int n = k == null ? 0 : k.length;
        ByteBuffer b = ByteBuffer.allocate(n + 8);
        if (k != null) {
          b.put(k);
        }
        return b.putLong(w.start()).array();
      }

      @Override
      public Windowed<K> deserialize(byte[] b) {
        if (b == null) {
          return null;
        }
        if (b.length < 8) {
          throw new IllegalArgumentException("a windowed key needs at least 8 bytes, got " + b.length);
        }
        byte[] k = new byte[b.length - 8];
        System.arraycopy(b, 0, k, 0, k.length);
        long start = ByteBuffer.wrap(b, k.length, 8).getLong();
        return new Windowed<>(inner.deserialize(k), start, start + sizeMs);
      }
    };
  }
}
