package dev.sluice.actors.registry;

/**
 * Kafka's rules for topic names ({@code org.apache.kafka.common.internals.Topic}): not empty,
 * not {@code "."} or {@code ".."}, at most {@value #MAX_LENGTH} characters, only ASCII letters,
 * digits, {@code '.'}, {@code '_'} and {@code '-'}. The messages are Kafka's own.
 *
 * <p>Kafka also refuses a name that differs from an existing one only by {@code '.'} versus
 * {@code '_'} (both map to the same metric names); {@link #collisionKey} gives the form to
 * compare.
 */
public final class TopicNames {
  /** Kafka's limit: 255 minus room for a partition suffix and a future-use marker. */
  public static final int MAX_LENGTH = 249;

  private TopicNames() {}

  /** Why {@code name} is not a legal topic name, or {@code null} if it is. */
  public static String problem(String name) {
    if (name == null) {
      return "Topic name is missing";
    }
    if (name.isEmpty()) {
      return "Topic name is illegal, it can't be empty";
    }
    if (name.equals(".") || name.equals("..")) {
      return "Topic name cannot be \".\" or \"..\"";
    }
    if (name.length() > MAX_LENGTH) {
      return "Topic name is illegal, it can't be longer than " + MAX_LENGTH + " characters, Topic name: " + name;
    }
    for (int i = 0; i < name.length(); i++) {
      if (!isLegalChar(name.charAt(i))) {
        return "Topic name \"" + name + "\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
      }
    }
    return null;
  }

  public static boolean isLegal(String name) {
    return problem(name) == null;
  }

  /** {@code name} with {@code '.'} replaced by {@code '_'}: two topics may not share this. */
  public static String collisionKey(String name) {
    return name.replace('.', '_');
  }

  private static boolean isLegalChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  }
}
