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
 * The {@code auths} of a Docker client config ({@code $DOCKER_CONFIG/config.json}, else {@code
 * ~/.docker/config.json}), as {@code docker login} writes them: per registry an {@code auth}
 * (base64 of {@code user:password}) or {@code username} and {@code password}. Keys are matched as
 * Docker matches them: the host of a key written as a URL ({@code https://index.docker.io/v1/}
 * for Docker Hub) counts. Credential helpers ({@code credsStore}, {@code credHelpers}) are not
 * run; a missing file means no credentials.
 */
public final class DockerConfig {
  private final Map<String, Credentials> byHost;

  private DockerConfig(Map<String, Credentials> byHost) {
    this.byHost = byHost;
  }

  /** No credentials at all. */
  public static DockerConfig empty() {
    return new DockerConfig(Map.of());
  }

  /** The config file Docker reads in this environment: {@code $DOCKER_CONFIG} or the home one. */
  public static Path defaultFile() {
    String dir = System.getenv("DOCKER_CONFIG");
    if (dir != null && !dir.isEmpty()) {
      return Path.of(dir, "config.json");
    }
    return Path.of(System.getProperty("user.home"), ".docker", "config.json");
  }

  /**
   * Reads {@code file}; a missing file is an empty config.
   *
   * @throws IOException naming the file when it is not JSON or an entry is malformed
   */
  public static DockerConfig read(Path file) throws IOException {
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
    return new DockerConfig(byHost);
  }

  /** The credentials for a registry endpoint such as {@code host:5000} or {@code docker.io}. */
  public Optional<Credentials> lookup(String registry) {
    String host = host(registry);
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
    return null; // an entry kept for a credential helper, or an identity token: not used
  }
}
