package dev.sluice.dsl.javadsl;

/** A key and a value, as stream processors pass them on. */
public record KeyValue<K, V>(K key, V value) {
  public static <K, V> KeyValue<K, V> of(K key, V value) {
    return new KeyValue<>(key, value);
  }
}
