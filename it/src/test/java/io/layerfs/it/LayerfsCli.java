package io.layerfs.it;

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

  /** Runs the command and returns its standard output. */
  static String run(Path store, String... args) {
    return runExpecting(0, store, args);
  }

  /** Runs the command, which must exit with {@code exit}, and returns its standard output. */
  static String runExpecting(int exit, Path store, String... args) {
    String jar = System.getProperty("layerfs.cli.jar");
    if (jar == null || !Files.isRegularFile(Path.of(jar))) {
      throw new IllegalStateException("the layerfs CLI jar is missing (" + jar + "): run the "
          + "integration tests through Maven after `package`, which builds cli/target/layerfs.jar");
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar, "--store", store.toString()));
    command.addAll(List.of(args));
    return Tools.run(null, command, Tools.TIMEOUT_SECONDS, exit);
  }
}
