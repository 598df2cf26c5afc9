package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.core.content.ContentStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A removal and another process's writer open of the same container: the open holds the
 * folder open and makes its lock file in it ({@code openat}), so a folder renamed away for the
 * removal and emptied can get that file back before it is deleted. The removal must still end
 * with the folder gone, and then no file can be made in it.
 */
class ContainerRemovalRaceTest {
  @TempDir Path tmp;

  @Test
  void aLockFileMadeInTheEmptiedFolderDoesNotStopTheRemoval() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    Path dir = Files.createDirectories(ContainerDirectory.containers(store).resolve("web"));
    Files.writeString(dir.resolve(ContainerDirectory.JSON), "{}");
    AtomicInteger made = new AtomicInteger();
    // the writer's open found the folder before the removal renamed it away
    try (DirectoryStream<Path> folder = Files.newDirectoryStream(dir)) {
      SecureDirectoryStream<Path> held = (SecureDirectoryStream<Path>) folder;
      ContainerDirectory.Removal removal = ContainerDirectory.detach(store, "web");
      ContainerDirectory.finish(store, removal, () -> {
        if (made.getAndIncrement() < 3) {
          try {
            makeLockFile(held); // three such opens, each after an emptying
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      });
      assertFalse(Files.exists(removal.dir()));
      assertEquals(4, made.get(), "three emptyings again, then the delete");
      // the folder is deleted: no open can make a file in it any more
      assertThrows(NoSuchFileException.class, () -> makeLockFile(held));
    }
    try (var left = Files.list(ContainerDirectory.containers(store))) {
      assertEquals(0, left.count());
    }
  }

  /** What a writer's open does in the folder it holds (see ContainerLock). */
  private static void makeLockFile(SecureDirectoryStream<Path> folder) throws IOException {
    try (SeekableByteChannel c = folder.newByteChannel(Path.of("lock"),
        Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
      c.size();
    }
  }
}
