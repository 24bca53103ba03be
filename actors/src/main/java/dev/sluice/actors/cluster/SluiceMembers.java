package dev.sluice.actors.cluster;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * How Sluice nodes are recognised among cluster members: each node carries the role {@code
 * sluice-node-<id>} (its stable node id) and, when its Kafka gateway is on, {@code
 * sluice-kafka-<host>:<port>} (the address clients are told to use).
 */
public final class SluiceMembers {
  private SluiceMembers() {}

  public static final String NODE_ROLE_PREFIX = "sluice-node-";
  public static final String KAFKA_ROLE_PREFIX = "sluice-kafka-";

  public static String nodeRole(int nodeId) {
    return NODE_ROLE_PREFIX + nodeId;
  }

  public static String kafkaRole(String host, int port) {
    return KAFKA_ROLE_PREFIX + host + ":" + port;
  }

  public static OptionalInt nodeId(Member m) {
    for (String role : m.getRoles()) {
      if (role.startsWith(NODE_ROLE_PREFIX)) {
        try {
          return OptionalInt.of(Integer.parseInt(role.substring(NODE_ROLE_PREFIX.length())));
        } catch (NumberFormatException e) {
          return OptionalInt.empty();
        }
      }
    }
    return OptionalInt.empty();
  }

  /** The member's Kafka gateway address as {@code host:port}, if it runs one. */
  public static Optional<String> kafkaAddress(Member m) {
    for (String role : m.getRoles()) {
      if (role.startsWith(KAFKA_ROLE_PREFIX)) {
        return Optional.of(role.substring(KAFKA_ROLE_PREFIX.length()));
      }
    }
    return Optional.empty();
  }

  /** Sluice nodes that are up (Up or WeaklyUp, not unreachable), by node id; the oldest member per id. */
  public static SortedMap<Integer, Member> upNodes(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    SortedMap<Integer, Member> nodes = new TreeMap<>();
    var unreachable = cluster.state().getUnreachable();
    for (Member m : cluster.state().getMembers()) {
      if ((m.status() == MemberStatus.up() || m.status() == MemberStatus.weaklyUp()) && !unreachable.contains(m)) {
        OptionalInt id = nodeId(m);
        if (id.isPresent()) {
          // two members claiming one id: the older one is the node (the younger shuts down)
          nodes.merge(id.getAsInt(), m, (a, b) -> a.isOlderThan(b) ? a : b);
        }
      }
    }
    return nodes;
  }

  /**
   * A node on its own: it formed its cluster by joining itself (no seed nodes) and no other
   * Sluice node is up. Everything it journals is on it.
   */
  public static boolean standalone(ActorSystem<?> system) {
    return system.settings().config().getList("pekko.cluster.seed-nodes").isEmpty() && upNodes(system).size() <= 1;
  }

  /** This node's id, from its roles (-1 if it carries none). */
  public static int selfNodeId(ActorSystem<?> system) {
    return nodeId(Cluster.get(system).selfMember()).orElse(-1);
  }

  /** The member at {@code address}, whatever its state. */
  public static Optional<Member> memberAt(ActorSystem<?> system, Address address) {
    Cluster cluster = Cluster.get(system);
    if (!address.hasGlobalScope()) {
      return Optional.of(cluster.selfMember());
    }
    for (Member m : cluster.state().getMembers()) {
      if (m.address().equals(address)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
