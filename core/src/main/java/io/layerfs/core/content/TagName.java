package io.layerfs.core.content;

import io.layerfs.core.Digest;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A name a user gives an image of the store ({@code layerfs tag}, commit, flatten, convert, an
 * import's or a pull's tag), checked as Docker checks a reference: {@code
 * [HOST[:PORT]/]PATH[:TAG][@DIGEST]}, the repository path in lower case (its first component
 * is a host when it has a {@code .} or {@code :}, is {@code localhost} or has an upper-case
 * letter, as Docker splits it), the tag {@code [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}} (upper case
 * allowed), the name at most 255 characters. Names an OCI layout brings along are OCI ref.names
 * ({@link ContentStore#checkRefName}) and keep that looser grammar.
 */
final class TagName {
  private static final String HOST_PART = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
  private static final Pattern HOST = Pattern.compile(
      "(?:" + HOST_PART + "(?:\\." + HOST_PART + ")*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?");
  private static final Pattern PATH_COMPONENT =
      Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final int MAX_NAME = 255;

  private TagName() {}

  /** @throws IllegalArgumentException naming {@code name} and the part of it that is wrong */
  static void check(String name) {
    if (name == null || name.isEmpty()) {
      throw invalid(String.valueOf(name), "empty");
    }
    String rest = name;
    int at = rest.indexOf('@');
    if (at >= 0) {
      String digest = rest.substring(at + 1);
      try {
        Digest.parse(digest);
      } catch (IllegalArgumentException e) {
        throw invalid(name, "bad digest '" + digest + "' after '@' (expected sha256:<64 hex>)");
      }
      rest = rest.substring(0, at);
    }
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      String tag = rest.substring(colon + 1);
      if (!TAG.matcher(tag).matches()) {
        throw invalid(name, "bad tag '" + tag + "' (letters, digits, '_', '.', '-', at most 128,"
            + " not starting with '.' or '-')");
      }
      rest = rest.substring(0, colon);
    }
    if (rest.isEmpty()) {
      throw invalid(name, "no repository name");
    }
    if (rest.length() > MAX_NAME) {
      throw invalid(name, "repository name longer than " + MAX_NAME + " characters");
    }
    int slash = rest.indexOf('/');
    String path = rest;
    if (slash >= 0) {
      String head = rest.substring(0, slash);
      if (head.contains(".") || head.contains(":") || head.equals("localhost")
          || !head.equals(head.toLowerCase(Locale.ROOT))) {
        if (!HOST.matcher(head).matches()) {
          throw invalid(name, "bad registry host '" + head + "'");
        }
        path = rest.substring(slash + 1);
      }
    }
    // a character no case makes right (a space, '+') first: "must be lowercase" would mislead
    for (String component : path.split("/", -1)) {
      if (!PATH_COMPONENT.matcher(component.toLowerCase(Locale.ROOT)).matches()) {
        throw invalid(name, "bad repository name component '" + component + "' (lowercase"
            + " letters and digits, separated by '.', '_', '__' or dashes)");
      }
    }
    if (!path.equals(path.toLowerCase(Locale.ROOT))) {
      throw invalid(name, "repository name '" + path + "' must be lowercase (Docker's rule;"
          + " the tag after ':' may have upper case)");
    }
  }

  private static IllegalArgumentException invalid(String name, String why) {
    String quoted = name.length() > 300 ? name.substring(0, 300) + "..." : name;
    return new IllegalArgumentException("invalid tag '" + quoted + "': " + why);
  }
}
