package dev.sluice.dsl.javadsl;

/** A key within an event-time window {@code [start, end)} (epoch milliseconds). */
public record Windowed<K>(K key, long start, long end) {}
