package dev.sluice.actors.partition;

import dev.sluice.persistence.partition.BatchAppended;
import dev.sluice.persistence.partition.BatchIndex;
import dev.sluice.persistence.partition.BatchRef;
import dev.sluice.persistence.partition.ConfigChanged;
import dev.sluice.persistence.partition.LogTruncated;
import dev.sluice.persistence.partition.PartitionCreated;
import dev.sluice.persistence.partition.PartitionDeleted;
import dev.sluice.persistence.partition.PartitionEvent;
import dev.sluice.persistence.partition.PartitionFenced;
import dev.sluice.persistence.partition.TopicConfig;
import dev.sluice.persistence.partition.ProducerState;
import dev.sluice.persistence.serialization.CborPersisted;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The state of one partition, rebuilt from its events (and snapshotted): whether it exists,
 * its topic and configuration, the offset range, the offset → journal-sequence index, and the
 * journal sequence numbers that retention has released. Immutable; {@link #apply} is pure.
 *
 * @param sequenceNr journal sequence number of the last event applied (every event counts)
 * @param logStartOffset first readable offset
 * @param nextOffset offset the next appended record gets; also the high watermark
 * @param producers idempotent producers by producer id: epoch, last sequence, newest batches
 * @param releasedSequenceNr events up to this sequence number are no longer needed (deleted
 *     batches, or everything before a deletion) and may be removed from the journal once a
 *     snapshot covers them
 * @param fence set when this partition is moving (or moved) to another node: this copy of the log
 *     takes no more writes and serves no reads (null: not fenced)
 */
public record PartitionState(
    boolean exists,
    String topic,
    int partition,
    String topicId,
    TopicConfig config,
    long sequenceNr,
    long logStartOffset,
    long nextOffset,
    long endPosition,
    BatchIndex index,
    long releasedSequenceNr,
    Map<Long, ProducerState> producers,
    Fence fence)
    implements CborPersisted {

  /** This copy of the log was fenced at {@code sequenceNr} (the fence event's) for a move to {@code toNode}. */
  public record Fence(int toNode, long sequenceNr) {}

  public PartitionState {
    index = index == null ? BatchIndex.empty() : index;
    config = config == null ? TopicConfig.defaults() : config;
    producers = producers == null ? Map.of() : producers;
  }

  public static PartitionState empty() {
    return new PartitionState(false, null, -1, null, TopicConfig.defaults(), 0, 0, 0, 0, BatchIndex.empty(), 0, Map.of(), null);
  }

  /** Whether this copy of the log was fenced for a move to another node. */
  public boolean fenced() {
    return fence != null;
  }

  public long highWatermark() {
    return nextOffset;
  }

  public long sizeInBytes() {
    return index.sizeInBytes();
  }

  /** The state after {@code event}, the journal's next event. */
  public PartitionState apply(PartitionEvent event) {
    long seq = sequenceNr + 1;
    if (event instanceof BatchAppended b) {
      return appended(b, seq);
    } else if (event instanceof PartitionCreated c) {
      if (exists) {
        return withSequenceNr(seq);
      }
      // A re-created partition continues its offsets, so no reader can mistake new data for old.
      return new PartitionState(
          true, c.topic(), c.partition(), c.topicId(), c.config(), seq, nextOffset, nextOffset, endPosition,
          BatchIndex.empty(), releasedSequenceNr, Map.of(), null);
    } else if (event instanceof ConfigChanged c) {
      return new PartitionState(
          exists, topic, partition, topicId, c.config(), seq, logStartOffset, nextOffset, endPosition, index,
          releasedSequenceNr, producers, fence);
    } else if (event instanceof LogTruncated t) {
      return truncated(t.newLogStartOffset(), seq);
    } else if (event instanceof PartitionDeleted) {
      return new PartitionState(
          false, topic, partition, null, TopicConfig.defaults(), seq, nextOffset, nextOffset, endPosition,
          BatchIndex.empty(), seq, Map.of(), null);
    } else if (event instanceof PartitionFenced f) {
      return new PartitionState(
          exists, topic, partition, topicId, config, seq, logStartOffset, nextOffset, endPosition, index,
          releasedSequenceNr, producers, new Fence(f.toNode(), seq));
    }
    throw new IllegalStateException("unknown partition event " + event);
  }

  private PartitionState withSequenceNr(long seq) {
    return new PartitionState(
        exists, topic, partition, topicId, config, seq, logStartOffset, nextOffset, endPosition, index,
        releasedSequenceNr, producers, fence);
  }

  private PartitionState appended(BatchAppended b, long seq) {
    long maxTs = b.maxTimestamp();
    long soFar = index.isEmpty() ? maxTs : Math.max(index.last().maxTimestampSoFar(), maxTs);
    BatchRef ref =
        new BatchRef(b.baseOffset(), b.offsetCount(), seq, b.sizeInBytes(), maxTs, endPosition, soFar);
    Map<Long, ProducerState> nextProducers = producers;
    long producerId = b.producerId();
    if (producerId >= 0) {
      ProducerState before = producers.get(producerId);
      ProducerState after =
          (before == null ? new ProducerState(b.producerEpoch(), -1, List.of()) : before)
              .written(b.producerEpoch(), b.baseSequence(), ProducerState.lastSequence(b.baseSequence(), b.offsetCount()), b.baseOffset());
      HashMap<Long, ProducerState> copy = new HashMap<>(producers);
      copy.put(producerId, after);
      nextProducers = Collections.unmodifiableMap(copy);
    }
    return new PartitionState(
        exists, topic, partition, topicId, config, seq, logStartOffset, ref.nextOffset(), ref.endPosition(),
        index.append(ref), releasedSequenceNr, nextProducers, fence);
  }

  private PartitionState truncated(long newStart, long seq) {
    int drop = 0;
    long released = releasedSequenceNr;
    while (drop < index.size() && index.get(drop).lastOffset() < newStart) {
      released = index.get(drop).sequenceNr();
      drop++;
    }
    return new PartitionState(
        exists, topic, partition, topicId, config, seq, Math.max(logStartOffset, newStart), nextOffset, endPosition,
        index.dropFirst(drop), released, producers, fence);
  }

  /**
   * The log start offset retention allows at {@code now}: the oldest batches go while their
   * newest timestamp is older than {@code retention.ms}, or while the log without them would
   * still hold at least {@code retention.bytes} (Kafka's rule). Returns {@link #logStartOffset}
   * when nothing is due.
   */
  public long retentionStartOffset(long now) {
    if (!config.delete()) {
      return logStartOffset; // a compacted topic without the delete policy keeps its log
    }
    long retentionMs = config.retentionMs();
    long retentionBytes = config.retentionBytes();
    long size = sizeInBytes();
    long start = logStartOffset;
    for (int i = 0; i < index.size(); i++) {
      BatchRef r = index.get(i);
      boolean expired = retentionMs >= 0 && r.maxTimestamp() < now - retentionMs;
      boolean oversize = retentionBytes >= 0 && size - r.sizeInBytes() >= retentionBytes;
      if (!expired && !oversize) {
        break;
      }
      size -= r.sizeInBytes();
      start = r.nextOffset();
    }
    return start;
  }
}
