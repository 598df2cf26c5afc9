package io.layerfs.core.registry;

/**
 * The home directory under which Docker and containers/image keep a user's configuration
 * ({@code ~/.docker/config.json}, {@code ~/.config/containers/}): {@code $HOME} as they read it,
 * else the JVM's {@code user.home} (from the password database, which a changed {@code HOME},
 * as under {@code sudo -E} or in a CI job, does not move).
 */
final class UserHome {
  private UserHome() {}

  static String get() {
    String home = System.getenv("HOME");
    return home != null && !home.isEmpty() ? home : System.getProperty("user.home");
  }
}
