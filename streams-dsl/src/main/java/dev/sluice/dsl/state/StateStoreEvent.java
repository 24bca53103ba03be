package dev.sluice.dsl.state;

import dev.sluice.persistence.serialization.CborPersisted;
import java.util.List;

/**
 * What a processor state store journals: one event per flushed batch of a stream processor's
 * partition. {@code inputOffset} is the offset of the last input record whose effect the batch
 * contains, so after a restart records up to it are not applied twice. Versioned CBOR (id 7302).
 */
public sealed interface StateStoreEvent extends CborPersisted permits StateStoreEvent.Updated, StateStoreEvent.Claimed, StateStoreEvent.Snapshot {

  /** A key's new value; {@code value} null deletes the key. */
  record Entry(byte[] key, byte[] value) {}

  /**
   * For input that went through a repartition topic: the position of the last applied record in
   * the partition it came from ({@code source} = topic/partition), as (offset, index of the
   * record among that input's outputs). Upstream replays write records again at new offsets;
   * their origin positions show they were applied already.
   */
  record Mark(String source, long offset, int index) {
    public boolean covers(long o, int i) {
      return o < offset || (o == offset && i <= index);
    }
  }

  /** Changes of one batch: entries in order (a later entry for a key wins). */
  record Updated(long inputOffset, long streamTime, List<Entry> entries, List<Mark> marks) implements StateStoreEvent {
    public Updated {
      entries = entries == null ? List.of() : List.copyOf(entries);
      marks = marks == null ? List.of() : List.copyOf(marks);
    }
  }

  /**
   * A processor took over the store (it was assigned the partition) and holds write epoch
   * {@code epoch}: writes of earlier holders are refused from now on.
   */
  record Claimed(long epoch) implements StateStoreEvent {}

  /** The whole store, as its snapshot. */
  record Snapshot(long inputOffset, long streamTime, long epoch, List<Entry> entries, List<Mark> marks) implements StateStoreEvent {
    public Snapshot {
      entries = entries == null ? List.of() : List.copyOf(entries);
      marks = marks == null ? List.of() : List.copyOf(marks);
    }
  }
}
