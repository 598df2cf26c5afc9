package io.layerfs.core.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a registry's own certificates are, as Docker, podman and skopeo look for them: the
 * directory {@code HOST:PORT} (or {@code HOST} for port 443) under the first of the {@code
 * certs.d} roots that has it, or one directory given for every registry (skopeo's {@code
 * --cert-dir}). Its {@code *.crt} files are certificate authorities ({@link RegistryTrust}), its
 * {@code *.cert} and {@code *.key} pairs client certificates ({@link RegistryClientKeys}).
 */
final class CertsDirectories {
  private final List<Path> roots;
  private final Path givenOrNull;

  /** The registry's directory under the first of {@code roots}, or {@code givenOrNull}. */
  CertsDirectories(List<Path> roots, Path givenOrNull) {
    this.roots = List.copyOf(roots);
    this.givenOrNull = givenOrNull;
  }

  /** {@code givenOrNull}, else the roots of {@link #defaultRoots()}. */
  static CertsDirectories of(Path givenOrNull) {
    return new CertsDirectories(defaultRoots(), givenOrNull);
  }

  /**
   * Where containers/image (skopeo, podman) looks, in its order, Docker's directory last: the
   * user's own {@code ~/.config/containers/certs.d}, {@code /etc/containers/certs.d}, {@code
   * /etc/docker/certs.d}.
   */
  static List<Path> defaultRoots() {
    List<Path> roots = new ArrayList<>();
    String home = UserHome.get();
    if (home != null && !home.isEmpty()) {
      roots.add(Path.of(home, ".config", "containers", "certs.d"));
    }
    roots.add(Path.of("/etc/containers/certs.d"));
    roots.add(Path.of("/etc/docker/certs.d"));
    return roots;
  }

  /** The directory of the registry at {@code host:port}, or null if it has none. */
  Path directoryFor(String host, int port) {
    if (givenOrNull != null) {
      return givenOrNull;
    }
    String name = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    for (Path root : roots) {
      Path withPort = root.resolve(name + ":" + port);
      if (Files.isDirectory(withPort)) {
        return withPort;
      }
      if (port == 443 && Files.isDirectory(root.resolve(name))) {
        return root.resolve(name);
      }
    }
    return null;
  }
}
