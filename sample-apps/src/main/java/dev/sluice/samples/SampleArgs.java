package dev.sluice.samples;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A sample app's command line: {@code --name value} options, {@code --flag}s and the remaining
 * words in order. Every app takes {@code --data-dir DIR} (default {@code ./sample-data/<app>}),
 * {@code --kafka-port P} (default 9092, 0 = any free port) and {@code --serve} (keep the node up
 * until Ctrl-C once the app's work is done).
 */
public record SampleArgs(String app, Map<String, String> options, Set<String> flags, List<String> words) {
  private static final Set<String> COMMON_OPTIONS = Set.of("--data-dir", "--kafka-port");
  private static final Set<String> COMMON_FLAGS = Set.of("--serve");

  /** Parses {@code args}; throws {@link IllegalArgumentException} with a message for the user. */
  public static SampleArgs parse(String app, String[] args, Set<String> appOptions, Set<String> appFlags) {
    Map<String, String> options = new HashMap<>();
    Set<String> flags = new HashSet<>();
    List<String> words = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (COMMON_FLAGS.contains(a) || appFlags.contains(a)) {
        flags.add(a);
      } else if (COMMON_OPTIONS.contains(a) || appOptions.contains(a)) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("option " + a + " needs a value");
        }
        options.put(a, args[++i]);
      } else if (a.startsWith("--")) {
        throw new IllegalArgumentException("unknown option " + a);
      } else {
        words.add(a);
      }
    }
    return new SampleArgs(app, Map.copyOf(options), Set.copyOf(flags), List.copyOf(words));
  }

  public Path dataDir() {
    return Path.of(options.getOrDefault("--data-dir", "sample-data/" + app));
  }

  public int kafkaPort() {
    return intOption("--kafka-port", 9092);
  }

  public boolean serve() {
    return flags.contains("--serve");
  }

  public boolean has(String flag) {
    return flags.contains(flag);
  }

  public Optional<String> option(String name) {
    return Optional.ofNullable(options.get(name));
  }

  public int intOption(String name, int orElse) {
    String v = options.get(name);
    if (v == null) {
      return orElse;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " needs a whole number, got '" + v + "'");
    }
  }

  /** A named text input: a file's lines, or a sample shipped with the apps. */
  public record Input(String name, List<String> lines) {}

  /** The lines of {@code --input FILE}, or of the bundled resource {@code sample} if none is given. */
  public Input input(String sample) {
    Optional<String> file = option("--input");
    try {
      if (file.isPresent()) {
        Path p = Path.of(file.get());
        return new Input(p.getFileName().toString(), Files.readAllLines(p, StandardCharsets.UTF_8));
      }
      try (InputStream in = SampleArgs.class.getResourceAsStream(sample)) {
        if (in == null) {
          throw new IllegalStateException("the bundled sample " + sample + " is missing from the classpath");
        }
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        return new Input(sample.substring(sample.lastIndexOf('/') + 1), text.lines().toList());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file.orElse(sample) + ": " + e.getMessage(), e);
    }
  }
}
