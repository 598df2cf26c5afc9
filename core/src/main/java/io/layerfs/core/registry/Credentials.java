package io.layerfs.core.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * A user name and password for a registry: {@code --creds user:pass}, or an entry of a Docker
 * config file's {@code auths}. {@link #toString} hides the password.
 */
public record Credentials(String username, String password) {

  public Credentials {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
  }

  /**
   * Parses {@code user:pass} (the password may contain colons, as in skopeo's {@code --creds}).
   *
   * @throws IllegalArgumentException when there is no colon or no user name
   */
  public static Credentials parse(String s) {
    int colon = s == null ? -1 : s.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("invalid credentials: expected USER:PASSWORD");
    }
    return new Credentials(s.substring(0, colon), s.substring(colon + 1));
  }

  /** The value of an {@code Authorization: Basic} header. */
  String basicHeader() {
    return "Basic " + Base64.getEncoder().encodeToString(
        (username + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return username + ":***";
  }
}
