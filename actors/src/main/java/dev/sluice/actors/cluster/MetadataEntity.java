package dev.sluice.actors.cluster;

import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;

/**
 * Base of the cluster's metadata entities (topic registry, producer-id allocator, group
 * directory, group coordinators): they journal to the replicated metadata journal and snapshot
 * store, so they may run on any node ({@link MetadataNode}), and a failed journal read or write
 * (no quorum in time) restarts them with backoff instead of stopping them.
 */
public abstract class MetadataEntity<C, E, S> extends EventSourcedBehaviorWithEnforcedReplies<C, E, S> {
  protected MetadataEntity(PersistenceId persistenceId) {
    super(persistenceId, MetadataNode.RESTART_ON_FAILURE);
  }

  @Override
  public final String journalPluginId() {
    return MetadataNode.JOURNAL;
  }

  @Override
  public final String snapshotPluginId() {
    return MetadataNode.SNAPSHOTS;
  }
}
