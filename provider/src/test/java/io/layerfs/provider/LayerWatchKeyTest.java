package io.layerfs.provider;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A key fed the host's events of its directory, as {@link LayerWatchService} feeds it. */
class LayerWatchKeyTest {
  /**
   * Host events of a kind the key no longer watches (registered again with other kinds while
   * they were pending) are dropped, and a key with no event left is not queued: the JDK's is
   * queued only with an event to take.
   */
  @Test
  void hostEventsOfKindsNotWatchedQueueNothing() {
    LayerWatchService service = new LayerWatchService(JdkOracle.FS);
    LayerWatchKey key = new LayerWatchKey(service, (LayerPath) JdkOracle.FS.getPath("/srv"), 1,
        Set.of(ENTRY_DELETE));
    key.forward(List.of(hostEvent(ENTRY_CREATE, "a"), hostEvent(ENTRY_CREATE, "b")));
    assertNull(service.poll(), "nothing to take");
    key.forward(List.of(hostEvent(ENTRY_CREATE, "c"), hostEvent(ENTRY_DELETE, "a")));
    assertSame(key, service.poll());
    List<WatchEvent<?>> events = key.pollEvents();
    assertEquals(1, events.size());
    assertEquals(ENTRY_DELETE, events.get(0).kind());
    assertEquals(JdkOracle.FS.getPath("a"), events.get(0).context());
  }

  private static WatchEvent<Path> hostEvent(WatchEvent.Kind<Path> kind, String name) {
    Path context = Path.of(name);
    return new WatchEvent<>() {
      @Override
      public Kind<Path> kind() {
        return kind;
      }

      @Override
      public int count() {
        return 1;
      }

      @Override
      public Path context() {
        return context;
      }
    };
  }
}
