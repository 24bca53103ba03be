package dev.sluice.persistence.batch;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One record of a partition's log, as producers write it and consumers read it: key, value,
 * headers, timestamp and (when read back) its offset. Key and value may be null.
 */
public record LogRecord(long offset, long timestamp, byte[] key, byte[] value, List<Header> headers) {

  /** A record header; Kafka allows duplicate keys and null values. */
  public record Header(String key, byte[] value) {
    public Header {
      Objects.requireNonNull(key, "header key");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Header h && key.equals(h.key) && Arrays.equals(value, h.value);
    }

    @Override
    public int hashCode() {
      return 31 * key.hashCode() + Arrays.hashCode(value);
    }
  }

  public LogRecord {
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  /** A record to append (the offset is assigned by the partition). */
  public static LogRecord of(long timestamp, byte[] key, byte[] value, List<Header> headers) {
    return new LogRecord(-1L, timestamp, key, value, headers);
  }

  public static LogRecord of(long timestamp, byte[] key, byte[] value) {
    return new LogRecord(-1L, timestamp, key, value, List.of());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LogRecord r
        && offset == r.offset
        && timestamp == r.timestamp
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value)
        && headers.equals(r.headers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(offset, timestamp, Arrays.hashCode(key), Arrays.hashCode(value), headers);
  }

  @Override
  public String toString() {
    return "LogRecord[offset=" + offset + ", timestamp=" + timestamp
        + ", key=" + (key == null ? "null" : key.length + "B")
        + ", value=" + (value == null ? "null" : value.length + "B")
        + ", headers=" + headers.size() + "]";
  }
}
