package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.http.HttpClient;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.Test;

class DeferredSslContextTest {

  @Test
  void anHttpClientIsBuiltWithoutMakingTheContextWhichIsMadeOnceOnFirstUse() {
    AtomicInteger made = new AtomicInteger();
    SSLContext deferred = new DeferredSslContext(() -> {
      made.incrementAndGet();
      try {
        return SSLContext.getDefault();
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError(e);
      }
    });
    HttpClient client = HttpClient.newBuilder().sslContext(deferred)
        .sslParameters(new SSLParameters()).build();
    assertEquals(0, made.get(), "building the client made the TLS context");

    SSLEngine engine = deferred.createSSLEngine("registry.example", 443);
    assertEquals("registry.example", engine.getPeerHost());
    assertNotNull(deferred.getClientSessionContext());
    assertNotNull(deferred.getDefaultSSLParameters().getProtocols());
    assertEquals(1, made.get());
    HttpClientShutdown.close(client);
  }

  @Test
  void refusesToBeInitializedAgain() {
    SSLContext deferred = new DeferredSslContext(() -> {
      throw new AssertionError("not made");
    });
    assertThrows(KeyManagementException.class, () -> deferred.init(null, null, null));
  }
}
