package io.layerfs.core.registry;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS side of the requests to registries: the context the HTTP client speaks TLS with (the
 * client gets it through a {@link DeferredSslContext}, which asks for it on first use), with the
 * client certificates of each registry's directory ({@link RegistryClientKeys}) and, with {@code
 * tlsVerify} on, its trust ({@link RegistryTrust}), else no certificate check at all. Before a
 * registry is first spoken to over TLS its directory is read ({@link #prepare}), so that a bad
 * file is an error naming it. Thread-safe.
 */
final class RegistryTls implements Supplier<SSLContext> {
  private final boolean verify;
  private final CertsDirectories directories;
  private final RegistryClientKeys keys;
  private final Set<String> prepared = ConcurrentHashMap.newKeySet();
  /** "HOST PORT" of registries spoken to without a certificate check (registries.conf). */
  private final Set<String> insecure = ConcurrentHashMap.newKeySet();
  private RegistryTrust trust;

  RegistryTls(boolean verify, CertsDirectories directories) {
    this.verify = verify;
    this.directories = directories;
    this.keys = new RegistryClientKeys(directories);
  }

  /** The TLS context: made once, by the {@link DeferredSslContext} that asks for it. */
  @Override
  public SSLContext get() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(new KeyManager[] {keys},
          new TrustManager[] {verify ? trust() : new TrustingAll()}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS in this JVM: " + e.getMessage(), e);
    }
  }

  private synchronized RegistryTrust trust() {
    if (trust == null) {
      trust = new RegistryTrust(directories, insecure);
    }
    return trust;
  }

  /**
   * Reads the certificates of the directory of {@code uri}'s registry, once: its client
   * certificates, and with {@code tlsVerify} on its authorities. Nothing for plain HTTP.
   */
  void prepare(URI uri) throws IOException {
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      return;
    }
    int port = uri.getPort() < 0 ? 443 : uri.getPort();
    String host = uri.getHost();
    if (!prepared.add(host + " " + port)) {
      return;
    }
    try {
      keys.prepare(host, port);
      if (verify && !insecure.contains(RegistryTrust.key(host, port))) {
        trust().prepare(host, port);
      }
    } catch (IOException | CertificateException e) {
      prepared.remove(host + " " + port);
      throw new IOException(e.getMessage(), e);
    }
  }

  /**
   * No certificate check for {@code registry} ({@code HOST[:PORT]}, 443 when no port is given):
   * what a registries.conf's {@code insecure = true} asks for it.
   */
  void allowInsecure(String registry) {
    int close = registry.lastIndexOf(']');
    int colon = registry.lastIndexOf(':');
    boolean hasPort = colon > close && (close >= 0 || registry.indexOf(':') == colon);
    String host = hasPort ? registry.substring(0, colon) : registry;
    int port = hasPort ? Integer.parseInt(registry.substring(colon + 1)) : 443;
    insecure.add(RegistryTrust.key(host, port));
  }

  /** No certificate or host name check: what {@code --tls-verify=false} asks for. */
  private static final class TrustingAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String type, Socket s) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String type, Socket s) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String type, SSLEngine e) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String type, SSLEngine e) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String type) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String type) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
