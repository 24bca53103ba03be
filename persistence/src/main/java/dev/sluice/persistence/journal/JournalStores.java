package dev.sluice.persistence.journal;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * Per-ActorSystem registry of the open {@link LevelDbLog}s, by journal plugin id, so the
 * partition read side can read stored batches straight from the log the journal plugin writes.
 * The plugin registers its log when it starts and removes it when it stops.
 */
public final class JournalStores implements Extension {
  private static final Id ID = new Id();

  private final ConcurrentHashMap<String, LevelDbLog> logs = new ConcurrentHashMap<>();

  public static JournalStores get(ActorSystem system) {
    return ID.get(system);
  }

  void register(String pluginId, LevelDbLog log) {
    logs.put(pluginId, log);
  }

  void unregister(String pluginId, LevelDbLog log) {
    logs.remove(pluginId, log);
  }

  /** The log of the Sluice journal plugin with that id, if it is running in this system. */
  public Optional<LevelDbLog> log(String pluginId) {
    return Optional.ofNullable(logs.get(pluginId));
  }

  private static final class Id extends AbstractExtensionId<JournalStores> {
    @Override
    public JournalStores createExtension(ExtendedActorSystem system) {
      return new JournalStores();
    }
  }
}
