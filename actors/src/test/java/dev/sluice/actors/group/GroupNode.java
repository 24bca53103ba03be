package dev.sluice.actors.group;

import dev.sluice.persistence.testkit.TestSystems;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A one-node cluster with group coordinators and the group directory on a real journal in
 * {@code dataDir}, plus helpers that send a command and wait boundedly for its reply.
 */
final class GroupNode implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(15);
  final ActorTestKit kit;

  GroupNode(Path dataDir, String extraConfig, Clock clock) {
    kit = TestSystems.oneNodeCluster("group-test", dataDir, extraConfig);
    GroupDirectory.init(kit.system());
    GroupCoordinator.init(kit.system(), GroupSettings.fromConfig(kit.system().settings().config()), clock);
  }

  GroupNode(Path dataDir, String extraConfig) {
    this(dataDir, extraConfig, Clock.systemUTC());
  }

  /** Sends the command; the probe receives the reply (held replies arrive later). */
  <R> TestProbe<R> send(String groupId, Class<R> replyType, Function<ActorRef<R>, GroupProtocol.Command> command) {
    TestProbe<R> probe = kit.createTestProbe(replyType);
    GroupCoordinator.entityRef(kit.system(), groupId).tell(command.apply(probe.getRef()));
    return probe;
  }

  <R> R ask(String groupId, Class<R> replyType, Function<ActorRef<R>, GroupProtocol.Command> command) {
    return send(groupId, replyType, command).expectMessageClass(replyType, TIMEOUT);
  }

  GroupDirectory.GroupIds directory() {
    TestProbe<GroupDirectory.GroupIds> probe = kit.createTestProbe(GroupDirectory.GroupIds.class);
    GroupDirectory.entityRef(kit.system()).tell(new GroupDirectory.ListIds(probe.getRef()));
    return probe.expectMessageClass(GroupDirectory.GroupIds.class, TIMEOUT);
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
