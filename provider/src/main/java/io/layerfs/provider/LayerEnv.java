package io.layerfs.provider;

import io.layerfs.core.Limits;
import io.layerfs.core.Mount;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The typed form of the {@code env} map given to {@code FileSystems.newFileSystem}.
 *
 * <table>
 *   <caption>env keys</caption>
 *   <tr><th>key</th><th>type</th><th>meaning</th></tr>
 *   <tr><td>store</td><td>Path or String</td><td>the OCI image layout holding images and
 *       containers; default: system property {@code layerfs.store}, then {@code
 *       $LAYERFS_STORE}, then {@code $XDG_DATA_HOME/layerfs}, then {@code
 *       ~/.local/share/layerfs}</td></tr>
 *   <tr><td>image</td><td>String</td><td>tag in the store's index.json, manifest digest,
 *       or a registry reference, pulled when the store lacks it</td></tr>
 *   <tr><td>readOnly</td><td>Boolean or "true"/"false"</td><td>a view with no writable
 *       layer</td></tr>
 *   <tr><td>signedBy</td><td>Path or String</td><td>a public key file as {@code gpg --export
 *       [--armor]} writes it: the image must have a signature by one of its keys stored in the
 *       store (see {@code SignatureStore}), else opening fails with a {@code
 *       SignatureException} saying why</td></tr>
 *   <tr><td>signedIdentity</td><td>String</td><td>with {@code signedBy}: the docker reference
 *       the signature must claim, matched exactly</td></tr>
 *   <tr><td>mounts</td><td>List&lt;String&gt;, or one String with a spec per line</td><td>{@code
 *       docker run --mount} specs ({@code type=volume|bind|tmpfs,source=...,target=...}, see
 *       {@code io.layerfs.core.Mount}), recorded when the container is created; reopening with
 *       other mounts is refused</td></tr>
 *   <tr><td>tlsVerify</td><td>Boolean or "true"/"false"</td><td>false: a registry image may
 *       come over plain HTTP or unverified TLS; not given: HTTPS verified, but a registry on a
 *       loopback address may answer plain HTTP, as in Docker; true: HTTPS verified even
 *       there</td></tr>
 *   <tr><td>certDir</td><td>Path or String</td><td>with a registry {@code image}: the
 *       directory of its certificates (skopeo's {@code --cert-dir}: {@code *.crt} authorities
 *       trusted besides the JVM's, {@code NAME.cert} and {@code NAME.key} a client
 *       certificate); not given: the registry's own directory in {@code certs.d}, as Docker
 *       finds it ({@code /etc/docker/certs.d/HOST:PORT/})</td></tr>
 *   <tr><td>registriesConf</td><td>Path or String</td><td>with a registry {@code image}: the
 *       containers-registries.conf(5) file that says where it is pulled from (mirrors,
 *       locations) and whether its registry is blocked or insecure (skopeo's {@code
 *       --registries-conf}); not given: {@code $CONTAINERS_REGISTRIES_CONF}, else the user's or
 *       the system's, as skopeo reads them</td></tr>
 *   <tr><td>lazy</td><td>Boolean or "true"/"false"/"background"</td><td>true: {@code image} (a
 *       registry reference) is not pulled; its layers are read from the registry as they are
 *       needed (see {@code Store.lazyImage}); "background": so too, and the rest of the image is
 *       fetched on one daemon thread meanwhile, stopped when the file system closes (see {@code
 *       Store.completeLazyInBackground})</td></tr>
 *   <tr><td>limits</td><td>{@link Limits}</td><td>the bounds on untrusted images; default:
 *       {@code Limits.fromSystemProperties()}. A store already open in this JVM keeps its
 *       limits: other ones are an error</td></tr>
 * </table>
 *
 * <p>A String given for a Path may be a {@code file:} URI ({@code Path.toUri().toString()}), read
 * as {@code Path.of(URI)} reads it; another scheme is refused. Unknown keys and bad values are an
 * {@link IllegalArgumentException} naming the key.
 */
record LayerEnv(Path store, String image, boolean readOnly, Path signedBy,
    String signedIdentity, List<String> mounts, Boolean tlsVerify, Path certDir,
    Path registriesConf, boolean lazy, boolean lazyBackground, Limits limits) {
  /** In the order the error message lists them. */
  private static final List<String> KNOWN = List.of("store", "image", "readOnly", "signedBy",
      "signedIdentity", "mounts", "tlsVerify", "certDir", "registriesConf", "lazy", "limits");

  /** The {@code lazy} value that also completes the image in the background. */
  private static final String BACKGROUND = "background";

  static LayerEnv parse(Map<String, ?> env) {
    for (String key : env.keySet()) {
      if (!KNOWN.contains(key)) {
        throw new IllegalArgumentException(
            "unknown env key '" + key + "'; known keys: " + String.join(", ", KNOWN));
      }
    }
    Path signedBy = path("signedBy", env.get("signedBy"));
    String signedIdentity = string("signedIdentity", env.get("signedIdentity"));
    if (signedIdentity != null && signedBy == null) {
      throw new IllegalArgumentException(
          "env key 'signedIdentity' needs env key 'signedBy' (the key to check it with)");
    }
    return new LayerEnv(store(env.get("store")), image(env.get("image")),
        bool("readOnly", env.get("readOnly")), signedBy, signedIdentity,
        mounts(env.get("mounts")),
        env.get("tlsVerify") == null ? null : bool("tlsVerify", env.get("tlsVerify")),
        path("certDir", env.get("certDir")), path("registriesConf", env.get("registriesConf")),
        lazy(env.get("lazy")),
        BACKGROUND.equals(env.get("lazy")), limits(env.get("limits")));
  }

  /** A list of specs, or one string of specs one per line; null when not given. */
  private static List<String> mounts(Object value) {
    if (value == null) {
      return null;
    }
    List<String> specs = new ArrayList<>();
    if (value instanceof String s) {
      for (String line : s.split("\\R")) {
        if (!line.isBlank()) {
          specs.add(line.trim());
        }
      }
    } else if (value instanceof List<?> list) {
      for (Object o : list) {
        if (!(o instanceof String spec)) {
          throw new IllegalArgumentException("env key 'mounts' must be a List<String> of mount "
              + "specs, but holds " + (o == null ? "null" : describe(o)));
        }
        specs.add(spec);
      }
    } else {
      throw new IllegalArgumentException("env key 'mounts' must be a List<String> or a String "
          + "of mount specs, not " + describe(value));
    }
    try {
      Mount.parseAll(specs);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("env key 'mounts': " + e.getMessage(), e);
    }
    return List.copyOf(specs);
  }

  private static boolean lazy(Object value) {
    if (BACKGROUND.equals(value)) {
      return true;
    }
    if (value == null || value instanceof Boolean || "true".equals(value)
        || "false".equals(value)) {
      return bool("lazy", value);
    }
    throw new IllegalArgumentException("env key 'lazy' must be a Boolean or \"true\"/\"false\"/"
        + "\"background\", not " + describe(value));
  }

  private static Limits limits(Object value) {
    if (value == null || value instanceof Limits) {
      return (Limits) value;
    }
    throw new IllegalArgumentException(
        "env key 'limits' must be an io.layerfs.core.Limits, not " + describe(value));
  }

  private static Path path(String key, Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Path path) {
      return path.toAbsolutePath();
    }
    if (value instanceof String s && !s.isEmpty()) {
      return pathOf(key, s);
    }
    throw new IllegalArgumentException(
        "env key '" + key + "' must be a Path or a non-empty String, not " + describe(value));
  }

  /**
   * A path given as a String: a file path, or a {@code file:} URI as {@code Path.toUri()} writes
   * one ({@code file:///dir/store}), read as {@code Path.of(URI)} reads it. Any other scheme
   * ({@code NAME:/...}, NAME of two or more characters, so that {@code C:/store} stays a path)
   * is refused: taken as a relative path, it would name a directory nobody meant.
   */
  private static Path pathOf(String key, String value) {
    int colon = value.indexOf(':');
    String scheme = colon < 0 ? "" : value.substring(0, colon);
    boolean file = scheme.equalsIgnoreCase("file");
    if (!file && !(scheme.matches("[a-zA-Z][a-zA-Z0-9+.-]+") && value.startsWith(":/", colon))) {
      return Path.of(value).toAbsolutePath();
    }
    if (!file) {
      throw new IllegalArgumentException("env key '" + key + "' is a path or a file: URI, not "
          + value + " (scheme " + scheme + ")");
    }
    try {
      return Path.of(new URI(value));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalArgumentException("env key '" + key + "': " + value + " is no file URI "
          + "of a local path (file:///PATH, as Path.toUri() writes one): " + e.getMessage(), e);
    }
  }

  private static String string(String key, Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof String s && !s.isBlank()) {
      return s;
    }
    throw new IllegalArgumentException(
        "env key '" + key + "' must be a non-empty String, not " + describe(value));
  }

  private static Path store(Object value) {
    if (value == null) {
      return defaultStore();
    }
    if (value instanceof Path path) {
      return path.toAbsolutePath();
    }
    if (value instanceof String s && !s.isEmpty()) {
      return pathOf("store", s);
    }
    throw new IllegalArgumentException(
        "env key 'store' must be a Path or a non-empty String, not " + describe(value));
  }

  private static String image(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof String s && !s.isBlank()) {
      return s;
    }
    throw new IllegalArgumentException(
        "env key 'image' must be a non-empty String, not " + describe(value));
  }

  private static boolean bool(String key, Object value) {
    if (value == null) {
      return false;
    }
    if (value instanceof Boolean b) {
      return b;
    }
    if ("true".equals(value) || "false".equals(value)) {
      return Boolean.parseBoolean((String) value);
    }
    throw new IllegalArgumentException(
        "env key '" + key + "' must be a Boolean or \"true\"/\"false\", not " + describe(value));
  }

  private static String describe(Object value) {
    return value.getClass().getSimpleName() + " '" + value + "'";
  }

  /**
   * The store used when the env names none: system property {@code layerfs.store}, then {@code
   * $LAYERFS_STORE}, then {@code $XDG_DATA_HOME/layerfs}, then {@code ~/.local/share/layerfs}.
   */
  static Path defaultStore() {
    String prop = System.getProperty("layerfs.store");
    if (prop != null && !prop.isEmpty()) {
      return Path.of(prop).toAbsolutePath();
    }
    String env = System.getenv("LAYERFS_STORE");
    if (env != null && !env.isEmpty()) {
      return Path.of(env).toAbsolutePath();
    }
    String xdg = System.getenv("XDG_DATA_HOME");
    if (xdg != null && !xdg.isEmpty()) {
      return Path.of(xdg, "layerfs").toAbsolutePath();
    }
    // the XDG default under $HOME, as other tools find it; the JVM's user.home (from the
    // password database) only when HOME is not set
    String home = System.getenv("HOME");
    return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"),
        ".local", "share", "layerfs");
  }

}
