package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.file.AccessMode;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read-only view refuses every write with {@link ReadOnlyFileSystemException} (as zipfs does
 * for a read-only zip) and changes nothing; copying out of it to the host works.
 */
class LayerFsReadOnlyTest {
  @TempDir static Path store;
  @TempDir Path host;
  private static FileSystem fs;

  @BeforeAll
  static void open() throws IOException {
    FixtureImages.build(store);
    fs = FixtureImages.open("contract-readonly", store);
  }

  @AfterAll
  static void close() throws IOException {
    if (fs != null) {
      fs.close();
    }
  }

  private static Path p(String path) {
    return fs.getPath(path);
  }

  @Test
  void theFileSystemSaysItIsReadOnly() throws IOException {
    assertTrue(fs.isReadOnly());
    assertTrue(Files.getFileStore(p("/data/one")).isReadOnly());
    assertFalse(Files.isWritable(p("/data/one")));
    assertFalse(Files.isWritable(p("/tmp")));
  }

  @Test
  void checkAccessWriteFails() {
    // Linux answers access(W_OK) on a read-only mount with EROFS: a FileSystemException
    FileSystemException e = assertThrowsExactly(FileSystemException.class,
        () -> fs.provider().checkAccess(p("/data/one"), AccessMode.WRITE));
    assertEquals("/data/one", e.getFile());
  }

  /**
   * {@code DELETE_ON_CLOSE} when reading opens the file and leaves its name, as the JDK on a
   * read-only Linux mount (its unlink fails, which it ignores) and zipfs on a read-only zip do.
   */
  @Test
  void readingWithDeleteOnCloseReadsAndKeepsTheFile() throws IOException {
    List<String> before = snapshot();
    byte[] one = Files.readAllBytes(p("/data/one"));
    try (var in = Channels.newInputStream(Files.newByteChannel(p("/data/one"),
        StandardOpenOption.READ, StandardOpenOption.DELETE_ON_CLOSE))) {
      assertArrayEquals(one, in.readAllBytes());
    }
    assertTrue(Files.exists(p("/data/one")));
    assertEquals(before, snapshot());
  }

  @Test
  void everyWriteThrowsReadOnlyAndChangesNothing() throws IOException {
    List<String> before = snapshot();
    Path hostFile = Files.writeString(host.resolve("src"), "host");
    Map<String, Executable> writes = new LinkedHashMap<>();
    writes.put("write existing", () -> Files.write(p("/data/one"), new byte[] {1}));
    writes.put("write new", () -> Files.write(p("/data/new"), new byte[] {1}));
    writes.put("writeString append", () -> Files.writeString(p("/data/one"), "x",
        StandardOpenOption.APPEND));
    writes.put("newOutputStream", () -> Files.newOutputStream(p("/data/one")).close());
    writes.put("channel WRITE", () -> Files.newByteChannel(p("/data/one"),
        StandardOpenOption.WRITE).close());
    writes.put("channel APPEND", () -> Files.newByteChannel(p("/data/one"),
        StandardOpenOption.APPEND).close());
    writes.put("channel CREATE_NEW", () -> Files.newByteChannel(p("/data/new"),
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close());
    writes.put("channel WRITE DELETE_ON_CLOSE", () -> Files.newByteChannel(p("/data/one"),
        StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE).close());
    writes.put("createFile", () -> Files.createFile(p("/data/new")));
    writes.put("createDirectory", () -> Files.createDirectory(p("/data/newdir")));
    writes.put("createDirectories", () -> Files.createDirectories(p("/data/x/y")));
    writes.put("createSymbolicLink", () -> Files.createSymbolicLink(p("/data/ln"),
        p("one")));
    writes.put("createLink", () -> Files.createLink(p("/data/hl"), p("/data/one")));
    writes.put("delete file", () -> Files.delete(p("/data/one")));
    writes.put("delete dir", () -> Files.delete(p("/data/nested/a/b")));
    writes.put("delete link", () -> Files.delete(p("/links/rel")));
    writes.put("deleteIfExists", () -> Files.deleteIfExists(p("/data/empty")));
    writes.put("move", () -> Files.move(p("/data/one"), p("/data/moved")));
    writes.put("move onto existing", () -> Files.move(p("/data/one"), p("/data/empty"),
        StandardCopyOption.REPLACE_EXISTING));
    writes.put("copy inside", () -> Files.copy(p("/data/one"), p("/data/copy")));
    writes.put("copy host file onto layerfs", () -> Files.copy(hostFile, p("/data/copy")));
    writes.put("copy stream onto layerfs", () -> Files.copy(
        new java.io.ByteArrayInputStream(new byte[3]), p("/data/copy")));
    writes.put("setAttribute unix:mode", () -> Files.setAttribute(p("/data/one"),
        "unix:mode", 0777));
    writes.put("setAttribute lastModifiedTime", () -> Files.setLastModifiedTime(
        p("/data/one"), FileTime.fromMillis(0)));
    writes.put("setPosixFilePermissions", () -> Files.setPosixFilePermissions(p("/data/one"),
        PosixFilePermissions.fromString("rwxrwxrwx")));
    writes.put("setOwner", () -> Files.setOwner(p("/data/one"),
        fs.getUserPrincipalLookupService().lookupPrincipalByName("0")));
    writes.put("view setTimes", () -> Files.getFileAttributeView(p("/data/one"),
        BasicFileAttributeView.class).setTimes(FileTime.fromMillis(0), null, null));
    writes.put("view setPermissions", () -> Files.getFileAttributeView(p("/data/one"),
        PosixFileAttributeView.class).setPermissions(PosixFilePermissions.fromString("---------")));

    List<String> wrong = new ArrayList<>();
    writes.forEach((name, op) -> {
      try {
        op.execute();
        wrong.add(name + ": no exception");
      } catch (ReadOnlyFileSystemException expected) {
        // the JDK's exception has no message: layerfs' says which file system, path and why
        String message = String.valueOf(expected.getMessage());
        if (!message.startsWith("layerfs://contract-readonly is read-only (opened with env key"
            + " readOnly): cannot change /")
            || !message.endsWith("; to write, open layerfs://contract-readonly without readOnly"
            + " (copy-on-write into the container)")) {
          wrong.add(name + ": message " + message);
        }
      } catch (Throwable t) {
        wrong.add(name + ": " + t);
      }
    });
    assertEquals(List.of(), wrong);
    assertEquals(before, snapshot(), "the tree changed");
    assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(p("/data/one")));
    assertEquals("host", Files.readString(hostFile));
  }

  @Test
  void existingDirectoriesAreFoundBeforeTheFileSystemRefuses() throws IOException {
    // mkdir(2) on a read-only mount says EEXIST for an existing name, EROFS only for a new one
    assertEquals(p("/etc"), Files.createDirectories(p("/etc")));
    assertEquals(p("/data/nested"), Files.createDirectories(p("/data/nested")));
    assertThrowsExactly(java.nio.file.FileAlreadyExistsException.class,
        () -> Files.createDirectory(p("/etc")));
    ReadOnlyFileSystemException e = assertThrows(ReadOnlyFileSystemException.class,
        () -> Files.createDirectories(p("/etc/new/deeper")));
    assertTrue(e.getMessage().contains("cannot change /etc/new"), e.getMessage());
    assertFalse(Files.exists(p("/etc/new")));
  }

  @Test
  void copyFromLayerfsToTheHost() throws IOException {
    Path target = host.resolve("big");
    Files.copy(p("/data/100000.bin"), target);
    assertArrayEquals(Fixture.data("data/100000.bin"), Files.readAllBytes(target));
    Path again = host.resolve("os-release");
    Files.copy(p("/etc/os-release"), again);
    assertEquals("ID=contract\nVERSION=2\n", Files.readString(again));
    Files.copy(p("/data/one"), again, StandardCopyOption.REPLACE_EXISTING);
    assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(again));
    Path chroot = host.resolve("abs");
    Files.copy(p("/chroot/abs"), chroot);
    assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(chroot));
    assertThrowsExactly(NoSuchFileException.class,
        () -> Files.copy(p("/data/missing"), host.resolve("missing")));
    assertThrowsExactly(java.nio.file.FileAlreadyExistsException.class,
        () -> Files.copy(p("/data/one"), again));
  }

  /** Every path with its type, mode, owner, size, mtime and a digest of its bytes. */
  private static List<String> snapshot() throws IOException {
    try (Stream<Path> s = Files.walk(p("/"))) {
      return s.map(q -> {
        try {
          Map<String, Object> a = Files.readAttributes(q, "unix:mode,uid,gid,size,"
              + "lastModifiedTime,nlink", LinkOption.NOFOLLOW_LINKS);
          String data = Files.isRegularFile(q, LinkOption.NOFOLLOW_LINKS)
              ? Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(q))) : "";
          return q + " " + new java.util.TreeMap<>(a) + " " + data;
        } catch (IOException e) {
          return q + " " + e;
        }
      }).sorted().collect(Collectors.toList());
    }
  }
}
