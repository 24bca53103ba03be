package dev.sluice.dsl.javadsl;

import dev.sluice.persistence.batch.LogRecord;

/** One record as a DSL consumer emits it: where it comes from, and the record. */
public record ConsumerRecord(String topic, int partition, LogRecord record) {
  public long offset() {
    return record.offset();
  }
}
