package dev.sluice.dsl.javadsl;

/**
 * Where a produced record was stored: its partition and offset (-1 with {@code acks=0}), and
 * the message's context.
 */
public record ProducerResult<C>(String topic, int partition, long offset, C passThrough) {}
