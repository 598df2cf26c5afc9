package io.layerfs.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Docker credential helper, {@code docker-credential-NAME}, run as the Docker client runs it
 * for a {@code get}: the server address on stdin, and {@code {"ServerURL", "Username",
 * "Secret"}} as JSON on stdout; a helper that has nothing for the address exits non-zero saying
 * {@code credentials not found in native keychain}, which is no credentials, as for Docker. A
 * {@code Username} of {@code <token>} makes the {@code Secret} an identity token ({@link
 * Credentials#identityToken}).
 */
final class CredentialHelper {
  private static final String PREFIX = "docker-credential-";
  private static final String NOT_FOUND = "credentials not found in native keychain";
  private static final long TIMEOUT_SECONDS = 60;
  private static final int MAX_OUTPUT = 64 << 10;

  private final String name;
  private final String searchPath;
  private final String configuredIn;

  /**
   * @param searchPath the {@code PATH} to find the helper in
   * @param configuredIn where the helper was named, for messages
   */
  CredentialHelper(String name, String searchPath, String configuredIn) {
    this.name = name;
    this.searchPath = searchPath;
    this.configuredIn = configuredIn;
  }

  /** The helper's credentials for {@code serverAddress}; empty when it has none. */
  Optional<Credentials> get(String serverAddress) throws IOException {
    Path program = find();
    Process p = new ProcessBuilder(program.toString(), "get").start();
    byte[] out;
    byte[] err;
    try {
      try (OutputStream in = p.getOutputStream()) {
        in.write(serverAddress.getBytes(StandardCharsets.UTF_8));
      } catch (IOException exitedUnread) {
        // a helper may exit without reading its input: its exit status and output tell why
      }
      // a helper writes a few hundred bytes, which the pipes hold until it exits: wait first,
      // so a helper that hangs cannot hang the pull
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new IOException(what(serverAddress) + " did not finish in " + TIMEOUT_SECONDS
            + " s");
      }
      try (InputStream o = p.getInputStream(); InputStream e = p.getErrorStream()) {
        out = o.readNBytes(MAX_OUTPUT);
        err = e.readNBytes(MAX_OUTPUT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running " + program);
    } finally {
      p.destroyForcibly();
    }
    String said = new String(out, StandardCharsets.UTF_8).trim();
    if (p.exitValue() != 0) {
      if (said.contains(NOT_FOUND)) {
        return Optional.empty();
      }
      String why = said.isEmpty() ? new String(err, StandardCharsets.UTF_8).trim() : said;
      throw new IOException(what(serverAddress) + " failed (exit " + p.exitValue() + ")"
          + (why.isEmpty() ? "" : ": " + why));
    }
    JsonNode json;
    try {
      json = OciJson.readTree(out);
    } catch (IOException e) {
      throw new IOException(what(serverAddress) + " did not answer JSON", e);
    }
    String user = json == null ? "" : json.path("Username").asText("");
    String secret = json == null ? "" : json.path("Secret").asText("");
    return user.isEmpty() && secret.isEmpty() ? Optional.empty()
        : Optional.of(new Credentials(user, secret));
  }

  private Path find() throws IOException {
    String program = PREFIX + name;
    for (String dir : (searchPath == null ? "" : searchPath).split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, program);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IOException("credential helper " + program + " (" + configuredIn
        + ") is not on PATH");
  }

  private String what(String serverAddress) {
    return "credential helper " + PREFIX + name + " (" + configuredIn + ") for "
        + serverAddress;
  }
}
