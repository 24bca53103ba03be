package dev.sluice.engine.kafka;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordsSend;

/**
 * The records of one partition in a Fetch response as the buffers that already hold them, back
 * to back and uncopied: Kafka's response encoder ({@code SendBuilder}) writes a records field
 * that is not a {@link MemoryRecords} through its {@link #toSend()}, buffer by buffer. Only for
 * encoding a response; it cannot be iterated as records.
 */
final class BatchRope implements BaseRecords {
  private final ByteBuffer[] parts;
  private final int size;

  private BatchRope(ByteBuffer[] parts, int size) {
    this.parts = parts;
    this.size = size;
  }

  /** The buffers' remaining bytes, in order (one buffer needs no rope: it is its own records). */
  static BaseRecords of(List<ByteBuffer> buffers) {
    if (buffers.size() == 1) {
      return MemoryRecords.readableRecords(buffers.get(0).duplicate());
    }
    ByteBuffer[] parts = new ByteBuffer[buffers.size()];
    long size = 0;
    for (int i = 0; i < parts.length; i++) {
      parts[i] = buffers.get(i).duplicate();
      size += parts[i].remaining();
    }
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("records of " + size + " bytes do not fit a Fetch response");
    }
    return new BatchRope(parts, (int) size);
  }

  @Override
  public int sizeInBytes() {
    return size;
  }

  @Override
  public RecordsSend<BatchRope> toSend() {
    ByteBuffer[] pending = new ByteBuffer[parts.length];
    for (int i = 0; i < parts.length; i++) {
      pending[i] = parts[i].duplicate(); // a send consumes its buffers; the rope stays whole
    }
    return new RecordsSend<>(this, size) {
      private int next;

      @Override
      protected int writeTo(TransferableChannel channel, int previouslyWritten, int remaining) throws IOException {
        long written = 0;
        while (next < pending.length && written < remaining) {
          ByteBuffer b = pending[next];
          written += channel.write(b);
          if (b.hasRemaining()) {
            break; // the channel takes no more now
          }
          next++;
        }
        return (int) written;
      }
    };
  }
}
