package dev.sluice.dsl.javadsl;

/** A record read in a consumer group, with the offset to commit once it has been processed. */
public record CommittableMessage(ConsumerRecord record, CommittableOffset committableOffset) {}
