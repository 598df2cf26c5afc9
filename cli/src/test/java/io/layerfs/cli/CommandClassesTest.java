package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a command loads in a fresh JVM of its own, as a user's command runs (issue 15: a command
 * pays for each class it loads and initialises). The JDK's classes count too, so the command runs
 * in a child JVM on this test's class path, its class loading logged.
 */
class CommandClassesTest {
  /** Finding the system's zone reads the time zone database; formatting builds java.time's. */
  private static final List<String> ZONE_AND_FORMATS = List.of(
      "sun.util.calendar.ZoneInfoFile", "java.time.format.DateTimeFormatterBuilder");

  @TempDir Path dir;
  private String store;

  @BeforeEach
  void aContainer() throws IOException {
    Path storeDir = dir.resolve("store");
    store = storeDir.toString();
    ContentStore content = ContentStore.open(storeDir);
    ImageBuilder.create(content.root()).created(Instant.EPOCH).dir("/etc")
        .file("/etc/motd", "hello\n").build("base:1");
    assertEquals(0, Cli.run("--store", store, "create", "web", "base:1").code());
  }

  @Test
  void psPrintsItsTableWithoutTheSystemsZoneOrATimeFormatter() throws Exception {
    Set<String> table = loadedBy("ps");
    for (String name : ZONE_AND_FORMATS) {
      assertFalse(table.contains(name), name + " loaded by ps");
    }
    // the control: JSON's CreatedAt is a local time, so the same check sees them there
    Set<String> json = loadedBy("ps", "--format", "json");
    for (String name : ZONE_AND_FORMATS) {
      assertTrue(json.contains(name), name + " not loaded by ps --format json");
    }
  }

  /** The classes a child JVM running {@code layerfs --store STORE ARGS} loaded. */
  private Set<String> loadedBy(String... args) throws IOException, InterruptedException {
    List<String> line = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xshare:auto", "-Xlog:class+load=info:stdout:uptime",
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--store", store));
    line.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(line).redirectErrorStream(true);
    pb.environment().remove("TZ"); // the system's zone, as a user's shell mostly leaves it
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the command did not end");
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("web"), out);
    return out.lines().filter(l -> l.contains(" source: "))
        .map(l -> l.substring(l.indexOf("] ") + 2, l.indexOf(" source: ")).strip())
        .collect(Collectors.toSet());
  }
}
