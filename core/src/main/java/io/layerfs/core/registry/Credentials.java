package io.layerfs.core.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * A user name and password for a registry: {@code --creds user:pass}, or an entry of a Docker
 * config file's {@code auths}; or an identity token (an OAuth2 refresh token that {@code docker
 * login} keeps for registries such as Azure's), spelled as Docker's credential helpers spell it:
 * the user name {@value #IDENTITY_TOKEN_USER} and the token as the password. {@link #toString}
 * hides the password.
 */
public record Credentials(String username, String password) {
  /** The user name that marks an identity token, as Docker's credential helpers write it. */
  public static final String IDENTITY_TOKEN_USER = "<token>";

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

  /** An identity token: the token server is asked for access with it, never sent as basic. */
  public static Credentials identityToken(String token) {
    return new Credentials(IDENTITY_TOKEN_USER, token);
  }

  /** True for {@link #identityToken}'s credentials. */
  public boolean isIdentityToken() {
    return username.equals(IDENTITY_TOKEN_USER);
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
