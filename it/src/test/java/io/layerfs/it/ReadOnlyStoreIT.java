package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store on a read-only mount (an OCI layout on read-only media, or shared read-only with a
 * container): what was unpacked and indexed before reads as from a writable store; an image read
 * for the first time fails saying the store cannot be written and how to read it anyway, and
 * importing from it into a writable store works. Needs root (a read-only bind mount); fails,
 * never skips, without.
 */
final class ReadOnlyStoreIT {
  @TempDir Path work;
  private Path mounted;

  @AfterEach
  void unmount() {
    if (mounted != null) {
      Tools.run("umount", mounted.toString());
    }
  }

  @Test
  void readsWhatWasIndexedAndExplainsWhatItCannotWrite() throws Exception {
    Path store = work.resolve("store");
    ImageBuilder.create(store).layer().file("/etc/motd", "seen before\n").build("seen:1");
    ImageBuilder.create(store).layer().file("/etc/motd", "never read\n").build("new:1");
    // seen:1 is read once while the store is writable: its layer is unpacked and indexed
    assertEquals("seen before\n", LayerfsCli.run(store, "cat", "seen:1", "/etc/motd"));
    Path ro = Files.createDirectories(work.resolve("ro"));
    mountReadOnly(store, ro);

    assertEquals("seen before\n", LayerfsCli.run(ro, "cat", "seen:1", "/etc/motd"));
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://seen"),
        Map.of("store", ro, "image", "seen:1", "readOnly", true))) {
      assertEquals("seen before\n", Files.readString(fs.getPath("/etc/motd")));
    }

    FileSystemException e = assertThrows(FileSystemException.class,
        () -> FileSystems.newFileSystem(URI.create("layerfs://fresh"),
            Map.of("store", ro, "image", "new:1", "readOnly", true)).close());
    assertTrue(e.getMessage().contains("store " + ro + " cannot be written: layerfs unpacks"),
        e.getMessage());
    assertTrue(e.getMessage().contains("import oci:" + ro + ":TAG"), e.getMessage());
    LayerfsCli.Result cat = LayerfsCli.runFailing(ro, "cat", "new:1", "/etc/motd");
    assertEquals(1, cat.exit());
    assertTrue(cat.stderr().contains("Read-only file system; store " + ro + " cannot be"),
        cat.stderr());

    Path writable = work.resolve("writable");
    LayerfsCli.run(writable, "import", "oci:" + ro + ":new:1", "new:1");
    assertEquals("never read\n", LayerfsCli.run(writable, "cat", "new:1", "/etc/motd"));
  }

  /**
   * A read-only container in a store it cannot write locks a file with no lock file (an image
   * file no process locked yet) or no data file (an empty file of its own) in this process's
   * table: one JVM's channels of it exclude each other as the JDK's do, and closing a channel
   * releases its locks.
   */
  @Test
  void aContainerInAStoreItCannotWriteLocksItsFilesInTheJvm() throws Exception {
    Path store = work.resolve("store");
    ImageBuilder.create(store).layer().file("/etc/motd", "from the image\n").build("base:1");
    try (FileSystem box = FileSystems.newFileSystem(URI.create("layerfs://box"),
        Map.of("store", store, "image", "base:1"))) {
      Files.createFile(box.getPath("/empty"));
    }
    Path ro = Files.createDirectories(work.resolve("ro"));
    mountReadOnly(store, ro);
    try (FileSystem box = FileSystems.newFileSystem(URI.create("layerfs://box"),
        Map.of("store", ro, "readOnly", true))) {
      for (String path : List.of("/etc/motd", "/empty")) {
        try (FileChannel one = FileChannel.open(box.getPath(path));
            FileChannel two = FileChannel.open(box.getPath(path))) {
          FileLock first = one.lock(0, Long.MAX_VALUE, true);
          assertTrue(first.isValid());
          assertThrows(OverlappingFileLockException.class, () -> two.tryLock(0, 1, true), path);
          one.close();
          assertNotNull(two.tryLock(0, Long.MAX_VALUE, true), path + " after the first closed");
        }
      }
    }
  }

  /** Bind-mounts {@code source} read-only on {@code target} (root only: fails otherwise). */
  private void mountReadOnly(Path source, Path target) {
    Tools.run("mount", "--bind", source.toString(), target.toString());
    mounted = target;
    Tools.run("mount", "-o", "remount,bind,ro", target.toString());
    try {
      Files.createFile(target.resolve("probe"));
      fail(target + " is still writable");
    } catch (IOException expected) {
      // read-only, as it must be
    }
  }
}
