package io.layerfs.core.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What a registry's TLS certificate is checked against: the JVM's trusted authorities, and the
 * authorities in the {@code *.crt} files of the registry's own directory under {@code certs.d},
 * as Docker, podman and skopeo add them ({@code /etc/docker/certs.d/HOST:PORT/ca.crt}); with a
 * directory given (skopeo's {@code --cert-dir}) its {@code *.crt} files serve every registry
 * instead. A certificate either set vouches for is trusted; the host name is checked as always.
 * The directory is found by the host and port the TLS engine connects to, read on first use,
 * and kept for the life of the client. Thread-safe.
 */
final class RegistryTrust extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager system;
  private final List<Path> roots;
  private final Path certDirOrNull;
  private final ConcurrentMap<String, Optional<Authorities>> byRegistry =
      new ConcurrentHashMap<>();

  /** A registry's own authorities and the directory they came from (named in errors). */
  private record Authorities(Path dir, X509ExtendedTrustManager manager) {}

  /**
   * Trust for registries: the JVM's authorities, and those of {@code certDirOrNull} for every
   * registry when given, else of each registry's directory under the first of {@code roots}
   * that has one ({@link #defaultRoots()}).
   */
  RegistryTrust(List<Path> roots, Path certDirOrNull) throws GeneralSecurityException {
    this.system = trustManager(null);
    this.roots = List.copyOf(roots);
    this.certDirOrNull = certDirOrNull;
  }

  /**
   * Where containers/image (skopeo, podman) looks, in its order, Docker's directory last: the
   * user's own {@code ~/.config/containers/certs.d}, {@code /etc/containers/certs.d}, {@code
   * /etc/docker/certs.d}.
   */
  static List<Path> defaultRoots() {
    List<Path> roots = new ArrayList<>();
    String home = System.getProperty("user.home");
    if (home != null && !home.isEmpty()) {
      roots.add(Path.of(home, ".config", "containers", "certs.d"));
    }
    roots.add(Path.of("/etc/containers/certs.d"));
    roots.add(Path.of("/etc/docker/certs.d"));
    return roots;
  }

  /** A TLS context that checks servers with this trust. */
  SSLContext context() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {this}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM", e);
    }
  }

  /**
   * The directory whose authorities a registry at {@code host:port} gets, or null: the one
   * given, else {@code ROOT/HOST:PORT} (and {@code ROOT/HOST} for port 443, as a reference
   * without a port names it) under the first root that has it.
   */
  Path directoryFor(String host, int port) {
    if (certDirOrNull != null) {
      return certDirOrNull;
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

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    Optional<Authorities> own = engine == null || engine.getPeerHost() == null ? Optional.empty()
        : authorities(engine.getPeerHost(), engine.getPeerPort());
    try {
      system.checkServerTrusted(chain, authType, engine);
    } catch (CertificateException notBySystem) {
      if (own.isEmpty()) {
        throw notBySystem;
      }
      try {
        own.get().manager().checkServerTrusted(chain, authType, engine);
      } catch (CertificateException notByOwn) {
        CertificateException neither = new CertificateException(notByOwn.getMessage()
            + " (checked against the JVM's trusted authorities and those of "
            + own.get().dir() + ")", notByOwn);
        neither.addSuppressed(notBySystem);
        throw neither;
      }
    }
  }

  /** A registry's own authorities, read once; a directory without {@code *.crt} has none. */
  private Optional<Authorities> authorities(String host, int port) throws CertificateException {
    String key = host + " " + port;
    Optional<Authorities> known = byRegistry.get(key);
    if (known != null) {
      return known;
    }
    Path dir = directoryFor(host, port);
    Optional<Authorities> read = Optional.empty();
    if (dir != null) {
      List<Certificate> certificates = certificates(dir);
      if (!certificates.isEmpty()) {
        try {
          read = Optional.of(new Authorities(dir, trustManager(certificates)));
        } catch (GeneralSecurityException e) {
          throw new CertificateException("the authorities of " + dir + ": " + e.getMessage(), e);
        }
      }
    }
    byRegistry.putIfAbsent(key, read);
    return read;
  }

  /**
   * The certificates of the {@code *.crt} files of {@code dir}, in the order of their names; an
   * unreadable or malformed file, or one with no certificate, is an error that names it.
   */
  static List<Certificate> certificates(Path dir) throws CertificateException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "*.crt")) {
      for (Path file : entries) {
        files.add(file);
      }
    } catch (IOException e) {
      throw new CertificateException("cannot list " + dir + ": " + e, e);
    }
    files.sort(null);
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    List<Certificate> all = new ArrayList<>();
    for (Path file : files) {
      Collection<? extends Certificate> read;
      try (InputStream in = Files.newInputStream(file)) {
        read = factory.generateCertificates(in);
      } catch (IOException | CertificateException e) {
        throw new CertificateException("cannot read the certificates of " + file + ": "
            + e.getMessage(), e);
      }
      if (read.isEmpty()) {
        throw new CertificateException(file + " holds no certificate");
      }
      all.addAll(read);
    }
    return all;
  }

  /** The PKIX trust manager of {@code authorities}, or the JVM's default one for null. */
  private static X509ExtendedTrustManager trustManager(List<Certificate> authorities)
      throws GeneralSecurityException {
    KeyStore store = null;
    if (authorities != null) {
      store = KeyStore.getInstance(KeyStore.getDefaultType());
      try {
        store.load(null, null);
      } catch (IOException e) {
        throw new GeneralSecurityException("an empty key store", e);
      }
      for (int i = 0; i < authorities.size(); i++) {
        store.setCertificateEntry("ca-" + i, authorities.get(i));
      }
    }
    TrustManagerFactory factory =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    factory.init(store);
    for (TrustManager manager : factory.getTrustManagers()) {
      if (manager instanceof X509ExtendedTrustManager) {
        return (X509ExtendedTrustManager) manager;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager in this JVM");
  }

  // The HTTP client checks through an engine (above); sockets and bare checks, which it does not
  // use, get the JVM's authorities alone.

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    system.checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    system.checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    system.checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    system.checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    system.checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return system.getAcceptedIssuers();
  }
}
