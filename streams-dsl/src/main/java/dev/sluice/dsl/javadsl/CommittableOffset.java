package dev.sluice.dsl.javadsl;

/**
 * The position to commit after a record: its offset + 1, for its partition and group, tied to the
 * group generation in which the record was read. A commit from an older generation (the group
 * rebalanced since) is refused by the coordinator and skipped with a warning: the partition's new
 * owner reads those records again (at-least-once). Commit through {@link Committer}.
 */
public final class CommittableOffset {
  private final GroupMember member;
  private final TopicPartition partition;
  private final long offset;
  private final String memberId;
  private final int generation;

  CommittableOffset(GroupMember member, TopicPartition partition, long offset, String memberId, int generation) {
    this.member = member;
    this.partition = partition;
    this.offset = offset;
    this.memberId = memberId;
    this.generation = generation;
  }

  public String groupId() {
    return member.groupId();
  }

  public TopicPartition partition() {
    return partition;
  }

  /** The offset to commit: the next one to read (the record's offset + 1). */
  public long offset() {
    return offset;
  }

  public int generation() {
    return generation;
  }

  String memberId() {
    return memberId;
  }

  GroupMember member() {
    return member;
  }

  @Override
  public String toString() {
    return "CommittableOffset(" + member.groupId() + " " + partition + "@" + offset + " gen " + generation + ")";
  }
}
