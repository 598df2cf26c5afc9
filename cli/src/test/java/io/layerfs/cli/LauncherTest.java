package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script (src/main/sh/layerfs): which JVM options it gives which command, run with
 * a stand-in {@code java} that prints the arguments it was given.
 */
class LauncherTest {
  private static final Path SCRIPT = Path.of("src/main/sh/layerfs");

  @TempDir
  Path dir;

  @Test
  void aPullRunsWithHigherCompileThresholds() throws Exception {
    List<String> args = launch("--store", "s", "pull", "--tls-verify=false", "host:5000/a:1");
    assertTrue(args.contains("-XX:CompileThresholdScaling=4"), args.toString());
    assertTrue(args.contains("--add-opens=java.net.http/jdk.internal.net.http=ALL-UNNAMED"),
        args.toString());
    assertEquals(List.of("io.layerfs.cli.Main", "--store", "s", "pull", "--tls-verify=false",
        "host:5000/a:1"), args.subList(args.indexOf("io.layerfs.cli.Main"), args.size()));
  }

  @Test
  void aPullCompilesSha256sIntrinsicsEarlyAndQuietly() throws Exception {
    List<String> args = launch("pull", "--format", "json", "host:5000/a:1");
    String sha = "sun.security.provider.";
    int quiet = args.indexOf("-XX:CompileCommand=quiet");
    int oneBlock = args.indexOf(
        "-XX:CompileCommand=CompileThresholdScaling," + sha + "SHA2::implCompress,0.01");
    int blocks = args.indexOf("-XX:CompileCommand=CompileThresholdScaling," + sha
        + "DigestBase::implCompressMultiBlock0,0.01");
    // quiet first: the JVM prints every other CompileCommand to stdout, the JSON's place
    assertTrue(quiet >= 0 && oneBlock > quiet && blocks > quiet, args.toString());
    assertTrue(blocks < args.indexOf("io.layerfs.cli.Main"), args.toString());
  }

  @Test
  void commandsThatMaySpeakTlsCompileTheCipherEarlyAndQuietly() throws Exception {
    String cipher = "-XX:CompileCommand=CompileThresholdScaling,com.sun.crypto.provider.*::*,0.01";
    for (List<String> command : List.of(List.of("pull", "h:1/a:1"), List.of("push", "a", "h/a"),
        List.of("import", "docker://h/a:1"), List.of("export", "a", "docker://h/a"),
        List.of("create", "--lazy", "h/a:1"), List.of("cat", "--lazy", "h/a:1", "/x"))) {
      List<String> args = launch(command.toArray(new String[0]));
      int quiet = args.indexOf("-XX:CompileCommand=quiet");
      assertTrue(quiet >= 0 && args.indexOf(cipher) > quiet
          && args.indexOf(cipher) < args.indexOf("io.layerfs.cli.Main"), command + ": " + args);
    }
    for (String command : List.of("ls", "commit", "images")) {
      assertFalse(launch(command, "x").contains(cipher), command);
    }
    assertFalse(launch("cat", "web", "/etc/x").contains(cipher), "cat without --lazy");
  }

  @Test
  void onlyAPullRunsTheSerialCollectorWithASmallYoungGeneration() throws Exception {
    List<String> pull = launch("pull", "--tls-verify=false", "host:5000/a:1");
    assertTrue(pull.contains("-XX:+UseSerialGC"), pull.toString());
    assertTrue(pull.contains("-Xmn16m"), pull.toString());
    // import of docker://REF is a pull, with a pull's flags
    List<String> fromRegistry = launch("import", "--tls-verify=false", "docker://host:5000/a:1");
    assertTrue(fromRegistry.contains("-XX:+UseSerialGC"), fromRegistry.toString());
    assertTrue(fromRegistry.contains("-XX:CompileThresholdScaling=4"), fromRegistry.toString());
    // the others keep G1, which alone maps the class data archive's heap objects on Java 17
    for (String command : List.of("push", "import", "ls", "commit", "images")) {
      List<String> args = launch(command, "x");
      assertFalse(args.stream().anyMatch(a -> a.contains("SerialGC") || a.startsWith("-Xmn")),
          command + ": " + args);
    }
  }

  @Test
  void otherCommandsKeepTheDefaultThresholds() throws Exception {
    for (String command : List.of("push", "import", "ls", "commit")) {
      List<String> args = launch(command, "x");
      assertFalse(args.stream().anyMatch(a -> a.startsWith("-XX:CompileThresholdScaling")),
          command + ": " + args);
    }
    for (String command : List.of("ls", "commit")) {
      assertFalse(launch(command, "x").stream().anyMatch(
          a -> a.startsWith("-XX:CompileCommand")), command);
    }
    // "pull" as the value of --store is not the command
    List<String> args = launch("--store", "pull", "ls");
    assertFalse(args.contains("-XX:CompileThresholdScaling=4"), args.toString());
    assertTrue(args.contains("-XX:TieredStopAtLevel=1"), args.toString());
  }

  @Test
  void dockersLongFormsGetTheFlagsOfTheCommandsTheyAre() throws Exception {
    List<String> pull = launch("--store", "s", "image", "pull", "host:5000/a:1");
    assertTrue(pull.contains("-XX:+UseSerialGC") && pull.contains(
        "--add-opens=java.net.http/jdk.internal.net.http=ALL-UNNAMED"), pull.toString());
    assertEquals(List.of("io.layerfs.cli.Main", "--store", "s", "image", "pull",
        "host:5000/a:1"), pull.subList(pull.indexOf("io.layerfs.cli.Main"), pull.size()));
    assertTrue(launch("image", "import", "docker://h/a:1").contains("-XX:+UseSerialGC"));
    assertTrue(launch("image", "ls").contains("-XX:TieredStopAtLevel=1"));
    assertTrue(launch("image", "inspect", "a:1").contains("-XX:TieredStopAtLevel=1"));
    assertTrue(launch("container", "ls").contains("-XX:TieredStopAtLevel=1"));
    assertTrue(launch("container", "create", "--lazy", "h/a:1").stream()
        .anyMatch(a -> a.startsWith("--add-opens")));
    List<String> prune = launch("image", "prune", "-f");
    assertFalse(prune.contains("-XX:TieredStopAtLevel=1") || prune.contains("-XX:+UseSerialGC"),
        prune.toString());
  }

  @Test
  void catLazyOpensTheHttpClientsInternalsAndPlainCatDoesNot() throws Exception {
    String opens = "--add-opens=java.net.http/jdk.internal.net.http=ALL-UNNAMED";
    List<String> lazy = launch("cat", "--lazy", "--tls-verify=false", "host:5000/a:1", "/etc/x");
    assertTrue(lazy.contains(opens), lazy.toString());
    assertTrue(lazy.contains("-XX:TieredStopAtLevel=1"), lazy.toString());
    assertEquals(List.of("io.layerfs.cli.Main", "cat", "--lazy", "--tls-verify=false",
        "host:5000/a:1", "/etc/x"), lazy.subList(lazy.indexOf("io.layerfs.cli.Main"),
        lazy.size()));
    List<String> plain = launch("cat", "web", "/etc/x");
    assertFalse(plain.contains(opens), plain.toString());
  }

  @Test
  void anArchiveThisJvmMadeForThisJarIsGivenAndLeftAtARandomAddress() throws Exception {
    archive();
    List<String> args = launch("images");
    int archive = args.indexOf(
        "-XX:SharedArchiveFile=" + dir.toRealPath().resolve("layerfs.jsa"));
    assertTrue(archive >= 0 && archive < args.indexOf("-cp"), args.toString());
    // the JDK's randomisation of the archive's address stays (README, CLI)
    assertTrue(args.stream().noneMatch(a -> a.contains("ArchiveRelocationMode")), args.toString());
  }

  @Test
  void anArchiveAnotherJvmMadeIsNotGiven() throws Exception {
    archive();
    Path record = dir.resolve("layerfs.jsa.for");
    List<String> lines = Files.readAllLines(record);
    lines.set(0, "/nonexistent/bin/java");
    Files.write(record, lines);
    List<String> args = launch("images");
    assertTrue(args.stream().noneMatch(a -> a.startsWith("-XX:SharedArchiveFile")),
        args.toString());
  }

  /**
   * Writes a jar, an archive newer than it and the archive's record (the JVM that made it and the
   * jar it was made for), as make-launcher.sh does.
   */
  private void archive() throws IOException {
    Path real = dir.toRealPath();
    Path jar = Files.writeString(real.resolve("layerfs.jar"), "");
    Path jsa = Files.writeString(real.resolve("layerfs.jsa"), "");
    Files.setLastModifiedTime(jar, FileTime.fromMillis(1_000_000_000_000L));
    Files.setLastModifiedTime(jsa, FileTime.fromMillis(1_000_000_100_000L));
    Files.write(real.resolve("layerfs.jsa.for"),
        List.of(real.resolve("jdk/bin/java").toString(), jar.toString()));
  }

  /** Runs the launcher, copied into a temp folder, with a stand-in JVM; returns its arguments. */
  private List<String> launch(String... command) throws IOException, InterruptedException {
    Path launcher = dir.resolve("layerfs");
    Files.copy(SCRIPT, launcher, StandardCopyOption.REPLACE_EXISTING);
    Path bin = Files.createDirectories(dir.resolve("jdk/bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    List<String> line = new ArrayList<>(List.of("sh", launcher.toString()));
    line.addAll(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(line).redirectErrorStream(true);
    pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
    pb.environment().remove("LAYERFS_JAVA_OPTS");
    pb.environment().remove("LAYERFS_NO_CDS");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the launcher did not end");
    assertEquals(0, p.exitValue(), out);
    return out.lines().toList();
  }
}
