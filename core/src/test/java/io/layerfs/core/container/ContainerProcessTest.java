package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A container across JVMs: the writer lock, a crash without close, a reopen elsewhere. */
class ContainerProcessTest {
  @TempDir Path tmp;

  /** The child process: {@code write STORE PATH TEXT} (then halts, no close), {@code hold
   * STORE} (holds the writer lock until stdin closes), {@code read STORE PATH}. */
  public static void main(String[] args) throws Exception {
    ContentStore store = ContentStore.open(Path.of(args[1]));
    try (LayerStore layers = new LayerStore(store)) {
      switch (args[0]) {
        case "write": {
          Container c = Container.open(store, layers, "web", null, false);
          ContainerFixture.write(c, args[2], args[3]);
          System.out.println("written");
          System.out.flush();
          Runtime.getRuntime().halt(0); // as kill -9: no close, no compaction
          break;
        }
        case "hold":
          try (Container c = Container.open(store, layers, "web", null, false)) {
            System.out.println("locked");
            System.out.flush();
            while (System.in.read() >= 0) {
              // wait for the parent to close our stdin
            }
          }
          break;
        default:
          try (Container c = Container.open(store, layers, "web", null, true)) {
            System.out.println(ContainerFixture.readString(c, args[2]));
          }
      }
    }
  }

  private static Process child(String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String[] cmd = new String[args.length + 4];
    cmd[0] = java;
    cmd[1] = "-cp";
    cmd[2] = System.getProperty("java.class.path");
    cmd[3] = ContainerProcessTest.class.getName();
    System.arraycopy(args, 0, cmd, 4, args.length);
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static String firstLine(Process p) throws IOException {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    return r.readLine();
  }

  @Test
  void lockCrashAndReopenAcrossJvms() throws Exception {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    try (LayerStore layers = new LayerStore(store)) {
      Container.open(store, layers, "web", ContainerFixture.IMAGE, false).close();
      String dir = store.root().toString();

      // a writer that dies without closing: its writes are in the log
      Process w = child("write", dir, "/d1/sub/x", "from child");
      assertEquals("written", firstLine(w));
      w.waitFor(60, TimeUnit.SECONDS);
      try (Container c = Container.open(store, layers, "web", null, false)) {
        assertEquals("from child", ContainerFixture.readString(c, "/d1/sub/x"));
        ContainerFixture.write(c, "/etc/hosts", "parent");
      }

      // another process holds the lock: a second writer is refused, a reader is not
      Process h = child("hold", dir);
      assertEquals("locked", firstLine(h));
      IOException e = assertThrows(IOException.class,
          () -> Container.open(store, layers, "web", null, false));
      assertEquals("container web is open for writing by another process: close it there first "
          + "(read-only opens, such as layerfs cat, ls, diff and export, work meanwhile)",
          e.getMessage());
      try (Container ro = Container.open(store, layers, "web", null, true)) {
        assertEquals("parent", ContainerFixture.readString(ro, "/etc/hosts"));
      }
      h.getOutputStream().close();
      assertEquals(0, h.waitFor());
      Container.open(store, layers, "web", null, false).close();

      // a new JVM sees every write
      Process r = child("read", dir, "/etc/hosts");
      assertEquals("parent", firstLine(r));
      assertEquals(0, r.waitFor());
    }
  }
}
