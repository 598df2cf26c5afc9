package io.layerfs.core.registry;

import io.layerfs.core.Digest;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An image reference as Docker parses it: {@code [DOMAIN[:PORT]/]PATH[:TAG][@DIGEST]}, with
 * Docker Hub's defaults: no domain means {@code docker.io}, and a one-component path on Docker
 * Hub gets {@code library/} in front ({@code debian} is {@code docker.io/library/debian:latest}).
 *
 * <p>The first component is a domain only when it contains a {@code .} or a {@code :}, is {@code
 * localhost}, or has an upper-case letter (which a path may not); {@code index.docker.io} is
 * Docker Hub's legacy name and normalizes to {@code docker.io}. A reference without tag and
 * digest gets the tag {@code latest}; with a digest and no tag it has no tag.
 *
 * @param domain the registry as named in references, {@code docker.io} for Docker Hub
 * @param path the repository within it, for example {@code library/debian}
 * @param tag null when the reference has only a digest
 * @param digest null unless the reference pins one
 */
public record Reference(String domain, String path, String tag, Digest digest) {
  /** Docker Hub as references name it. */
  public static final String DOCKER_HUB = "docker.io";
  /** The host the distribution API of Docker Hub answers on. */
  public static final String DOCKER_HUB_ENDPOINT = "index.docker.io";

  private static final String DOMAIN_PART =
      "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final Pattern DOMAIN =
      Pattern.compile(
          "(?:" + DOMAIN_PART + "(?:\\." + DOMAIN_PART + ")*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?");
  private static final Pattern PATH_COMPONENT =
      Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final int MAX_NAME = 255;

  public Reference {
    Objects.requireNonNull(domain, "domain");
    Objects.requireNonNull(path, "path");
    if (tag == null && digest == null) {
      throw new IllegalArgumentException("a reference needs a tag or a digest: " + domain + "/"
          + path);
    }
  }

  /**
   * Parses a reference, also in skopeo's transport form {@code docker://REF}.
   *
   * @throws IllegalArgumentException naming the reference and what is wrong with it
   */
  public static Reference parse(String s) {
    if (s == null || s.isEmpty()) {
      throw new IllegalArgumentException("invalid image reference '': empty");
    }
    String ref = s.startsWith("docker://") ? s.substring("docker://".length()) : s;
    Digest digest = null;
    int at = ref.indexOf('@');
    if (at >= 0) {
      try {
        digest = Digest.parse(ref.substring(at + 1));
      } catch (IllegalArgumentException e) {
        throw invalid(s, "bad digest after '@' (expected sha256:<64 hex>)");
      }
      ref = ref.substring(0, at);
    }
    String tag = null;
    int colon = ref.lastIndexOf(':');
    if (colon > ref.lastIndexOf('/')) {
      tag = ref.substring(colon + 1);
      ref = ref.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw invalid(s, "bad tag '" + tag + "' (letters, digits, '_', '.', '-', at most 128,"
            + " not starting with '.' or '-')");
      }
    }
    if (ref.isEmpty()) {
      throw invalid(s, "no repository name");
    }
    String domain;
    String path;
    int slash = ref.indexOf('/');
    String head = slash < 0 ? "" : ref.substring(0, slash);
    if (slash >= 0 && (head.contains(".") || head.contains(":") || head.equals("localhost")
        || !head.equals(head.toLowerCase(Locale.ROOT)))) {
      domain = head;
      path = ref.substring(slash + 1);
      if (!DOMAIN.matcher(domain).matches()) {
        throw invalid(s, "bad registry host '" + domain + "'");
      }
    } else {
      domain = DOCKER_HUB;
      path = ref;
    }
    if (domain.equals(DOCKER_HUB_ENDPOINT)) {
      domain = DOCKER_HUB;
    }
    // checked as given: the library/ a Docker Hub name gets is not the user's to fix
    if (!path.equals(path.toLowerCase(Locale.ROOT))) {
      throw invalid(s, "repository name '" + path + "' must be lowercase");
    }
    for (String component : path.split("/", -1)) {
      if (!PATH_COMPONENT.matcher(component).matches()) {
        throw invalid(s, "bad repository name component '" + component + "' (lowercase letters"
            + " and digits, separated by '.', '_', '__' or dashes)");
      }
    }
    if (domain.equals(DOCKER_HUB) && path.indexOf('/') < 0) {
      path = "library/" + path;
    }
    if (domain.length() + 1 + path.length() > MAX_NAME) {
      throw invalid(s, "repository name longer than " + MAX_NAME + " characters");
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new Reference(domain, path, tag, digest);
  }

  /** The same repository with another tag, no digest. */
  public Reference withTag(String newTag) {
    return new Reference(domain, path, newTag, null);
  }

  /** The same repository at {@code d}, no tag. */
  public Reference withDigest(Digest d) {
    return new Reference(domain, path, null, d);
  }

  /** The host (and port) the registry's API answers on: {@code index.docker.io} for Docker Hub. */
  public String endpoint() {
    return domain.equals(DOCKER_HUB) ? DOCKER_HUB_ENDPOINT : domain;
  }

  /** The repository's full name, {@code domain/path}. */
  public String name() {
    return domain + "/" + path;
  }

  /**
   * What the manifest endpoint is asked for: the digest when there is one (it pins the content),
   * else the tag.
   */
  public String manifestReference() {
    return digest != null ? digest.toString() : tag;
  }

  /**
   * The name as Docker shows it: {@code debian:12} rather than {@code
   * docker.io/library/debian:12}, other registries' names in full.
   */
  public String familiar() {
    String name = name();
    if (domain.equals(DOCKER_HUB)) {
      String head = path.substring(0, path.indexOf('/') < 0 ? path.length() : path.indexOf('/'));
      if (path.startsWith("library/") && path.indexOf('/', 8) < 0) {
        name = path.substring(8);
      } else if (!head.contains(".") && !head.equals("localhost")) {
        // unlike Docker, keep docker.io/ where the short form would name another registry
        name = path;
      }
    }
    return name + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }

  /**
   * The tag a pulled image gets in the store's {@code index.json}, as {@code docker pull} names
   * it: the familiar name with its tag ({@code debian:12}, {@code host:5000/team/app:1}); pulled
   * by digest alone, the familiar name with the digest ({@code debian@sha256:...}).
   */
  public String storeTag() {
    if (tag != null) {
      return withTag(tag).familiar();
    }
    return familiar();
  }

  /** The full form, {@code domain/path[:tag][@digest]}; {@link #parse} reads it back. */
  @Override
  public String toString() {
    return name() + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }

  private static IllegalArgumentException invalid(String s, String why) {
    String quoted = s.length() > 300 ? s.substring(0, 300) + "..." : s;
    return new IllegalArgumentException("invalid image reference '" + quoted + "': " + why);
  }
}
