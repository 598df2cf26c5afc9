package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
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
