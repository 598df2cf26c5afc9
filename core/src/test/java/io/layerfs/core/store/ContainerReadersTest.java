package io.layerfs.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import io.layerfs.core.container.ContainerDirectory;
import io.layerfs.core.container.ContainerReaders;
import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.ImageBuilder;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container open read-only is not removed in this JVM until every such open closes (another
 * JVM's: {@link StoreProcessTest}); readers and the one writer still open side by side, and an
 * open that meets a removal under way finds no container.
 */
class ContainerReadersTest {
  @TempDir Path tmp;

  @Test
  void aContainerIsRemovedOnlyOnceItsLastReaderCloses() throws Exception {
    Path dir = storeWithContainer();
    try (Store store = Store.open(dir)) {
      Container first = store.container("web", null, true);
      Container second = store.container("web", null, true);
      IOException refused = assertThrows(IOException.class, () -> store.removeContainer("web"));
      assertEquals("container web is open read-only in this process: close that file system "
          + "or view first", refused.getMessage());
      first.close();
      assertThrows(IOException.class, () -> store.removeContainer("web"), "one reader left");
      assertEquals("mine", read(second, "/etc/mine"), "the reader left reads on");
      second.close();
      second.close(); // twice is harmless
      store.removeContainer("web");
      assertFalse(store.hasContainer("web"));
    }
  }

  @Test
  void readersAndTheWriterOpenSideBySide() throws Exception {
    Path dir = storeWithContainer();
    try (Store store = Store.open(dir)) {
      try (Container reader = store.container("web", null, true);
          Container writer = store.container("web", null, false);
          Container later = store.container("web", null, true)) {
        assertEquals("mine", read(reader, "/etc/mine"));
        assertEquals("mine", read(later, "/etc/mine"));
        assertFalse(writer.readOnly());
        assertThrows(IOException.class, () -> store.removeContainer("web"));
      }
      store.removeContainer("web");
    }
  }

  @Test
  void aReaderThroughAnotherPathToTheStoreKeepsTheContainer() throws Exception {
    Path dir = storeWithContainer();
    Path link = Files.createSymbolicLink(tmp.resolve("link"), dir);
    try (Store viaLink = Store.open(link); Store store = Store.open(dir)) {
      try (Container reader = viaLink.container("web", null, true)) {
        IOException refused = assertThrows(IOException.class,
            () -> store.removeContainer("web"));
        assertTrue(refused.getMessage().contains("open read-only in this process"),
            refused.getMessage());
        assertEquals("mine", read(reader, "/etc/mine"));
      }
      store.removeContainer("web");
    }
  }

  @Test
  void anOpenDuringARemovalFindsNoContainer() throws Exception {
    Path dir = storeWithContainer();
    Path folder = ContainerDirectory.containers(ContentStore.open(dir)).resolve("web");
    try (Closeable removal = ContainerReaders.exclude(folder, "web")) {
      IOException gone = assertThrows(IOException.class,
          () -> ContainerReaders.join(folder, "web"));
      assertInstanceOf(NoSuchFileException.class, gone.getCause(), gone.toString());
      try (Store store = Store.open(dir)) {
        IOException retried = assertThrows(IOException.class,
            () -> store.container("web", null, true));
        assertTrue(retried.getMessage().contains("was removed and created again by another "
            + "process while this opened it"), retried.getMessage());
      }
    }
    try (Closeable reader = ContainerReaders.join(folder, "web")) {
      IOException refused = assertThrows(IOException.class,
          () -> ContainerReaders.exclude(folder, "web"));
      assertTrue(refused.getMessage().contains("open read-only in this process"));
    }
  }

  @Test
  void aReadersFileThatDoesNotOpenKeepsNoneOut() throws Exception {
    Path dir = storeWithContainer();
    Path folder = ContainerDirectory.containers(ContentStore.open(dir)).resolve("web");
    Files.createDirectory(ContainerReaders.file(folder)); // no lock can be taken on it
    try (Store store = Store.open(dir)) {
      try (Container reader = store.container("web", null, true)) {
        assertEquals("mine", read(reader, "/etc/mine"), "read-only opens still work");
      }
      store.removeContainer("web"); // and so does a removal
      assertFalse(store.hasContainer("web"));
    }
  }

  /**
   * Readers of one container joining and leaving from many threads at once keep its count: a
   * removal is refused while one reader stays, and allowed once the last has left.
   */
  @Test
  void readersJoiningAndLeavingAtOnceKeepTheirCount() throws Exception {
    Path dir = storeWithContainer();
    Path folder = ContainerDirectory.containers(ContentStore.open(dir)).resolve("web");
    Callable<Void> churn = () -> {
      for (int i = 0; i < 500; i++) {
        ContainerReaders.join(folder, "web").close();
      }
      return null;
    };
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (Future<Void> f : pool.invokeAll(List.of(churn, churn, churn, churn))) {
        f.get(); // each share given up and taken anew, over and over
      }
      ContainerReaders.exclude(folder, "web").close(); // none left behind
      try (Closeable stays = ContainerReaders.join(folder, "web")) {
        List<Future<Void>> churning = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          churning.add(pool.submit(churn));
        }
        for (int i = 0; i < 200; i++) {
          assertThrows(IOException.class, () -> ContainerReaders.exclude(folder, "web"),
              "one reader stays throughout");
        }
        for (Future<Void> f : churning) {
          f.get();
        }
      }
      ContainerReaders.exclude(folder, "web").close();
    } finally {
      pool.shutdownNow();
    }
  }

  private Path storeWithContainer() throws IOException {
    Path dir = tmp.resolve("store");
    ImageBuilder.create(dir).layer().file("/etc/motd", "image\n").build("app:1");
    try (Store store = Store.open(dir); Container c = store.container("web", "app:1", false);
        FileHandle h = c.open("/etc/mine", Set.of(StandardOpenOption.WRITE,
            StandardOpenOption.CREATE_NEW), 0644)) {
      h.write(ByteBuffer.wrap("mine\n".getBytes(StandardCharsets.UTF_8)), 0);
    }
    return dir;
  }

  private static String read(Container c, String path) throws IOException {
    try (FileHandle h = c.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      h.read(b, 0);
      return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8).trim();
    }
  }
}
