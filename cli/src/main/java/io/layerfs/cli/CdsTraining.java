package io.layerfs.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The training run of the build's class data sharing archive ({@code cli/target/layerfs.jsa}):
 * {@code src/main/sh/make-launcher.sh} archives the classes this run loads. It runs the demo in a
 * scratch store, the read-only commands on it and a pull of its image from a loopback registry
 * ({@link TrainingRegistry}), in one JVM. Not a command.
 */
final class CdsTraining {
  private CdsTraining() {}

  public static void main(String[] args) throws IOException {
    Path dir = Files.createTempDirectory("layerfs-cds-");
    try {
      String store = dir.resolve("store").toString();
      // the text printer main() makes, so that its classes are archived too
      PrintWriter sink = StandardOutput.text(OutputStream.nullOutputStream());
      String[][] runs = {
        {"demo"},
        {"images"}, {"images", "--format", "json"},
        {"ls", "demo:1"}, {"ls", "-l", "demo", "/etc"},
        {"cat", "demo:1", "/etc/os-release"}, {"cat", "demo", "/etc/motd"},
        {"ps"}, {"ps", "--format", "json"},
        {"diff", "demo"}, {"diff", "--format", "json", "demo"},
        {"inspect", "demo"}, {"inspect", "--format", "json", "demo"},
        {"history", "demo:1"},
        {"volume", "ls"}, {"--help"}, {"no-such-command"},
      };
      for (String[] run : runs) {
        String[] line = Stream.concat(Stream.of("--store", store), Stream.of(run))
            .toArray(String[]::new);
        int code = Main.run(line, sink, sink, Map.of());
        if (code != 0 && !run[0].equals("no-such-command")) {
          System.err.println("layerfs: training run " + String.join(" ", run) + " exited "
              + code);
        }
      }
      // a pull of the demo's two-layer image from a registry on loopback, into a new store
      try (TrainingRegistry registry = new TrainingRegistry(Path.of(store))) {
        String[] pull = {"--store", dir.resolve("pulled").toString(), "pull", "--tls-verify=false",
            registry.address() + "/training/demo:2"};
        int code = Main.run(pull, sink, sink, Map.of());
        if (code != 0) {
          System.err.println("layerfs: training run " + String.join(" ", pull) + " exited "
              + code);
        }
      }
    } finally {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
