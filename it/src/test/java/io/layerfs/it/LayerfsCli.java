package io.layerfs.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the {@code layerfs} command as a user does: {@code java -jar cli/target/layerfs.jar
 * --store STORE ARGS...} in a process of its own (the jar the build just made, named by the
 * system property {@code layerfs.cli.jar}). Another exit code than expected (0 unless said)
 * fails the test with its stderr.
 */
final class LayerfsCli {
  private LayerfsCli() {}

  /** How a command ended. */
  record Result(int exit, String stdout, String stderr) {}

  /** Runs the command and returns its standard output. */
  static String run(Path store, String... args) {
    return runExpecting(0, store, args);
  }

  /** Runs the command, which must exit with {@code exit}, and returns its standard output. */
  static String runExpecting(int exit, Path store, String... args) {
    return Tools.run(null, command(store, args), Tools.TIMEOUT_SECONDS, exit);
  }

  /** The tags {@code layerfs images} lists, its first column (untagged images left out). */
  static List<String> tags(Path store) {
    return run(store, "images").lines().skip(1).map(l -> l.split(" +")[0])
        .filter(t -> !t.equals("<none>")).toList();
  }

  /** Runs a command expected to fail, and returns how it ended whatever the exit code. */
  static Result runFailing(Path store, String... args) {
    return runWith(java.util.Map.of(), store, args);
  }

  /** As {@link #runFailing}, with more environment variables (such as {@code DOCKER_CONFIG}). */
  static Result runWith(java.util.Map<String, String> env, Path store, String... args) {
    return runWith(env, null, store, args);
  }

  /** As {@link #runFailing}, with the file {@code stdin} on standard input. */
  static Result runFailingFrom(Path stdin, Path store, String... args) {
    return runWith(java.util.Map.of(), stdin, store, args);
  }

  private static Result runWith(java.util.Map<String, String> env, Path stdin, Path store,
      String... args) {
    ProcessBuilder builder = new ProcessBuilder(command(store, args));
    if (stdin != null) {
      builder.redirectInput(stdin.toFile());
    }
    builder.environment().put("LC_ALL", "C.UTF-8");
    builder.environment().putAll(env);
    try {
      Path out = Files.createTempFile("layerfs-cli", ".out");
      Path err = Files.createTempFile("layerfs-cli", ".err");
      try {
        Process p = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.getOutputStream().close();
        if (!p.waitFor(300, java.util.concurrent.TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new AssertionError(String.join(" ", args) + " did not finish in 300 s");
        }
        // stdout may be binary: one char per byte
        return new Result(p.exitValue(),
            new String(Files.readAllBytes(out), StandardCharsets.ISO_8859_1),
            Files.readString(err));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static List<String> command(Path store, String... args) {
    String jar = System.getProperty("layerfs.cli.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException("the layerfs CLI jar is missing (" + jar + "): run the "
          + "integration tests through Maven after `package`, which builds cli/target/layerfs.jar");
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar, "--store", store.toString()));
    command.addAll(List.of(args));
    return command;
  }
}
