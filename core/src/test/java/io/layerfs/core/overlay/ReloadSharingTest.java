package io.layerfs.core.overlay;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.core.FileHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handles of a read-only view that follow the writer share the state loaded again (loading it
 * costs about what an open costs), a newer one is made only for a handle that found the shared
 * one stale too, and each is closed once no handle reads it.
 */
class ReloadSharingTest {
  @TempDir Path tmp;

  @Test
  void handlesThatFollowTheWriterShareOneLoadOfItsState() throws IOException {
    try (OverlayFixture fx = new OverlayFixture(tmp)) {
      write(fx.ov, "/a", "AAAAAAAAAA");
      write(fx.ov, "/b", "BBBBBBBBBB");
      Overlay view = fx.crashView(); // a read-only view beside the writer
      FileHandle a = view.open("/a", Set.of(READ), 0);
      FileHandle b = view.open("/b", Set.of(READ), 0);
      truncate(fx.ov, "/a", 3);
      truncate(fx.ov, "/b", 4);
      assertEquals("AAA", read(a));
      assertEquals("BBBB", read(b));
      Overlay.Reload shared = view.reload(null);
      assertEquals(3, shared.users, "a, b and this: one load for both handles");
      Overlay.Reload newer = view.reload(shared);
      assertNotSame(shared, newer, "one that found the shared load stale gets a new one");
      assertSame(newer, view.reload(null));
      view.release(newer);
      view.release(newer);
      view.release(shared);
      a.close();
      shared.overlay.checkOpen(); // b reads it still
      b.close();
      assertThrows(RuntimeException.class, shared.overlay::checkOpen, "closed once unread");
      view.close();
      assertThrows(RuntimeException.class, newer.overlay::checkOpen, "closed with the view");
    }
  }

  private static void write(Overlay ov, String path, String text) throws IOException {
    try (FileHandle h = ov.open(path, Set.of(WRITE, CREATE), 0644)) {
      h.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
    }
  }

  private static void truncate(Overlay ov, String path, long size) throws IOException {
    try (FileHandle h = ov.open(path, Set.of(WRITE), 0)) {
      h.truncate(size);
    }
  }

  private static String read(FileHandle h) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(32);
    while (h.read(b, b.position()) > 0) {
      // fill
    }
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }
}
