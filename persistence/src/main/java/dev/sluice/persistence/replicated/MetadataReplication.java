package dev.sluice.persistence.replicated;

import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.cluster.ClusterActorRefProvider;
import org.apache.pekko.cluster.ddata.DistributedData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts Distributed Data's Replicator (and with it the durable store, which loads this node's
 * replicated metadata from disk) when the node starts, on every cluster node.
 *
 * <p>Every node must run a Replicator to hold its replica and acknowledge majority writes, also a
 * node on which no metadata entity ever ran; Pekko would otherwise start it only on first use.
 * Listed in {@code pekko.extensions} by {@code sluice-node-defaults.conf}. On an ActorSystem
 * without the cluster provider (some tests) it does nothing, where Distributed Data would refuse
 * to start and fail the system.
 */
public final class MetadataReplication extends AbstractExtensionId<MetadataReplication.Started> {
  private static final Logger LOG = LoggerFactory.getLogger(MetadataReplication.class);

  /** The extension instance: whether this system runs a Replicator. */
  public record Started(boolean replicating) implements Extension {}

  @Override
  public Started createExtension(ExtendedActorSystem system) {
    if (system.provider() instanceof ClusterActorRefProvider) {
      DistributedData.get(system);
      return new Started(true);
    }
    LOG.debug("{} is not a cluster node: no replicated metadata", system.name());
    return new Started(false);
  }
}
