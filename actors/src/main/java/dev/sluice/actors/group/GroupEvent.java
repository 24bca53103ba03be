package dev.sluice.actors.group;

import dev.sluice.actors.group.GroupCoordinatorState.CommittedOffset;
import dev.sluice.actors.group.GroupCoordinatorState.PartitionKey;
import dev.sluice.actors.group.GroupCoordinatorState.StoredMember;
import dev.sluice.persistence.serialization.CborPersisted;
import java.util.List;

/**
 * What a group's journal holds, like the records Kafka writes to {@code __consumer_offsets}:
 * the group's metadata whenever a generation is settled (or the group becomes empty), offset
 * commits and deletions, and the group's deletion. Membership changes in between (joins,
 * departures, rebalances in progress) are not journaled: after a restart the group resumes from
 * its last stored metadata and members rejoin as needed. Persisted as versioned CBOR (manifest =
 * class name): fields may be added, never renamed.
 */
public sealed interface GroupEvent extends CborPersisted
    permits GroupEvent.GroupMetadataStored,
        GroupEvent.OffsetsCommitted,
        GroupEvent.OffsetsDeleted,
        GroupEvent.OffsetsExpired,
        GroupEvent.GroupDeleted {

  /**
   * The group's metadata as of {@code timestampMillis}: its generation, protocol, leader and
   * members with their assignments. No members means the group became empty then.
   */
  record GroupMetadataStored(
      int generationId,
      String protocolType,
      String protocolName,
      String leaderId,
      List<StoredMember> members,
      long timestampMillis)
      implements GroupEvent {
    public GroupMetadataStored {
      members = members == null ? List.of() : List.copyOf(members);
    }
  }

  /** Offsets accepted from one OffsetCommit (each carries its commit time). */
  record OffsetsCommitted(List<CommittedOffset> offsets) implements GroupEvent {
    public OffsetsCommitted {
      offsets = offsets == null ? List.of() : List.copyOf(offsets);
    }
  }

  /** Offsets removed by an OffsetDelete request. */
  record OffsetsDeleted(List<PartitionKey> partitions) implements GroupEvent {
    public OffsetsDeleted {
      partitions = partitions == null ? List.of() : List.copyOf(partitions);
    }
  }

  /** Offsets removed because their retention passed while the group was empty. */
  record OffsetsExpired(List<PartitionKey> partitions, long atMillis) implements GroupEvent {
    public OffsetsExpired {
      partitions = partitions == null ? List.of() : List.copyOf(partitions);
    }
  }

  /** The group and all its offsets are gone ({@code reason}: DeleteGroups or expiry). */
  record GroupDeleted(String reason, long atMillis) implements GroupEvent {}
}
