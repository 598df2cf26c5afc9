package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerfs.core.Progress;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registries on this host as Docker treats them: named by IPv6 address ({@code [::1]:PORT}), and
 * spoken to in plain HTTP without {@code tlsVerify} off (Docker's default insecure registries:
 * 127.0.0.0/8, {@code ::1}, {@code localhost}); a registry elsewhere never is.
 */
class LoopbackRegistryTest {
  @TempDir Path tmp;
  private Path remote;

  @BeforeEach
  void image() throws IOException {
    remote = tmp.resolve("remote");
    ImageBuilder.create(remote)
        .add(ImageBuilder.Entry.dir("etc"))
        .add(ImageBuilder.Entry.file("etc/hosts",
            "127.0.0.1 localhost\n".getBytes(StandardCharsets.UTF_8)))
        .build("app");
  }

  @Test
  void anIpv6RegistryIsPulledTaggedAndOpenedByItsDockerName() throws IOException {
    try (LayoutRegistry registry = new LayoutRegistry(InetAddress.getByName("::1"), remote);
        Store store = Store.open(tmp.resolve("local"))) {
      String ref = registry.address() + "/team/app:app";
      assertTrue(ref.startsWith("[::1]:"), ref);
      String tag = store.pull(ref, RegistryOptions.defaults(), Platform.DEFAULT, Progress.NONE)
          .tag();
      assertEquals(ref, tag);
      assertEquals(List.of(ref), store.tags());
      assertEquals(1, store.image(ref).layers().size());
      String index = Files.readString(tmp.resolve("local/index.json"));
      assertTrue(index.contains("\"ip6+x+x+1:" + ref.substring(ref.indexOf("]:") + 2) + "\""),
          index);
      int asked = registry.requests.get();
      assertEquals(ref, store.imageOrPull(ref, RegistryOptions.defaults(), Progress.NONE));
      assertEquals(asked, registry.requests.get(), "known by its name: no request");

      String lazyRef = registry.address() + "/team/lazy:app";
      assertEquals(lazyRef, store.lazyImage(lazyRef, RegistryOptions.defaults()));
      store.completeLazy(lazyRef);
      assertEquals(store.image(ref).manifestDigest(), store.image(lazyRef).manifestDigest());
      assertTrue(store.untag(lazyRef));
      assertEquals(List.of(ref), store.tags());
    }
  }

  @Test
  void aLoopbackRegistryAnswersPlainHttpUnlessTlsVerifyIsGivenAsTrue() throws Exception {
    try (LayoutRegistry registry = new LayoutRegistry(InetAddress.getByName("127.0.0.1"),
        remote); Store store = Store.open(tmp.resolve("local"))) {
      String ref = registry.address() + "/team/app:app";
      assertEquals(ref, store.pull(ref, RegistryOptions.defaults(), Platform.DEFAULT,
          Progress.NONE).tag());
    }
    try (PlainHttpServer server = new PlainHttpServer(InetAddress.getByName("127.0.0.1"));
        Store store = Store.open(tmp.resolve("strict"))) {
      String ref = server.address() + "/team/app:app";
      RegistryOptions strict = RegistryOptions.defaults().withLoopbackHttp(false)
          .withRetries(1, Duration.ofMillis(1));
      IOException e = assertThrows(IOException.class,
          () -> store.pull(ref, strict, Platform.DEFAULT, Progress.NONE));
      assertTrue(e.getMessage().startsWith("registry " + server.address() + ": "),
          e.getMessage());
      assertTrue(e.getMessage().contains("TLS") && e.getMessage().contains("--tls-verify=false"),
          e.getMessage());
      // the JDK's client may try a connection twice: every one spoke TLS
      List<Boolean> tls = server.firstBytesWereTls();
      assertFalse(tls.isEmpty() || tls.contains(false), "HTTPS only: " + tls);
    }
  }

  @Test
  void aRegistryOffLoopbackIsNeverSpokenToInPlainHttpWithoutTheFlag() throws Exception {
    InetAddress address = nonLoopbackAddress();
    assumeTrue(address != null, "this host has no address but loopback ones");
    try (PlainHttpServer server = new PlainHttpServer(address);
        Store store = Store.open(tmp.resolve("local"))) {
      String ref = server.address() + "/team/app:app";
      IOException e = assertThrows(IOException.class, () -> store.pull(ref,
          RegistryOptions.defaults().withRetries(1, Duration.ofMillis(1)), Platform.DEFAULT,
          Progress.NONE));
      assertTrue(e.getMessage().contains("TLS"), e.getMessage());
      // the JDK's client may try a connection twice: every one spoke TLS
      List<Boolean> tls = server.firstBytesWereTls();
      assertFalse(tls.isEmpty() || tls.contains(false), "HTTPS only: " + tls);
      assertEquals(List.of(), store.tags());
    }
  }

  /**
   * A plain-HTTP server as the distribution server is one towards TLS: it answers whatever comes
   * with {@code 400 Bad Request} at once (a TLS client fails its handshake at once), and records
   * whether each connection began with a TLS handshake record.
   */
  private static final class PlainHttpServer implements AutoCloseable {
    private final ServerSocket socket;
    private final List<Boolean> tls = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    PlainHttpServer(InetAddress address) throws IOException {
      socket = new ServerSocket(0, 50, address);
      acceptor = new Thread(this::serve, "plain-http");
      acceptor.start();
    }

    String address() {
      return socket.getInetAddress().getHostAddress() + ":" + socket.getLocalPort();
    }

    List<Boolean> firstBytesWereTls() {
      return List.copyOf(tls);
    }

    private void serve() {
      while (!socket.isClosed()) {
        try (Socket s = socket.accept()) {
          tls.add(s.getInputStream().read() == 0x16);
          s.getOutputStream().write("HTTP/1.0 400 Bad Request\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
          // closed: done
        }
      }
    }

    @Override
    public void close() throws Exception {
      socket.close();
      acceptor.join(10_000);
    }
  }

  private static InetAddress nonLoopbackAddress() throws SocketException {
    for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!n.isUp() || n.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(n.getInetAddresses())) {
        if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress()) {
          return a;
        }
      }
    }
    return null;
  }
}
