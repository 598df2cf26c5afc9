package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry clients that lazily read layers read through ({@link Store#lazyImage}) live as
 * long as the store and no longer: closing the store (what closing the provider's last file
 * system of it does) stops their HTTP clients' threads, and a client that no layer reads through
 * is closed at once. Served by a loopback {@link LayoutRegistry}.
 */
class LazyRegistryClientTest {
  @TempDir Path tmp;
  private LayoutRegistry server;
  private Path remote;

  @BeforeEach
  void serve() throws IOException {
    remote = tmp.resolve("remote");
    ImageBuilder.create(remote)
        .add(ImageBuilder.Entry.dir("etc"))
        .add(ImageBuilder.Entry.file("etc/hosts",
            "127.0.0.1 localhost\n".getBytes(StandardCharsets.UTF_8)))
        .build("app");
    server = new LayoutRegistry(InetAddress.getLoopbackAddress(), remote);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void closingTheStoreStopsTheClientOfItsLazyLayers() throws Exception {
    Set<Thread> before = selectors();
    Store store = Store.open(tmp.resolve("local"));
    Thread selector;
    try {
      String tag = store.lazyImage(reference(), RegistryOptions.defaults().withTlsVerify(false));
      assertTrue(server.requests.get() > 0, "the image was resolved from the registry");
      List<Thread> made = newSelectors(before);
      assertEquals(1, made.size(), "the lazy layers' client");
      selector = made.get(0);
      assertTrue(selector.isAlive(), "the client lives while the store is open");

      // the image again: its layers are attached already, so the new client is closed at once
      Set<Thread> second = selectors();
      assertEquals(tag, store.lazyImage(reference(),
          RegistryOptions.defaults().withTlsVerify(false)));
      for (Thread t : newSelectors(second)) {
        t.join(30_000);
        assertFalse(t.isAlive(), "a client no layer reads through still runs");
      }
      assertTrue(selector.isAlive(), "the first client still serves the lazy layers");
    } finally {
      store.close();
    }
    selector.join(30_000);
    assertFalse(selector.isAlive(), "the lazy layers' client still runs after the store closed");
  }

  private String reference() {
    return server.address() + "/test/img:app";
  }

  private static Set<Thread> selectors() {
    Set<Thread> out = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().endsWith("SelectorManager") && t.isAlive()) {
        out.add(t);
      }
    }
    return out;
  }

  private static List<Thread> newSelectors(Set<Thread> before) {
    return selectors().stream().filter(t -> !before.contains(t)).toList();
  }
}
