package dev.sluice.persistence.partition;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
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

  public static BatchIndex of(List<BatchRef> entries) {
    BatchIndex index = EMPTY;
    for (BatchRef r : entries) {
      index = index.append(r);
    }
    return index;
  }

  /**
   * The index as snapshots store it: a compact binary form (see {@link #pack}). Snapshots of a
   * partition hold its whole index, so this runs for every snapshot: a list of objects cost
   * ~10% of a produce-heavy node's CPU in Jackson; the packed form is a few bytes per batch.
   */
  @JsonValue
  public byte[] packed() {
    return pack();
  }

  /** Reads {@link #packed()}, or the list of entries that snapshots held before it. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static BatchIndex fromJson(JsonNode node) throws java.io.IOException {
    if (node.isBinary() || node.isTextual()) {
      return unpack(node.binaryValue());
    }
    List<BatchRef> refs = new ArrayList<>(node.size());
    for (JsonNode e : node) {
      refs.add(
          new BatchRef(
              e.get("baseOffset").asLong(), e.get("recordCount").asInt(), e.get("sequenceNr").asLong(),
              e.get("sizeInBytes").asInt(), e.get("maxTimestamp").asLong(), e.get("position").asLong(),
              e.get("maxTimestampSoFar").asLong()));
    }
    return of(refs);
  }

  /**
   * Entries as varints relative to what the previous entry implies: the gap between offsets
   * (0), the record count, the sequence-number step, the size, the timestamp change, and the
   * differences of position and running max timestamp from their implied values (0). The first
   * entry is relative to zeros.
   */
  byte[] pack() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(8 + size * 8);
    writeVarLong(out, size);
    long nextOffset = 0;
    long seq = 0;
    long ts = 0;
    long endPosition = 0;
    long maxSoFar = 0;
    for (int i = 0; i < size; i++) {
      BatchRef r = get(i);
      writeVarLong(out, zigzag(r.baseOffset() - nextOffset));
      writeVarLong(out, r.recordCount());
      writeVarLong(out, zigzag(r.sequenceNr() - seq));
      writeVarLong(out, r.sizeInBytes());
      writeVarLong(out, zigzag(r.maxTimestamp() - ts));
      writeVarLong(out, zigzag(r.position() - endPosition));
      long impliedMax = i == 0 ? r.maxTimestamp() : Math.max(maxSoFar, r.maxTimestamp());
      writeVarLong(out, zigzag(r.maxTimestampSoFar() - impliedMax));
      nextOffset = r.nextOffset();
      seq = r.sequenceNr();
      ts = r.maxTimestamp();
      endPosition = r.endPosition();
      maxSoFar = r.maxTimestampSoFar();
    }
    return out.toByteArray();
  }

  static BatchIndex unpack(byte[] bytes) {
    java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
    long n = readVarLong(in);
    List<BatchRef> refs = new ArrayList<>((int) n);
    long nextOffset = 0;
    long seq = 0;
    long ts = 0;
    long endPosition = 0;
    long maxSoFar = 0;
    for (long i = 0; i < n; i++) {
      long base = nextOffset + unzigzag(readVarLong(in));
      int count = (int) readVarLong(in);
      long sequenceNr = seq + unzigzag(readVarLong(in));
      int sizeInBytes = (int) readVarLong(in);
      long maxTimestamp = ts + unzigzag(readVarLong(in));
      long position = endPosition + unzigzag(readVarLong(in));
      long impliedMax = i == 0 ? maxTimestamp : Math.max(maxSoFar, maxTimestamp);
      long maxTimestampSoFar = impliedMax + unzigzag(readVarLong(in));
      BatchRef r = new BatchRef(base, count, sequenceNr, sizeInBytes, maxTimestamp, position, maxTimestampSoFar);
      refs.add(r);
      nextOffset = r.nextOffset();
      seq = sequenceNr;
      ts = maxTimestamp;
      endPosition = r.endPosition();
      maxSoFar = maxTimestampSoFar;
    }
    if (in.hasRemaining()) {
      throw new IllegalArgumentException("a packed batch index has " + in.remaining() + " bytes left over");
    }
    return of(refs);
  }

  private static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  private static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  private static void writeVarLong(java.io.ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static long readVarLong(java.nio.ByteBuffer in) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("a varint in a packed batch index is too long");
  }

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

  /**
   * Position of the last batch of a read that starts with batch {@code from} and takes at most
   * {@code maxBytes} (batch {@code from} itself always, as a fetch returns its first batch whole).
   */
  public int lastWithin(int from, long maxBytes) {
    long position = get(from).position();
    long limit = maxBytes >= Long.MAX_VALUE - position ? Long.MAX_VALUE : position + Math.max(0, maxBytes);
    int lo = from + 1;
    int hi = size - 1;
    int found = from;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (get(mid).endPosition() <= limit) {
        found = mid;
        lo = mid + 1;
      } else {
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
