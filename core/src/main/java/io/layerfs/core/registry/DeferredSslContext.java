package io.layerfs.core.registry;

import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * A TLS context made on its first use: an {@code HttpClient} wants one when it is built, and
 * making it (the JDK's TLS provider, its cipher suites, the trust store) took a fresh JVM a tenth
 * of a second or more, for nothing when the registry speaks plain HTTP, as a local one does.
 * Thread-safe.
 */
final class DeferredSslContext extends SSLContext {

  DeferredSslContext(Supplier<SSLContext> factory) {
    super(new Spi(factory), null, "TLS");
  }

  private static final class Spi extends SSLContextSpi {
    private final Supplier<SSLContext> factory;
    private SSLContext context;

    Spi(Supplier<SSLContext> factory) {
      this.factory = factory;
    }

    private synchronized SSLContext context() {
      if (context == null) {
        context = factory.get();
      }
      return context;
    }

    @Override
    protected void engineInit(KeyManager[] keys, TrustManager[] trust, SecureRandom random)
        throws KeyManagementException {
      throw new KeyManagementException("a deferred TLS context is initialized by its factory");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return context().getSocketFactory();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return context().getServerSocketFactory();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return context().createSSLEngine();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      return context().createSSLEngine(host, port);
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return context().getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return context().getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      return context().getDefaultSSLParameters();
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return context().getSupportedSSLParameters();
    }
  }
}
