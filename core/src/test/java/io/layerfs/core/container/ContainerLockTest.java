package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-writer lock against a removal by another process: the folder renamed away between
 * the open of its lock file and the lock, and a new container of the same name made in its
 * place, must not leave the lock taken for the new one.
 */
class ContainerLockTest {
  @TempDir Path tmp;

  @Test
  void aFolderRenamedAwayAsItIsLockedIsGoneThoughANewOneIsThere() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("web"));
    Path away = tmp.resolve(".removing-web");
    IOException e = assertThrows(IOException.class, () -> ContainerLock.acquire(dir, "web",
        () -> {
          try {
            // another process's removal, then a creation of the name
            Files.move(dir, away);
            Files.createDirectory(dir);
          } catch (IOException x) {
            throw new UncheckedIOException(x);
          }
        }));
    assertInstanceOf(NoSuchFileException.class, e.getCause(), e.toString());
    assertTrue(e.getMessage().contains("container web was removed"), e.getMessage());
    // the lock taken was the old folder's, and it is given back: the new one's is free
    try (ContainerLock lock = ContainerLock.acquire(dir, "web")) {
      assertTrue(Files.exists(ContainerLock.file(dir)));
    }
    assertTrue(Files.exists(ContainerLock.file(away)));
  }

  @Test
  void aFolderThatIsGoneIsSaidToBe() {
    IOException e = assertThrows(IOException.class,
        () -> ContainerLock.acquire(tmp.resolve("gone"), "gone"));
    assertInstanceOf(NoSuchFileException.class, e.getCause(), e.toString());
  }

  @Test
  void aSecondWriterInThisProcessIsRefusedUntilTheFirstCloses() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("db"));
    try (ContainerLock lock = ContainerLock.acquire(dir, "db")) {
      IOException e = assertThrows(IOException.class, () -> ContainerLock.acquire(dir, "db"));
      assertTrue(e.getMessage().contains("already open for writing in this process"),
          e.getMessage());
    }
    try (ContainerLock lock = ContainerLock.acquire(dir, "db")) {
      assertEquals("lock", ContainerLock.file(dir).getFileName().toString());
    }
  }
}
