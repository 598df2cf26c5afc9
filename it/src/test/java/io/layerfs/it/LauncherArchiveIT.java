package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher the build made ({@code cli/target/layerfs}) runs its commands from its class data
 * sharing archive: no class of layerfs or its libraries is read from the jar, whose opening indexes
 * its 14,000 entries (about 20 ms of a fresh JVM). A pull of an image with a layer above the step
 * at which a download is written back to the disk (8 MiB) loaded the writeback's class from the
 * jar until the archive's training pulled such a layer too.
 */
final class LauncherArchiveIT {
  @TempDir Path work;

  @Test
  void aPullAndTheReadOnlyCommandsLoadNoClassFromTheJar() throws Exception {
    Path store = work.resolve("store");
    LayerfsCli.run(store, "demo"); // given a store, the demo leaves its images there
    Path big = work.resolve("big");
    byte[] random = new byte[9 << 20];
    new Random(7).nextBytes(random);
    Files.write(big, random);
    LayerfsCli.run(store, "cp", big.toString(), "demo:/big");
    LayerfsCli.run(store, "commit", "--compression", "none", "demo", "big:1");
    String reference = TestRegistry.address() + "/launcher-archive/big:1";
    LayerfsCli.run(store, "push", "--tls-verify=false", "big:1", reference);

    Path pulled = work.resolve("pulled");
    assertFromTheArchive(launch("pull", pulled, "--tls-verify=false", reference));
    assertFromTheArchive(launch("images", pulled));
    assertFromTheArchive(launch("cat", pulled, reference, "/big"));
    assertEquals(random.length, Files.size(work.resolve("cat.out")));
    assertFromTheArchive(launch("ps", store));
  }

  private static void assertFromTheArchive(List<String> loaded) {
    assertTrue(loaded.stream().anyMatch(l -> l.contains("io.layerfs.cli.Main source: shared")),
        "the launcher ran without its archive: " + loaded.stream().filter(
            l -> l.contains("io.layerfs.cli.Main ")).toList());
    List<String> fromJar = loaded.stream().filter(l -> l.contains("layerfs.jar")).toList();
    assertEquals(List.of(), fromJar, "classes read from the jar");
  }

  /**
   * Runs {@code cli/target/layerfs --store STORE COMMAND ARGS} with the JVM the launcher's
   * archive was made by (the record beside it says which); returns its class loading log.
   */
  private List<String> launch(String command, Path store, String... args)
      throws IOException, InterruptedException {
    Path jar = Path.of(System.getProperty("layerfs.cli.jar"));
    Path launcher = jar.resolveSibling("layerfs");
    Path record = jar.resolveSibling("layerfs.jsa.for");
    assertTrue(Files.isRegularFile(record), "no class data sharing archive beside the launcher"
        + " (the build writes why in " + jar.resolveSibling("layerfs.jsa.log") + ")");
    Path java = Path.of(Files.readAllLines(record).get(0));
    Path log = Files.createTempFile(work, command, ".log");
    List<String> line = new ArrayList<>(List.of(launcher.toString(), "--store", store.toString(),
        command));
    line.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(line).redirectErrorStream(true)
        .redirectOutput(work.resolve(command + ".out").toFile());
    pb.environment().put("JAVA_HOME", java.getParent().getParent().toString());
    pb.environment().put("LAYERFS_JAVA_OPTS", "-Xlog:class+load=info:file=" + log);
    pb.environment().remove("LAYERFS_NO_CDS");
    Process p = pb.start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), command + " did not end");
    if (p.exitValue() != 0) { // stdout may be a file's bytes: one char per byte
      String out = new String(Files.readAllBytes(work.resolve(command + ".out")),
          StandardCharsets.ISO_8859_1);
      assertEquals(0, p.exitValue(), command + ": " + out);
    }
    return Files.readAllLines(log);
  }
}
