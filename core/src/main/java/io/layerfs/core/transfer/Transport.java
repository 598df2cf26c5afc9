package io.layerfs.core.transfer;

import io.layerfs.core.content.ContentStore;
import io.layerfs.core.registry.Reference;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where an image comes from or goes to, named as skopeo names it: {@code oci:DIR[:TAG]} (an OCI
 * image layout directory), {@code oci-archive:FILE[:TAG]} (a tar of such a layout) or {@code
 * docker-archive:FILE[:REF]} (what {@code docker save} writes and {@code docker load} reads).
 *
 * <p>As in skopeo, the path ends at the first {@code :} after the transport name, so a path
 * cannot contain one; everything after it is the reference. An OCI reference is a tag, an OCI
 * {@code ref.name} such as {@code 1} or {@code demo:1}. A docker-archive reference is a Docker
 * name with an optional tag ({@code busybox}, {@code example.com:5000/team/app:1.2}; no digest),
 * or, when reading, {@code @N}: the N-th image of the archive, counting from 0.
 *
 * <p>{@code docker://REF} names an image of a registry ({@link #registryReference}); it is
 * not a file transport, so {@link #parse} refuses it and {@code ImageTransfer} pulls or pushes.
 *
 * @param path the directory or archive file, as given (not resolved)
 * @param reference the tag or reference after the path, or null when there is none
 */
public record Transport(Kind kind, Path path, String reference) {

  /** The transports layerfs reads and writes. */
  public enum Kind {
    OCI("oci"),
    OCI_ARCHIVE("oci-archive"),
    DOCKER_ARCHIVE("docker-archive");

    private final String prefix;

    Kind(String prefix) {
      this.prefix = prefix;
    }

    /** The transport name before the first colon, for example {@code oci-archive}. */
    public String prefix() {
      return prefix;
    }
  }

  static final String SUPPORTED =
      "oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF], docker://REF";

  // distribution/reference grammar: optional domain (a host name or an IPv6 address in
  // brackets, with a port), lowercase path components
  private static final String DOMAIN_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final String DOMAIN = "(?:" + DOMAIN_PART + "(?:\\." + DOMAIN_PART
      + ")*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?";
  private static final String PATH_PART = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
  private static final Pattern DOCKER_REFERENCE =
      Pattern.compile(
          "(?:" + DOMAIN + "/)?" + PATH_PART + "(?:/" + PATH_PART + ")*(?::[\\w][\\w.-]{0,127})?");
  private static final Pattern INDEX_REFERENCE = Pattern.compile("@(?:0|[1-9][0-9]{0,8})");
  // Docker's limit on the length of a repository name
  private static final int MAX_NAME = 255;

  public Transport {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(path, "path");
  }

  /**
   * Parses a skopeo transport string.
   *
   * @throws IllegalArgumentException naming the string and the supported transports when the
   *     transport is unknown or missing, the path is empty, or the reference is invalid
   */
  public static Transport parse(String s) {
    if (s == null) {
      throw new IllegalArgumentException("no image transport given; supported: " + SUPPORTED);
    }
    int colon = s.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(
          "'" + s + "' names no transport; supported: " + SUPPORTED);
    }
    String name = s.substring(0, colon);
    if (name.equals("docker")) {
      throw new IllegalArgumentException(
          "'" + s + "' names a registry, not a file transport: see registryReference");
    }
    Kind kind = null;
    for (Kind k : Kind.values()) {
      if (k.prefix.equals(name)) {
        kind = k;
      }
    }
    if (kind == null) {
      throw new IllegalArgumentException(
          "'" + s + "': unsupported transport '" + name + "'; supported: " + SUPPORTED);
    }
    String rest = s.substring(colon + 1);
    int sep = rest.indexOf(':');
    String path = sep < 0 ? rest : rest.substring(0, sep);
    String reference = sep < 0 ? null : rest.substring(sep + 1);
    if (path.isEmpty()) {
      throw new IllegalArgumentException("'" + s + "' names no path; expected " + SUPPORTED);
    }
    if (reference != null) {
      checkReference(kind, reference, s);
    }
    try {
      return new Transport(kind, Path.of(path), reference);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("'" + s + "': invalid path: " + e.getMessage(), e);
    }
  }

  /**
   * The registry reference of skopeo's {@code docker://REF}, or null when {@code s} names
   * another transport.
   *
   * @throws IllegalArgumentException for {@code docker:} without {@code //} or a bad reference,
   *     naming it
   */
  public static Reference registryReference(String s) {
    if (s == null || !s.startsWith("docker:")) {
      return null;
    }
    if (!s.startsWith("docker://")) {
      throw new IllegalArgumentException("'" + s + "': a registry is named docker://REF");
    }
    return Reference.parse(s);
  }

  /** The skopeo form, {@code kind:path[:reference]}; {@link #parse} reads it back. */
  @Override
  public String toString() {
    return kind.prefix + ":" + path + (reference == null ? "" : ":" + reference);
  }

  /** True if the reference is {@code @N}, an image of a docker-archive by position. */
  boolean isIndexReference() {
    return reference != null && INDEX_REFERENCE.matcher(reference).matches();
  }

  /** True if {@code s} is a Docker reference {@code name[:tag]} (no digest, no {@code @N}). */
  static boolean isDockerReference(String s) {
    int slash = s.lastIndexOf('/');
    int tag = s.indexOf(':', slash + 1);
    String repository = tag < 0 ? s : s.substring(0, tag);
    int first = s.indexOf('/');
    if (first > 0) {
      // as Docker normalizes: a first component without '.' or ':' is a path, not a domain
      String head = s.substring(0, first);
      boolean domain = head.contains(".") || head.contains(":") || head.equals("localhost");
      if (!domain && !head.equals(head.toLowerCase(java.util.Locale.ROOT))) {
        return false;
      }
    }
    return repository.length() <= MAX_NAME && DOCKER_REFERENCE.matcher(s).matches();
  }

  private static void checkReference(Kind kind, String reference, String s) {
    if (reference.isEmpty()) {
      throw new IllegalArgumentException("'" + s + "' has an empty reference after the path");
    }
    if (kind == Kind.DOCKER_ARCHIVE) {
      if (!isDockerReference(reference) && !INDEX_REFERENCE.matcher(reference).matches()) {
        throw new IllegalArgumentException(
            "'" + s + "': invalid docker-archive reference '" + reference
                + "'; expected NAME[:TAG] (no digest) or @INDEX");
      }
      return;
    }
    try {
      ContentStore.checkRefName(reference);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + s + "': " + e.getMessage(), e);
    }
  }
}
