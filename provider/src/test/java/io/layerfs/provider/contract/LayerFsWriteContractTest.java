package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write contract suite on layerfs: each test gets a new writable container {@code
 * layerfs://w-TEST} of {@link Fixture}'s three-layer image, so every starting path lies in a
 * lower layer. Reopening closes the container and opens it again by name (no image given), so
 * what a test reads afterwards comes from the container's stored upper layer. Where this fails
 * and {@link DefaultFsWriteContractTest} passes, the provider differs from Linux.
 */
class LayerFsWriteContractTest extends AbstractWriteContractTest {
  @TempDir static Path store;
  private FileSystem fs;
  private URI uri;

  @BeforeAll
  static void buildImage() throws IOException {
    FixtureImages.build(store);
  }

  @Override
  protected Path freshTree(String name) throws IOException {
    uri = URI.create("layerfs://w-" + name);
    fs = FileSystems.newFileSystem(uri, createEnv(name));
    return fs.getPath("/");
  }

  /** The env that creates the container of test {@code name}. */
  Map<String, Object> createEnv(String name) {
    return Map.of("store", store, "image", FixtureImages.TAG);
  }

  @Override
  protected Path reopenTree() throws IOException {
    fs.close();
    fs = FileSystems.newFileSystem(uri, Map.of("store", store));
    return fs.getPath("/");
  }

  @Override
  protected void disposeTree() throws IOException {
    if (fs != null) {
      fs.close();
    }
  }

  /**
   * Where layerfs keeps what the default provider loses: a time before 1970 with a fraction of a
   * second (tar and umoci keep it). The JDK's own provider on Linux sets such a time to the
   * epoch (Java 17 and 25): it splits it into a negative second and negative nanoseconds,
   * which {@code utimensat(2)} refuses, and then retries with zero.
   */
  @Test
  void timesBefore1970KeepTheirFractionOfASecond() throws IOException {
    FileTime before = FileTime.from(Instant.ofEpochSecond(-2, 500_000_000)); // -1.5 s
    FileTime longBefore = FileTime.from(Instant.ofEpochSecond(-1_500_001, 750_000_000));
    FileTime nanoBefore = FileTime.from(-1, java.util.concurrent.TimeUnit.NANOSECONDS);
    Files.setLastModifiedTime(p("data/one"), before);
    Files.setLastModifiedTime(p("data/nested"), longBefore);
    Files.setLastModifiedTime(p("data/empty"), nanoBefore); // once taken for "no change"
    reopen();
    assertEquals(before, Files.getLastModifiedTime(p("data/one")));
    assertEquals(longBefore, Files.getLastModifiedTime(p("data/nested")));
    assertEquals(nanoBefore, Files.getLastModifiedTime(p("data/empty")));
  }

  /**
   * Linux keeps {@code user.} attributes on regular files and directories only: a fifo has
   * none, and setting one is {@code EPERM}, in the words of the JDK's view. (That view would
   * open the fifo and wait for a writer, so the control cannot run this.)
   */
  @Test
  void aFifoHasNoUserXattrs() throws IOException {
    UserDefinedFileAttributeView view = Files.getFileAttributeView(p("special/fifo"),
        UserDefinedFileAttributeView.class);
    assertEquals(List.of(), view.list());
    FileSystemException write = assertThrows(FileSystemException.class,
        () -> view.write("a", ByteBuffer.wrap(new byte[] {1})));
    assertEquals("Error writing extended attribute 'a': Operation not permitted",
        write.getReason());
    assertEquals(p("special/fifo").toString(), write.getFile());
    assertThrows(FileSystemException.class, () -> view.size("a"));
    assertEquals("Unable to delete extended attribute 'a': Operation not permitted",
        assertThrows(FileSystemException.class, () -> view.delete("a")).getReason());
  }

  /**
   * Two names of an image's hard link are one file to the JDK's move (its {@code isSameFile}
   * check: nothing happens) and two to rename(2), an atomic move, as overlay2 gives each name
   * its own inode: the target is replaced by the source's copy-up ({@code KernelOverlayIT}
   * checks both against the kernel's overlayfs).
   */
  @Test
  void anAtomicMoveOntoAnotherNameOfAnImageHardLinkReplacesIt() throws IOException {
    byte[] bytes = Files.readAllBytes(p("data/100000.bin"));
    Files.move(p("data/100000.hard"), p("data/100000.bin"), StandardCopyOption.REPLACE_EXISTING);
    assertTrue(Files.exists(p("data/100000.hard")));
    Files.move(p("data/100000.hard"), p("data/100000.bin"), StandardCopyOption.ATOMIC_MOVE);
    assertFalse(Files.exists(p("data/100000.hard")));
    assertEquals(1, Files.getAttribute(p("data/100000.bin"), "unix:nlink"));
    assertArrayEquals(bytes, Files.readAllBytes(p("data/100000.bin")));
    reopen();
    try (var names = Files.list(p("data"))) {
      assertEquals(List.of("100000.bin"), names.map(name -> name.getFileName().toString())
          .filter(name -> name.startsWith("100000")).toList());
    }
  }

  /**
   * The names of an image's hard link part at a copy-up, as overlayfs parts them: the name
   * written gets a key of its own, the other keeps the image file's, before a reopen and after
   * ({@code KernelOverlayIT} checks the same against the kernel's overlayfs).
   */
  @Test
  void theNameOfAnImageHardLinkCopiedUpGetsAKeyOfItsOwn() throws IOException {
    Object key = Files.readAttributes(p("data/100000.bin"), BasicFileAttributes.class).fileKey();
    assertEquals(key, Files.readAttributes(p("data/100000.hard"), BasicFileAttributes.class)
        .fileKey());
    Files.writeString(p("data/100000.bin"), "b", StandardOpenOption.APPEND);
    for (int open = 0; open < 2; open++) {
      Object written = Files.readAttributes(p("data/100000.bin"), BasicFileAttributes.class)
          .fileKey();
      assertNotEquals(key, written);
      assertEquals(key, Files.readAttributes(p("data/100000.hard"), BasicFileAttributes.class)
          .fileKey());
      assertFalse(Files.isSameFile(p("data/100000.bin"), p("data/100000.hard")));
      reopen();
    }
  }

  /** Two names linked in the container are one file to rename(2), before a reopen and after. */
  @Test
  void anAtomicMoveOntoAnotherNameOfAFileLinkedInTheContainerDoesNothing() throws IOException {
    Files.write(p("data/h1"), new byte[] {1, 2, 3});
    Files.createLink(p("data/h2"), p("data/h1"));
    Files.move(p("data/h1"), p("data/h2"), StandardCopyOption.ATOMIC_MOVE);
    reopen();
    Files.move(p("data/h1"), p("data/h2"), StandardCopyOption.ATOMIC_MOVE);
    assertTrue(Files.isSameFile(p("data/h1"), p("data/h2")));
    assertEquals(2, Files.getAttribute(p("data/h1"), "unix:nlink"));
  }
}
