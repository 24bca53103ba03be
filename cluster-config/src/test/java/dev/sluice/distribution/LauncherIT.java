package dev.sluice.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, for real: {@code bin/sluice node} starts a node from the packaged
 * distribution with the embedded LevelDB journal, and SIGTERM stops it cleanly.
 */
class LauncherIT {
  @TempDir Path tmp;

  @Test
  void startsANodeAndStopsItCleanlyOnSigterm() throws Exception {
    Path dataDir = tmp.resolve("nested").resolve("data");
    Process node =
        new ProcessBuilder("bash", "bin/sluice", "node", "--data-dir", dataDir.toString(), "--cluster-port", "0", "--kafka-port", "0")
            .redirectErrorStream(true)
            .start();
    StringBuffer output = new StringBuffer();
    CountDownLatch started = new CountDownLatch(1);
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader r = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  output.append(line).append('\n');
                  if (line.contains("Sluice node 1 started")) {
                    started.countDown();
                  }
                }
              } catch (Exception ignored) {
                // process ended
              }
            });
    reader.start();
    try {
      assertTrue(started.await(60, TimeUnit.SECONDS), "the node did not start within 60 s:\n" + output);
      assertTrue(output.toString().contains("Opened journal"), "the journal is opened during the start:\n" + output);
      assertTrue(Files.isDirectory(dataDir.resolve("journal")), "journal directory created with its parents");
      assertEquals("1", Files.readString(dataDir.resolve("node.id")).trim());
    } finally {
      new ProcessBuilder("kill", "-TERM", Long.toString(node.pid())).start().waitFor(10, TimeUnit.SECONDS);
      assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the node did not stop within 60 s of SIGTERM:\n" + output);
      reader.join(10_000);
    }
    assertTrue(output.toString().contains("Closed journal"), "coordinated shutdown closes the journal:\n" + output);
  }

  @Test
  void helpListsTheOptions() throws Exception {
    Process help = new ProcessBuilder("bash", "bin/sluice", "--help").redirectErrorStream(true).start();
    String out = new String(help.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(help.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, help.exitValue(), out);
    for (String option : new String[] {"node", "--data-dir", "--node-id", "--kafka-port", "--config"}) {
      assertTrue(out.contains(option), "help mentions " + option + ":\n" + out);
    }
  }
}
