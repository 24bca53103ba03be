package dev.sluice.persistence.partition;

import java.util.ArrayList;
import java.util.List;

/**
 * What a partition remembers of one idempotent producer (Kafka's producer state): its epoch,
 * the last sequence number it wrote, and the sequence ranges and offsets of its newest batches,
 * so a retried batch is answered with its original offset instead of being stored twice.
 * Immutable.
 */
public record ProducerState(short epoch, int lastSequence, List<WrittenBatch> recent) {
  /** Kafka keeps the newest five batches per producer (max.in.flight.requests.per.connection). */
  public static final int RECENT_BATCHES = 5;

  /** One batch a producer wrote: its sequence range and where it was stored. */
  public record WrittenBatch(int firstSequence, int lastSequence, long baseOffset) {}

  public ProducerState {
    recent = recent == null ? List.of() : List.copyOf(recent);
  }

  /** The batch with exactly this sequence range, if it is among the newest ones. */
  public WrittenBatch duplicateOf(int firstSequence, int lastSequence) {
    for (WrittenBatch b : recent) {
      if (b.firstSequence() == firstSequence && b.lastSequence() == lastSequence) {
        return b;
      }
    }
    return null;
  }

  /** The state after the producer wrote another batch (with this or a newer epoch). */
  public ProducerState written(short newEpoch, int firstSequence, int lastSequence, long baseOffset) {
    List<WrittenBatch> next = new ArrayList<>(RECENT_BATCHES);
    if (newEpoch == epoch) {
      next.addAll(recent.size() >= RECENT_BATCHES ? recent.subList(recent.size() - RECENT_BATCHES + 1, recent.size()) : recent);
    }
    next.add(new WrittenBatch(firstSequence, lastSequence, baseOffset));
    return new ProducerState(newEpoch, lastSequence, next);
  }

  /** The last sequence number of a batch of {@code count} records starting at {@code first}. */
  public static int lastSequence(int first, int count) {
    return (int) ((first + (long) count - 1) % (Integer.MAX_VALUE + 1L));
  }

  /** The sequence number that follows {@code sequence} (sequences wrap at Integer.MAX_VALUE). */
  public static int nextSequence(int sequence) {
    return sequence == Integer.MAX_VALUE ? 0 : sequence + 1;
  }
}
