package io.layerfs.core.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.oci.OciJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The credentials of a Docker client config ({@code $DOCKER_CONFIG/config.json}, else {@code
 * ~/.docker/config.json}), found as the Docker client finds them: a {@code credHelpers} entry
 * for the registry names the credential helper to run, else {@code credsStore} names one for
 * every registry, else the {@code auths} entry is used ({@code docker login}'s {@code
 * identitytoken}, else its {@code auth}, base64 of {@code user:password}, or {@code username}
 * and {@code password}). Keys are matched as Docker matches them: the host of a key written as a
 * URL ({@code https://index.docker.io/v1/} for Docker Hub) counts. A helper ({@link
 * CredentialHelper}) is run once per registry and its answer kept; one that has nothing for the
 * registry means anonymous, as for Docker. A missing file means no credentials.
 */
public final class DockerConfig {
  /** The server address Docker gives helpers and {@code auths} for Docker Hub. */
  private static final String DOCKER_HUB_ADDRESS = "https://index.docker.io/v1/";

  private final Map<String, Credentials> byHost;
  private final Map<String, CredentialHelper> helperByHost;
  private final CredentialHelper store;
  // @GuardedBy("asked")
  private final Map<String, Optional<Credentials>> asked = new HashMap<>();

  private DockerConfig(Map<String, Credentials> byHost, Map<String, CredentialHelper> helperByHost,
      CredentialHelper storeOrNull) {
    this.byHost = byHost;
    this.helperByHost = helperByHost;
    this.store = storeOrNull;
  }

  /** No credentials at all. */
  public static DockerConfig empty() {
    return new DockerConfig(Map.of(), Map.of(), null);
  }

  /** The config file Docker reads in this environment: {@code $DOCKER_CONFIG} or the home one. */
  public static Path defaultFile() {
    String dir = System.getenv("DOCKER_CONFIG");
    if (dir != null && !dir.isEmpty()) {
      return Path.of(dir, "config.json");
    }
    return Path.of(UserHome.get(), ".docker", "config.json");
  }

  /**
   * Reads {@code file}; a missing file is an empty config.
   *
   * @throws IOException naming the file when it is not JSON or an entry is malformed
   */
  public static DockerConfig read(Path file) throws IOException {
    return read(file, System.getenv("PATH"));
  }

  /** {@link #read(Path)}, finding credential helpers in {@code searchPath} (a {@code PATH}). */
  static DockerConfig read(Path file, String searchPath) throws IOException {
    byte[] json;
    try {
      json = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return empty();
    }
    JsonNode root;
    try {
      root = OciJson.readTree(json);
    } catch (IOException e) {
      throw new IOException(file + ": not a JSON Docker config: " + e.getMessage(), e);
    }
    Map<String, Credentials> byHost = new HashMap<>();
    JsonNode auths = root == null ? null : root.get("auths");
    if (auths != null && auths.isObject()) {
      for (Map.Entry<String, JsonNode> e : auths.properties()) {
        Credentials c = entry(e.getValue(), file, e.getKey());
        if (c != null) {
          byHost.putIfAbsent(host(e.getKey()), c);
        }
      }
    }
    Map<String, CredentialHelper> helpers = new HashMap<>();
    JsonNode credHelpers = root == null ? null : root.get("credHelpers");
    if (credHelpers != null && credHelpers.isObject()) {
      for (Map.Entry<String, JsonNode> e : credHelpers.properties()) {
        String name = helperName(e.getValue(), file, "credHelpers entry '" + e.getKey() + "'");
        helpers.putIfAbsent(host(e.getKey()), new CredentialHelper(name, searchPath,
            "credHelpers of " + file));
      }
    }
    JsonNode credsStore = root == null ? null : root.get("credsStore");
    CredentialHelper store = credsStore == null ? null : new CredentialHelper(
        helperName(credsStore, file, "credsStore"), searchPath, "credsStore of " + file);
    return new DockerConfig(byHost, helpers, store);
  }

  private static String helperName(JsonNode value, Path file, String what) throws IOException {
    String name = value.isTextual() ? value.textValue() : "";
    if (name.isEmpty() || name.contains("/")) {
      throw new IOException(file + ": " + what + " must name a credential helper "
          + "(docker-credential-NAME), not " + value);
    }
    return name;
  }

  /**
   * The credentials for a registry endpoint such as {@code host:5000} or {@code docker.io}: a
   * credential helper's when one is configured for it (run the first time only), else its
   * {@code auths} entry.
   *
   * @throws IOException when the helper is not on {@code PATH}, fails or answers other than
   *     Docker's helpers do, naming it
   */
  public Optional<Credentials> lookup(String registry) throws IOException {
    String host = host(registry);
    CredentialHelper helper = helperByHost.get(host);
    if (helper == null && isDockerHub(host)) {
      for (String alias : new String[] {"index.docker.io", "docker.io", "registry-1.docker.io"}) {
        helper = helper != null ? helper : helperByHost.get(alias);
      }
    }
    helper = helper != null ? helper : store;
    if (helper != null) {
      synchronized (asked) { // one run per registry, also when layers are pulled in parallel
        Optional<Credentials> known = asked.get(host);
        if (known == null) {
          known = helper.get(isDockerHub(host) ? DOCKER_HUB_ADDRESS : host);
          asked.put(host, known);
        }
        return known;
      }
    }
    Credentials c = byHost.get(host);
    if (c == null && isDockerHub(host)) {
      for (String alias : new String[] {"index.docker.io", "docker.io", "registry-1.docker.io"}) {
        c = c != null ? c : byHost.get(alias);
      }
    }
    return Optional.ofNullable(c);
  }

  private static boolean isDockerHub(String host) {
    return host.equals("docker.io") || host.equals("index.docker.io")
        || host.equals("registry-1.docker.io");
  }

  /** The host[:port] of a key: {@code https://host/v1/} and {@code host} both give {@code host}. */
  static String host(String key) {
    String k = key.trim();
    int scheme = k.indexOf("://");
    if (scheme >= 0) {
      k = k.substring(scheme + 3);
    }
    int slash = k.indexOf('/');
    if (slash >= 0) {
      k = k.substring(0, slash);
    }
    return k.toLowerCase(Locale.ROOT);
  }

  private static Credentials entry(JsonNode node, Path file, String key) throws IOException {
    if (!node.isObject()) {
      throw new IOException(file + ": auths entry '" + key + "' is not an object");
    }
    // docker login keeps an identity token instead of the password where the registry gave one
    String identityToken = node.path("identitytoken").asText("");
    if (!identityToken.isEmpty()) {
      return Credentials.identityToken(identityToken);
    }
    String auth = node.path("auth").asText("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ": auths entry '" + key + "': auth is not base64", e);
      }
      int colon = decoded.indexOf(':');
      if (colon <= 0) {
        throw new IOException(file + ": auths entry '" + key
            + "': auth does not decode to user:password");
      }
      return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }
    String user = node.path("username").asText("");
    if (!user.isEmpty()) {
      return new Credentials(user, node.path("password").asText(""));
    }
    return null; // an entry kept for a credential helper
  }
}
