package dev.sluice.persistence;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * Loads a Sluice node's configuration, in layers, the first winning:
 * <ol>
 *   <li>{@code userConfig} (command-line options, a {@code --config} file);</li>
 *   <li>{@code application.conf} (and {@code -Dconfig.file}), as Typesafe Config does;</li>
 *   <li>every {@code sluice-node-defaults.conf} on the classpath: what Sluice changes in other
 *       libraries' defaults (journal plugin, cluster provider, ...);</li>
 *   <li>every {@code reference.conf}.</li>
 * </ol>
 * Layer 3 exists because a library's {@code reference.conf} cannot reliably override another
 * library's: among reference files the first on the classpath wins.
 */
public final class SluiceConfig {
  /** The resource name of layer 3. */
  public static final String NODE_DEFAULTS = "sluice-node-defaults.conf";

  private SluiceConfig() {}

  public static Config load(Config userConfig) {
    return ConfigFactory.load(
        userConfig
            .withFallback(ConfigFactory.defaultApplication())
            .withFallback(ConfigFactory.parseResources(NODE_DEFAULTS)));
  }
}
