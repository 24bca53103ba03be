package dev.sluice.dsl.javadsl;

/**
 * Turns keys or values into bytes and back, as stream processors read and write topics and
 * store state. {@code null} stays {@code null}. See {@link Serdes} for the common ones.
 */
public interface Serde<T> {
  byte[] serialize(T value);

  T deserialize(byte[] bytes);
}
