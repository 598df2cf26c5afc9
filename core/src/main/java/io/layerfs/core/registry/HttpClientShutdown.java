package io.layerfs.core.registry;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.http.HttpClient;

/**
 * Stops an {@link HttpClient} no longer needed: its selector thread and pooled connections.
 *
 * <p>Java 21's client is {@link AutoCloseable}. Java 17's has no such method: its selector
 * thread waits in {@code epoll_wait} until the client is garbage collected, and a JVM that exits
 * while a thread waits in native code first waits up to 300 ms for that thread (HotSpot's {@code
 * VM_Exit}), which was a fifth of a {@code layerfs pull}. There the selector is shut down through
 * the JDK's internal {@code jdk.internal.net.http} package when it is open to layerfs (the CLI's
 * launcher and jar manifest open it); otherwise the client is left to the garbage collector, as
 * before.
 */
final class HttpClientShutdown {
  private static final String INTERNAL = "jdk.internal.net.http";

  private HttpClientShutdown() {}

  /** Stops {@code client}; returns whether it could (false: left to the garbage collector). */
  static boolean close(HttpClient client) {
    // as an Object: compiled by Java 21+ against its own API (HttpClient is AutoCloseable there)
    // with source 17, the test would be unconditional, which source 17 refuses
    Object any = client;
    if (any instanceof AutoCloseable closeable) {
      try {
        closeable.close();
        return true;
      } catch (Exception e) {
        return false;
      }
    }
    if (!HttpClient.class.getModule().isOpen(INTERNAL, HttpClientShutdown.class.getModule())) {
      return false;
    }
    try {
      Object impl = field(client, "impl"); // HttpClientFacade.impl: the HttpClientImpl
      Object selector = field(impl, "selmgr");
      Method shutdown = selector.getClass().getDeclaredMethod("shutdown");
      shutdown.setAccessible(true);
      shutdown.invoke(selector);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false; // another JDK's internals
    }
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    Field field = owner.getClass().getDeclaredField(name);
    field.setAccessible(true);
    return field.get(owner);
  }
}
