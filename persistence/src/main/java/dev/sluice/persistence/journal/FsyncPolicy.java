package dev.sluice.persistence.journal;

import java.util.Locale;

/**
 * When the journal forces its writes to the storage device.
 *
 * <ul>
 *   <li>{@link #ALWAYS}: every group commit is fsynced before any write in it is acknowledged.
 *       An acknowledged append survives a power loss or kernel crash. Costs one device flush per
 *       group commit (group commit amortises it over every partition writing at that moment).</li>
 *   <li>{@link #NEVER}: writes reach the operating system's page cache before they are
 *       acknowledged and the kernel flushes them later. An acknowledged append survives a crash
 *       of the Sluice process (SIGKILL, OOM), but not a power loss of the machine. This is what
 *       Kafka does by default ({@code log.flush.interval.messages} unset), and the default here.</li>
 * </ul>
 */
public enum FsyncPolicy {
  ALWAYS,
  NEVER;

  /** Parses {@code always} / {@code never} (case-insensitive) with an error that names the setting. */
  public static FsyncPolicy parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "sluice.log.fsync must be 'always' or 'never', got '" + value + "'", e);
    }
  }
}
