package io.layerfs.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A docker-registry of a test's own (the binary with-tools.sh installs), on 127.0.0.1 (or
 * another address) and a port the kernel picks, with a config the test writes, for what the
 * run's shared registry cannot have: basic authentication from an htpasswd file, an IPv6
 * address, TLS. Stopped by {@link #close}.
 */
final class RegistryProcess implements AutoCloseable {
  private static final Path BINARY = Path.of("/usr/bin/docker-registry");

  private final Process process;
  private final String address;

  private RegistryProcess(Process process, String address) {
    this.process = process;
    this.address = address;
  }

  /** Starts a registry storing under {@code dir}; with {@code htpasswdOrNull}, basic auth. */
  static RegistryProcess start(Path dir, Path htpasswdOrNull) throws IOException {
    return start(dir, htpasswdOrNull, "127.0.0.1");
  }

  /**
   * As {@link #start(Path, Path)}, listening on {@code host} ({@code 127.0.0.1}, {@code [::1]});
   * {@link #address} is {@code host:PORT}.
   */
  static RegistryProcess start(Path dir, Path htpasswdOrNull, String host) throws IOException {
    return start(dir, htpasswdOrNull, host, "");
  }

  /**
   * A registry on 127.0.0.1 that speaks TLS only, with the PEM files {@code certificate} and
   * {@code key}; with {@code clientAuthorityOrNull}, a client must present a certificate that
   * authority signed.
   */
  static RegistryProcess startTls(Path dir, Path certificate, Path key,
      Path clientAuthorityOrNull) throws IOException {
    return start(dir, null, "127.0.0.1", "  tls:\n    certificate: " + certificate
        + "\n    key: " + key + "\n" + (clientAuthorityOrNull == null ? ""
            : "    clientcas:\n      - " + clientAuthorityOrNull + "\n"));
  }

  private static RegistryProcess start(Path dir, Path htpasswdOrNull, String host, String tls)
      throws IOException {
    Pattern listening = Pattern.compile("listening on " + Pattern.quote(host) + ":(\\d+)");
    if (!Files.isExecutable(BINARY)) {
      throw new AssertionError(BINARY + " is missing: install docker-registry (Debian: apt-get "
          + "install docker-registry) or run the build through it/scripts/with-tools.sh");
    }
    Files.createDirectories(dir.resolve("storage"));
    String auth = htpasswdOrNull == null ? "" : "auth:\n  htpasswd:\n    realm: layerfs-test\n"
        + "    path: " + htpasswdOrNull + "\n";
    Path config = dir.resolve("config.yml");
    Files.writeString(config, "version: 0.1\nlog:\n  level: info\n  accesslog:\n"
        + "    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: "
        + dir.resolve("storage") + "\n" + auth + "http:\n  addr: \"" + host + ":0\"\n  secret: "
        + Long.toHexString(System.nanoTime()) + "\n" + tls);
    Path log = dir.resolve("registry.log");
    Process p = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      Matcher m = listening.matcher(Files.readString(log));
      if (m.find()) {
        return new RegistryProcess(p, host + ":" + m.group(1));
      }
      if (!p.isAlive()) {
        break;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    p.destroyForcibly();
    throw new AssertionError("docker-registry did not start: " + Files.readString(log));
  }

  String address() {
    return address;
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
