package io.layerfs.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The training run of the build's class data sharing archive ({@code cli/target/layerfs.jsa}):
 * {@code src/main/sh/make-launcher.sh} archives the classes this run loads. It runs the demo in a
 * scratch store, the read-only commands on it and a pull of its image from a loopback registry
 * ({@link TrainingRegistry}), in plain HTTP and, given a directory with a key store {@code
 * training.p12} and its certificate {@code ca.crt} (the build makes them with keytool), over TLS,
 * in one JVM. Not a command.
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
      for (String[] command : runs) {
        run(sink, store, command);
      }
      // an image with a layer above the step at which a download is written back to the disk
      // (8 MiB), whose pull loads the writeback's classes: else a pull of any real image loaded
      // them from the jar, which opening indexes (14,000 entries, about 20 ms) mid-download
      Path big = dir.resolve("big");
      byte[] random = new byte[9 << 20];
      new Random(1).nextBytes(random);
      Files.write(big, random);
      run(sink, store, "cp", big.toString(), "demo:/big");
      run(sink, store, "commit", "--compression", "none", "demo", "demo:3");
      // and a read of a file that size (a larger copy than the small files' above)
      run(sink, store, "cat", "demo:3", "/big");
      // a pull of that image from a registry on loopback, into a new store; and one of the
      // demo's that a registries.conf with a registry table sends there, so that its TOML reader
      // (some 450 classes, loaded only for such a file) is in the archive too
      try (TrainingRegistry registry = new TrainingRegistry(Path.of(store))) {
        pull(sink, dir.resolve("pulled"), "--tls-verify=false",
            registry.address() + "/training/demo:3");
        Path conf = Files.writeString(dir.resolve("registries.conf"), "[[registry]]\n"
            + "prefix = \"training.test\"\nlocation = \"" + registry.address() + "/training\"\n"
            + "insecure = true\n");
        pull(sink, dir.resolve("pulled-conf"), "--registries-conf=" + conf,
            "training.test/demo:2");
      }
      // and over TLS, as registries off the machine speak it (its classes, some 400, were read
      // from the JDK's image at every TLS pull): with the key the build made with keytool
      if (args.length > 0) {
        Path tls = Path.of(args[0]);
        try (TrainingRegistry registry = new TrainingRegistry(Path.of(store), tls(tls))) {
          pull(sink, dir.resolve("pulled-tls"), "--cert-dir=" + tls,
              registry.address() + "/training/demo:2");
        } catch (GeneralSecurityException e) {
          System.err.println("layerfs: training over TLS skipped: " + e);
        }
      }
    } finally {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void pull(PrintWriter sink, Path store, String flag, String ref) {
    run(sink, store.toString(), "pull", flag, ref);
  }

  /**
   * Runs {@code layerfs --store STORE ARGS}, its text to {@code sink} and the bytes of files
   * ({@code cat}) nowhere; says so on standard error when it fails.
   */
  private static void run(PrintWriter sink, String store, String... args) {
    String[] line = Stream.concat(Stream.of("--store", store), Stream.of(args))
        .toArray(String[]::new);
    // as main() takes its arguments, so that their class is archived too
    int code = Main.run(RawArguments.of(line), sink, sink, Map.of(),
        OutputStream.nullOutputStream());
    if (code != 0 && !args[0].equals("no-such-command")) {
      System.err.println("layerfs: training run " + String.join(" ", line) + " exited " + code);
    }
  }

  /** The server side of TLS with the key of {@code DIR/training.p12}. */
  private static SSLContext tls(Path dir) throws GeneralSecurityException, IOException {
    char[] password = "layerfs-training".toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve("training.p12"))) {
      keys.load(in, password);
    }
    KeyManagerFactory factory =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    factory.init(keys, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(factory.getKeyManagers(), null, null);
    return context;
  }
}
