package dev.sluice.persistence.partition;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The offset → journal-sequence index of a partition: one {@link BatchRef} per live batch, in
 * offset order. Immutable: {@link #append} and {@link #dropFirst} return a new index.
 *
 * <p>Entries live in fixed-size chunks shared between versions; an append copies only the last
 * (partial) chunk and, every {@value #CHUNK} appends, the array of chunk references. Dropping a
 * prefix drops whole chunks and moves a head position in the first. Lookups by offset or
 * timestamp are binary searches.
 */
public final class BatchIndex {
  static final int CHUNK = 256;
  private static final BatchIndex EMPTY = new BatchIndex(new BatchRef[0][], 0, 0);

  private final BatchRef[][] chunks; // every chunk but the last holds CHUNK entries
  private final int head; // first live entry in chunks[0]
  private final int size;

  private BatchIndex(BatchRef[][] chunks, int head, int size) {
    this.chunks = chunks;
    this.head = head;
    this.size = size;
  }

  public static BatchIndex empty() {
    return EMPTY;
  }

  @JsonCreator
  public static BatchIndex of(List<BatchRef> entries) {
    BatchIndex index = EMPTY;
    for (BatchRef r : entries) {
      index = index.append(r);
    }
    return index;
  }

  @JsonValue
  public List<BatchRef> entries() {
    List<BatchRef> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(get(i));
    }
    return out;
  }

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  public BatchRef get(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException("batch " + i + " of " + size);
    }
    int at = head + i;
    return chunks[at / CHUNK][at % CHUNK];
  }

  public BatchRef first() {
    return get(0);
  }

  public BatchRef last() {
    return get(size - 1);
  }

  /** Total stored bytes of the live batches. */
  public long sizeInBytes() {
    return size == 0 ? 0 : last().endPosition() - first().position();
  }

  /** A new index with {@code ref} appended; it must follow the last entry. */
  public BatchIndex append(BatchRef ref) {
    if (size > 0 && ref.baseOffset() != last().nextOffset()) {
      throw new IllegalArgumentException(
          "batch at offset " + ref.baseOffset() + " does not follow the last batch ending at " + last().lastOffset());
    }
    int total = head + size; // slots used across chunks
    BatchRef[][] newChunks;
    if (total % CHUNK == 0) {
      newChunks = Arrays.copyOf(chunks, chunks.length + 1);
      newChunks[chunks.length] = new BatchRef[] {ref};
    } else {
      newChunks = chunks.clone();
      BatchRef[] lastChunk = chunks[chunks.length - 1];
      BatchRef[] grown = Arrays.copyOf(lastChunk, lastChunk.length + 1);
      grown[lastChunk.length] = ref;
      newChunks[chunks.length - 1] = grown;
    }
    return new BatchIndex(newChunks, head, size + 1);
  }

  /** A new index without its first {@code n} entries. */
  public BatchIndex dropFirst(int n) {
    if (n <= 0) {
      return this;
    }
    if (n >= size) {
      return EMPTY;
    }
    int newHead = head + n;
    int dropChunks = newHead / CHUNK;
    return new BatchIndex(Arrays.copyOfRange(chunks, dropChunks, chunks.length), newHead % CHUNK, size - n);
  }

  /**
   * Position of the batch containing {@code offset}, or of the first batch after it when the
   * offset falls in a gap (there are none today: offsets are dense); -1 if {@code offset} is past
   * the last batch.
   */
  public int indexOf(long offset) {
    int lo = 0;
    int hi = size - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      BatchRef r = get(mid);
      if (r.lastOffset() < offset) {
        lo = mid + 1;
      } else {
        found = mid;
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Position of the first batch whose max timestamp is at or after {@code timestamp}, or -1. */
  public int indexOfTimestamp(long timestamp) {
    int lo = 0;
    int hi = size - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (get(mid).maxTimestampSoFar() >= timestamp) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BatchIndex other && entries().equals(other.entries());
  }

  @Override
  public int hashCode() {
    return entries().hashCode();
  }

  @Override
  public String toString() {
    return "BatchIndex[" + size + " batches" + (size == 0 ? "" : ", offsets " + first().baseOffset() + ".." + last().lastOffset()) + "]";
  }
}
