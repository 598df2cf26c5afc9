package io.layerfs.core.registry;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What a registry's TLS certificate is checked against: the JVM's trusted authorities, and the
 * authorities in the {@code *.crt} files of the registry's own directory ({@link
 * CertsDirectories}: {@code /etc/docker/certs.d/HOST:PORT/ca.crt}, or skopeo's {@code
 * --cert-dir}), as Docker, podman and skopeo add them. A certificate either set vouches for is
 * trusted; the host name is checked as always. The directory is found by the host and port the
 * TLS engine connects to, read once, and kept for the life of the client. Thread-safe.
 */
final class RegistryTrust extends X509ExtendedTrustManager {
  private final CertsDirectories directories;
  private final ConcurrentMap<String, Optional<Authorities>> byRegistry =
      new ConcurrentHashMap<>();
  /** The JVM's authorities, read when first needed: a registry's own may vouch alone. */
  private X509ExtendedTrustManager system;

  /** A registry's own authorities and the directory they came from (named in errors). */
  private record Authorities(Path dir, X509ExtendedTrustManager manager) {}

  /** "HOST PORT" ({@link #key}) of the registries whose certificates are not checked. */
  private final Set<String> insecure;

  /**
   * Trust for registries: the JVM's authorities, and those of each one's directory; none checked
   * for a registry in {@code insecure} (a registries.conf's {@code insecure = true}), a set the
   * caller may add to later.
   */
  RegistryTrust(CertsDirectories directories, Set<String> insecure) {
    this.directories = directories;
    this.insecure = insecure;
  }

  /** How {@code insecure} names a registry: its host (no brackets), lower case, and port. */
  static String key(String host, int port) {
    String bare = host.startsWith("[") && host.endsWith("]")
        ? host.substring(1, host.length() - 1) : host;
    return bare.toLowerCase(Locale.ROOT) + " " + port;
  }

  /**
   * Reads the authorities of the registry at {@code host:port} now, if not yet: an error in its
   * files then names them before any request, not in the middle of a handshake.
   */
  void prepare(String host, int port) throws CertificateException {
    authorities(host, port);
  }

  /**
   * Checks a registry's certificate against its own authorities first, then the JVM's: the
   * JVM's trust store (some 140 certificates) is then read only where the registry's own do not
   * vouch, and a certificate of a private authority costs no failed search through it.
   */
  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    if (engine != null && engine.getPeerHost() != null
        && insecure.contains(key(engine.getPeerHost(), engine.getPeerPort()))) {
      return;
    }
    Optional<Authorities> own = engine == null || engine.getPeerHost() == null ? Optional.empty()
        : authorities(engine.getPeerHost(), engine.getPeerPort());
    if (own.isEmpty()) {
      system().checkServerTrusted(chain, authType, engine);
      return;
    }
    try {
      own.get().manager().checkServerTrusted(chain, authType, engine);
    } catch (CertificateException notByOwn) {
      try {
        system().checkServerTrusted(chain, authType, engine);
      } catch (CertificateException notBySystem) {
        CertificateException neither = new CertificateException(notByOwn.getMessage()
            + " (checked against the authorities of " + own.get().dir()
            + " and the JVM's)", notByOwn);
        neither.addSuppressed(notBySystem);
        throw neither;
      }
    }
  }

  /** Whether the JVM's authorities have been read (for tests). */
  synchronized boolean systemRead() {
    return system != null;
  }

  private synchronized X509ExtendedTrustManager system() throws CertificateException {
    if (system == null) {
      try {
        system = trustManager(null);
      } catch (GeneralSecurityException e) {
        throw new CertificateException("the JVM's trusted authorities: " + e.getMessage(), e);
      }
    }
    return system;
  }

  /** A registry's own authorities, read once; a directory without {@code *.crt} has none. */
  private Optional<Authorities> authorities(String host, int port) throws CertificateException {
    String key = host + " " + port;
    Optional<Authorities> known = byRegistry.get(key);
    if (known != null) {
      return known;
    }
    Path dir = directories.directoryFor(host, port);
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
    List<Certificate> all = new ArrayList<>();
    for (Path file : files) {
      try {
        all.addAll(PemCertificates.read(file, "certificates of"));
      } catch (IOException e) {
        throw new CertificateException(e.getMessage(), e);
      }
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
    system().checkServerTrusted(chain, authType, socket);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    system().checkServerTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    system().checkClientTrusted(chain, authType, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    system().checkClientTrusted(chain, authType, socket);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    system().checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    try {
      return system().getAcceptedIssuers();
    } catch (CertificateException e) {
      return new X509Certificate[0]; // a client names no authorities it accepts
    }
  }
}
