package io.layerfs.core.container;

import static io.layerfs.core.FileTree.TIME_UNCHANGED;
import static io.layerfs.core.container.ContainerFixture.opts;
import static io.layerfs.core.container.ContainerFixture.read;
import static io.layerfs.core.container.ContainerFixture.readString;
import static io.layerfs.core.container.ContainerFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Image;
import io.layerfs.core.Node;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.overlay.MetaLog;
import io.layerfs.core.overlay.UpperFile;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerTest {
  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  Image image;
  Container c;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    image = ContainerFixture.build(store);
    c = Container.open(store, layers, "web", ContainerFixture.IMAGE, false);
  }

  @AfterEach
  void tearDown() throws IOException {
    c.close();
    layers.close();
  }

  private Container reopen() throws IOException {
    c.close();
    c = Container.open(store, layers, "web", null, false);
    return c;
  }

  private List<Path> blobFiles() throws IOException {
    try (Stream<Path> s = Files.walk(store.root().resolve("blobs"))) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  @Test
  void anOpenThatCreatesAndCannotReadTheLayersLeavesNoContainer() throws IOException {
    ContentStore other = ContentStore.open(tmp.resolve("other"));
    Image built = ContainerFixture.build(other);
    Path blob = other.blobPath(built.layers().get(0).digest());
    Path aside = Files.move(blob, tmp.resolve("aside"));
    try (LayerStore fresh = new LayerStore(other)) {
      IOException e = assertThrows(IOException.class,
          () -> Container.open(other, fresh, "new", ContainerFixture.IMAGE, false));
      assertTrue(e.getMessage().contains(built.layers().get(0).digest().toString()),
          e.getMessage());
      assertEquals(List.of(), Container.list(other), "a failed create leaves no container");
      assertEquals(Map.of(), other.readIndex().holds(), "nor its hold");
      Files.move(aside, blob);
      // the same open works once the image is whole again
      Container.open(other, fresh, "new", ContainerFixture.IMAGE, false).close();
      assertEquals(List.of("new"), Container.list(other));
    }
    // a failed reopen of a container that existed keeps it
    Files.delete(other.blobPath(built.layers().get(0).diffId()));
    Files.move(blob, aside);
    try (Stream<Path> s = Files.walk(other.stateDir().resolve("index"))) {
      s.filter(Files::isRegularFile).forEach(f -> f.toFile().delete());
    }
    try (LayerStore fresh = new LayerStore(other)) {
      assertThrows(IOException.class, () -> Container.open(other, fresh, "new", null, false));
      assertEquals(List.of("new"), Container.list(other));
    }
  }

  /** What layerfs create tells a container made a moment before by another process by. */
  @Test
  void onlyTheOpenThatMadeTheContainerSaysItCreatedIt() throws IOException {
    assertTrue(c.created());
    assertFalse(reopen().created(), "reopened without an image");
    c.close();
    c = Container.open(store, layers, "web", ContainerFixture.IMAGE, false);
    assertFalse(c.created(), "reopened with its image, as a second create would");
    try (Container view = Container.open(store, layers, "web", null, true)) {
      assertFalse(view.created());
    }
  }

  @Test
  void freshContainerShowsTheImage() throws IOException {
    assertEquals("lower a v2\n", readString(c, "/d1/a"));
    assertEquals(List.of("c"), c.list("/d2"));
    assertEquals(List.of("new"), c.list("/d3"));
    assertEquals("lower a v2\n", readString(c, "/lnk"));
    assertEquals(0, c.upperBytesWritten());
    assertEquals(0, c.lookup("/d1/a", false).layer() == 1 ? 0 : 1);
  }

  @Test
  void writeNewFileAndReadBack() throws IOException {
    write(c, "/d1/new", "hello");
    assertEquals("hello", readString(c, "/d1/new"));
    Node n = c.lookup("/d1/new", false);
    assertEquals(-1, n.layer());
    assertTrue(n instanceof Node.Upper, n.toString());
    assertEquals(0644, n.mode());
    assertEquals(List.of("a", "new", "sub"), c.list("/d1"));
    assertEquals(List.of("new"), reopen().list("/d1").subList(1, 2));
    assertEquals("hello", readString(c, "/d1/new"));
  }

  /** The data files of the container, by name. */
  private List<String> dataFiles() throws IOException {
    try (Stream<Path> s = Files.list(store.stateDir().resolve("containers/web/data"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The inode numbers of the data files, sorted. */
  private List<Object> inodes() throws IOException {
    Path data = store.stateDir().resolve("containers/web/data");
    List<Object> out = new java.util.ArrayList<>();
    for (String name : dataFiles()) {
      out.add(Files.getAttribute(data.resolve(name), "unix:ino"));
    }
    out.sort(java.util.Comparator.comparingLong(o -> (Long) o));
    return out;
  }

  @Test
  void deletedFilesLeaveEmptyDataFilesThatNewFilesReuse() throws IOException {
    write(c, "/old1", "first file, longer than the next");
    write(c, "/old2", "second");
    List<String> used = dataFiles();
    assertEquals(2, used.size(), used.toString());
    List<Object> inodes = inodes();
    c.delete("/old1");
    c.delete("/old2");
    // kept, emptied, under names no file had: no inode is freed
    assertEquals(inodes, inodes(), "the same inodes");
    assertTrue(java.util.Collections.disjoint(used, dataFiles()), "new names " + dataFiles());
    for (String name : dataFiles()) {
      assertEquals(0, Files.size(store.stateDir().resolve("containers/web/data/" + name)));
    }
    // new files take them over and show only their own bytes
    write(c, "/new1", "n1");
    write(c, "/new2", "n2");
    assertEquals(inodes, inodes(), "the same inodes");
    assertTrue(java.util.Collections.disjoint(used, dataFiles()), "new names " + dataFiles());
    assertEquals("n1", readString(c, "/new1"));
    assertEquals("n2", readString(c, "/new2"));
    // a third needs a new data file
    write(c, "/new3", "n3");
    assertEquals(3, dataFiles().size());
    reopen();
    assertEquals("n1", readString(c, "/new1"));
    assertEquals("n2", readString(c, "/new2"));
    assertEquals("n3", readString(c, "/new3"));
    assertThrows(NoSuchFileException.class, () -> c.lookup("/old1", false));
  }

  @Test
  void emptyDataFilesSurviveReopenAndNonEmptyOrphansGo() throws IOException {
    write(c, "/gone", "bytes");
    List<Object> inodes = inodes();
    c.delete("/gone");
    reopen();
    assertEquals(inodes, inodes(), "the emptied data file is kept over a reopen");
    write(c, "/again", "again");
    assertEquals(inodes, inodes(), "and reused after it");
    assertEquals("again", readString(c, "/again"));
    c.close();
    // a crash between a deletion's record and the emptying of its data file leaves bytes that
    // no file owns: they are deleted, never handed to a new file
    Path orphan = store.stateDir().resolve("containers/web/data/999999");
    Files.writeString(orphan, "stale");
    c = Container.open(store, layers, "web", null, false);
    assertFalse(Files.exists(orphan));
    write(c, "/fresh", "f");
    assertEquals("f", readString(c, "/fresh"));
    assertEquals("again", readString(c, "/again"));
  }

  /**
   * A read-only view loaded before a deletion still lists the deleted file; the new file that
   * takes over its emptied data file must never show through it: the view's read of the old
   * file is an error, never the new file's bytes.
   */
  @Test
  void aReadOnlyViewNeverReadsANewFilesBytesAsADeletedOnes() throws IOException {
    for (boolean readBefore : new boolean[] {false, true}) {
      write(c, "/f", "AAAAAAAAAA");
      try (Container ro = Container.open(store, layers, "web", null, true)) {
        if (readBefore) {
          assertEquals("AAAAAAAAAA", readString(ro, "/f"));
        }
        c.delete("/f");
        write(c, "/g", "BBBBBBBBBB");
        String seen;
        try {
          seen = readString(ro, "/f");
        } catch (IOException e) {
          seen = null; // the data file is gone: refused, as the package documentation says
        }
        assertTrue(seen == null || seen.equals("AAAAAAAAAA"), "the view read " + seen);
        assertEquals("BBBBBBBBBB", readString(c, "/g"));
      }
      c.delete("/g");
    }
  }

  /**
   * A read-only view that holds a file open while the writer deletes it, and a new file takes
   * over the emptied data file (the same inode), must never read the new file's bytes through its
   * handle: such a read is an error once the data file is no longer the deleted file's.
   */
  @Test
  void aReadOnlyViewsOpenHandleNeverReadsTheBytesOfAFileThatReusedItsDataFile()
      throws IOException {
    write(c, "/f", "AAAAAAAAAA");
    try (Container ro = Container.open(store, layers, "web", null, true);
        FileHandle h = ro.open("/f", opts(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate(4);
      assertEquals(4, h.read(b, 0));
      assertEquals("AAAA", new String(b.array(), StandardCharsets.UTF_8));
      List<Object> before = inodes();
      c.delete("/f");
      write(c, "/g", "BBBBBBBBBB");
      assertEquals(before, inodes(), "the new file did not take over the data file");
      ByteBuffer rest = ByteBuffer.allocate(16);
      IOException e = assertThrows(IOException.class, () -> h.read(rest, 4));
      assertTrue(e.getMessage().contains("deleted"), e.getMessage());
      assertEquals(0, rest.position(), "bytes were handed out");
      assertEquals("BBBBBBBBBB", readString(c, "/g"));
    }
  }

  /**
   * A read-only view reads a file its writer truncated since the view loaded as the writer left
   * it, as a reader on the host reads a file truncated under it: its bytes, then the end (it was
   * an error, as if the data file were damaged).
   */
  @Test
  void aReadOnlyViewReadsAFileTheWriterTruncatedAsItIsNow() throws IOException {
    write(c, "/f", "AAAAAAAAAA");
    try (Container ro = Container.open(store, layers, "web", null, true);
        FileHandle h = ro.open("/f", opts(StandardOpenOption.READ), 0)) {
      assertEquals(10, h.size(), "as loaded");
      try (FileHandle w = c.open("/f", opts(StandardOpenOption.WRITE), 0)) {
        w.truncate(2);
      }
      ByteBuffer b = ByteBuffer.allocate(16);
      assertEquals(2, h.read(b, 0));
      assertEquals("AA", new String(b.array(), 0, 2, StandardCharsets.UTF_8));
      assertEquals(-1, h.read(b, 2));
      assertEquals(2, h.size(), "as the writer left it");
    }
  }

  /**
   * A file the writer deleted and wrote anew under the same name since a read-only view loaded
   * (a program replacing a file in one process while {@code layerfs cat} reads it in another)
   * reads as the new file, through a handle opened before that read nothing yet and through a
   * new one; a handle that read the old file's bytes fails rather than go on with the new
   * file's, and a file deleted for good is an error naming the path.
   */
  @Test
  void aReadOnlyViewFollowsAFileTheWriterReplaced() throws IOException {
    write(c, "/f", "AAAAAAAAAA");
    write(c, "/gone", "CCCCCCCCCC");
    try (Container ro = Container.open(store, layers, "web", null, true);
        FileHandle before = ro.open("/f", opts(StandardOpenOption.READ), 0);
        FileHandle reading = ro.open("/f", opts(StandardOpenOption.READ), 0)) {
      assertEquals(2, reading.read(ByteBuffer.allocate(2), 0));
      c.delete("/f");
      c.delete("/gone");
      write(c, "/f", "BBBB"); // takes over the emptied data file of /f or /gone
      ByteBuffer b = ByteBuffer.allocate(16);
      assertEquals(4, before.read(b, 0));
      assertEquals("BBBB", new String(b.array(), 0, 4, StandardCharsets.UTF_8));
      assertEquals("BBBB", readString(ro, "/f"), "a handle opened after");
      ByteBuffer rest = ByteBuffer.allocate(16);
      IOException mixed = assertThrows(IOException.class, () -> reading.read(rest, 2),
          "a handle that read the old file's bytes never goes on with the new file's");
      assertTrue(mixed.getMessage().contains("deleted"), mixed.getMessage());
      assertEquals(0, rest.position());
      IOException e = assertThrows(IOException.class, () -> readString(ro, "/gone"));
      assertTrue(e.getMessage().startsWith("container web: /gone: "), e.getMessage());
      assertTrue(e.getMessage().contains("deleted by the container's writer")
          || e.getMessage().contains("is missing"), e.getMessage());
    }
  }

  /**
   * The export of a read-only view (another process's {@code layerfs export} while a program
   * writes the container) writes a file the writer truncated or replaced since the view loaded
   * as the writer has it now, header and bytes, and leaves out a file it deleted for good.
   */
  @Test
  void aReadOnlyViewsExportFollowsTheWriter() throws IOException {
    write(c, "/replaced", "AAAAAAAAAA");
    write(c, "/truncated", "TTTTTTTTTT");
    write(c, "/gone", "CCCCCCCCCC");
    write(c, "/kept", "KKKK");
    try (Container ro = Container.open(store, layers, "web", null, true)) {
      c.delete("/replaced");
      c.delete("/gone");
      write(c, "/replaced", "BBBB"); // takes over the emptied data file of one of them
      try (FileHandle w = c.open("/truncated", opts(StandardOpenOption.WRITE), 0)) {
        w.truncate(3);
      }
      java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
      ro.export(tar, io.layerfs.core.Progress.NONE);
      Map<String, String> files = new java.util.TreeMap<>();
      try (org.apache.commons.compress.archivers.tar.TarArchiveInputStream in =
          new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
              new java.io.ByteArrayInputStream(tar.toByteArray()))) {
        for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
          if (e.isFile()) {
            files.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
          }
        }
      }
      assertEquals("BBBB", files.get("replaced"));
      assertEquals("TTT", files.get("truncated"));
      assertEquals("KKKK", files.get("kept"));
      assertFalse(files.containsKey("gone"), files.keySet().toString());
    }
  }

  /** A transfer through a read-only view's handle follows the writer read by read too. */
  @Test
  void aReadOnlyViewsTransferFollowsTheWriter() throws IOException {
    write(c, "/f", "AAAAAAAAAA");
    try (Container ro = Container.open(store, layers, "web", null, true);
        FileHandle h = ro.open("/f", opts(StandardOpenOption.READ), 0)) {
      c.delete("/f");
      write(c, "/f", "BBBBBB");
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      assertEquals(6, h.transferTo(0, 100, java.nio.channels.Channels.newChannel(out)));
      assertEquals("BBBBBB", out.toString(StandardCharsets.UTF_8));
    }
  }

  /**
   * An emptied data file found at load under a deleted file's own name (left by a crash between
   * emptying and renaming it): a new file takes it over under another name, so a view loaded
   * before still cannot read the new bytes as the deleted file's.
   */
  @Test
  void aDataFilePooledAtLoadIsRenamedBeforeANewFileTakesItOver() throws IOException {
    write(c, "/f", "AAAAAAAAAA");
    String own = dataFiles().get(0);
    try (Container ro = Container.open(store, layers, "web", null, true)) {
      c.delete("/f");
      c.close();
      Path data = store.stateDir().resolve("containers/web/data");
      List<String> emptied = dataFiles();
      assertEquals(1, emptied.size(), emptied.toString());
      Files.move(data.resolve(emptied.get(0)), data.resolve(own)); // the crash's state
      c = Container.open(store, layers, "web", null, false);
      write(c, "/g", "BBBBBBBBBB");
      assertFalse(dataFiles().contains(own), "the deleted file's name was given again");
      String seen;
      try {
        seen = readString(ro, "/f");
      } catch (IOException e) {
        seen = null;
      }
      assertTrue(seen == null || seen.equals("AAAAAAAAAA"), "the view read " + seen);
    }
  }

  @Test
  void aDeletedFileStillOpenKeepsItsBytesUntilClosed() throws IOException {
    write(c, "/open", "still readable");
    try (FileHandle h = c.open("/open", opts(StandardOpenOption.READ), 0)) {
      c.delete("/open");
      // a new file must not take over the data file the handle still reads
      write(c, "/other", "other bytes!!!");
      ByteBuffer b = ByteBuffer.allocate(64);
      int n = h.read(b, 0);
      assertEquals("still readable", new String(b.array(), 0, n, StandardCharsets.UTF_8));
    }
    assertEquals("other bytes!!!", readString(c, "/other"));
    write(c, "/third", "3");
    assertEquals("3", readString(c, "/third"));
    assertEquals("other bytes!!!", readString(c, "/other"));
  }

  @Test
  void deleteLowerFileLeavesWhiteout() throws IOException {
    c.delete("/d1/a");
    assertThrows(NoSuchFileException.class, () -> c.lookup("/d1/a", false));
    assertEquals(List.of("sub"), c.list("/d1"));
    assertThrows(NoSuchFileException.class, () -> c.delete("/d1/a"));
    reopen();
    assertEquals(List.of("sub"), c.list("/d1"));
    write(c, "/d1/a", "again");
    assertEquals("again", readString(c, "/d1/a"));
  }

  /**
   * A last name "." or ".." is never the directory it names: rmdir(2) and rename(2) refuse it
   * (EINVAL, ENOTEMPTY, EBUSY), and so does the Java API, which once removed an empty directory
   * given as "DIR/.".
   */
  @Test
  void dotNamesAreNeitherRemovedNorMoved() throws IOException {
    c.createDirectory("/empty", 0755);
    java.nio.file.FileSystemException e =
        assertThrows(java.nio.file.FileSystemException.class, () -> c.delete("/empty/."));
    assertEquals("Invalid argument", e.getReason());
    assertThrows(DirectoryNotEmptyException.class, () -> c.delete("/empty/.."));
    assertThrows(NoSuchFileException.class, () -> c.delete("/missing/."));
    assertEquals("Device or resource busy", assertThrows(java.nio.file.FileSystemException.class,
        () -> c.move("/empty/./", "/moved", false)).getReason());
    assertThrows(java.nio.file.FileSystemException.class,
        () -> c.move("/d1/a", "/empty/..", true, true));
    assertEquals(EntryType.DIRECTORY, c.lookup("/empty", false).type());
    assertEquals(EntryType.FILE, c.lookup("/d1/a", false).type());
  }

  @Test
  void rmdirAndMkdirOfLowerDirIsOpaque() throws IOException {
    assertThrows(DirectoryNotEmptyException.class, () -> c.delete("/d1/sub"));
    c.delete("/d1/sub/x");
    c.delete("/d1/sub/y");
    c.delete("/d1/sub");
    c.createDirectory("/d1/sub", 0700);
    assertEquals(List.of(), c.list("/d1/sub"));
    assertEquals(0700, c.lookup("/d1/sub", false).mode());
    assertEquals(List.of(), reopen().list("/d1/sub"));
    assertThrows(FileAlreadyExistsException.class, () -> c.createDirectory("/d1/sub", 0755));
    assertThrows(FileAlreadyExistsException.class, () -> c.createDirectory("/", 0755));
  }

  @Test
  void renameLowerDirShowsItsChildren() throws IOException {
    long before = c.upperBytesWritten();
    c.move("/d1", "/moved", false);
    assertThrows(NoSuchFileException.class, () -> c.lookup("/d1", false));
    assertEquals(List.of("a", "sub"), c.list("/moved"));
    assertEquals("x\n", readString(c, "/moved/sub/x"));
    assertEquals("/moved/sub/x", c.lookup("/moved/sub/x", false).path());
    assertEquals(before, c.upperBytesWritten(), "a rename copies no data");
    // a new dir at the old name is not merged with the lower one
    c.createDirectory("/d1", 0755);
    assertEquals(List.of(), c.list("/d1"));
    reopen();
    assertEquals(List.of("a", "sub"), c.list("/moved"));
    assertEquals(List.of(), c.list("/d1"));
    c.move("/moved/sub", "/d1/sub2", false);
    assertEquals(List.of("x", "y"), c.list("/d1/sub2"));
    assertEquals(List.of("a"), c.list("/moved"));
  }

  @Test
  void renameIntoOwnSubdirIsEinval() throws IOException {
    FileSystemException e =
        assertThrows(FileSystemException.class, () -> c.move("/d1", "/d1/sub/in", false));
    assertEquals("Invalid argument", e.getReason());
  }

  @Test
  void moveOntoNonEmptyDirWithReplace() throws IOException {
    write(c, "/f", "f");
    assertThrows(DirectoryNotEmptyException.class, () -> c.move("/f", "/d1", true));
    assertThrows(FileAlreadyExistsException.class, () -> c.move("/f", "/d2/c", false));
    c.move("/f", "/d2/c", true);
    assertEquals("f", readString(c, "/d2/c"));
    assertThrows(NoSuchFileException.class, () -> c.lookup("/f", false));
  }

  @Test
  void hardLinkOfLowerFileBreaksOnCopyUp() throws IOException {
    assertEquals(c.lookup("/hl1", false).fileKey(), c.lookup("/hl2", false).fileKey());
    write(c, "/hl1", "changed\n");
    assertEquals("changed\n", readString(c, "/hl1"));
    assertEquals("shared\n", readString(c, "/hl2"));
    assertNotEquals(c.lookup("/hl1", false).fileKey(), c.lookup("/hl2", false).fileKey());
  }

  @Test
  void hardLinksInTheContainerShareOneFile() throws IOException {
    c.createLink("/etc/hosts2", "/etc/hosts");
    assertEquals(0, c.upperBytesWritten());
    write(c, "/etc/hosts2", "::1\n", StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    assertEquals("127.0.0.1 localhost\n::1\n", readString(c, "/etc/hosts"));
    assertEquals(2, c.lookup("/etc/hosts", false).linkCount());
    reopen();
    assertEquals(c.lookup("/etc/hosts", false).fileKey(), c.lookup("/etc/hosts2", false).fileKey());
    c.delete("/etc/hosts");
    assertEquals("127.0.0.1 localhost\n::1\n", readString(c, "/etc/hosts2"));
    assertEquals(1, c.lookup("/etc/hosts2", false).linkCount());
    assertThrows(FileSystemException.class, () -> c.createLink("/x", "/etc"));
    assertThrows(FileAlreadyExistsException.class, () -> c.createLink("/etc/hosts2", "/d1/a"));
  }

  @Test
  void metadataChangesCopyNoData() throws IOException {
    c.setMode("/big", true, 0600);
    c.setOwner("/big", true, 1000, -1);
    c.setTimes("/big", true, 1_000_000_000L, TIME_UNCHANGED);
    c.setXattr("/big", true, "user.k", "v".getBytes(StandardCharsets.UTF_8));
    assertEquals(0, c.upperBytesWritten());
    Node n = c.lookup("/big", false);
    assertEquals(0600, n.mode());
    assertEquals(1000, n.uid());
    assertEquals(1_000_000_000L, n.mtimeNanos());
    assertArrayEquals(ContainerFixture.big(), read(c, "/big"));
    reopen();
    assertEquals(0600, c.lookup("/big", false).mode());
    assertEquals("v", new String(c.lookup("/big", false).xattrs().get("user.k"),
        StandardCharsets.UTF_8));
    assertArrayEquals(ContainerFixture.big(), read(c, "/big"));
    c.removeXattr("/big", true, "user.k");
    assertFalse(c.lookup("/big", false).xattrs().containsKey("user.k"));
    assertThrows(FileSystemException.class, () -> c.removeXattr("/big", true, "user.k"));
    assertEquals(0, c.upperBytesWritten());
  }

  @Test
  void appendToLargeLowerFileCopiesOneChunk() throws IOException {
    write(c, "/big", "line\n", StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    assertTrue(c.upperBytesWritten() <= UpperFile.CHUNK + 5, "" + c.upperBytesWritten());
    byte[] expect = new byte[ContainerFixture.BIG + 5];
    System.arraycopy(ContainerFixture.big(), 0, expect, 0, ContainerFixture.BIG);
    System.arraycopy("line\n".getBytes(StandardCharsets.UTF_8), 0, expect, ContainerFixture.BIG,
        5);
    assertArrayEquals(expect, read(c, "/big"));
    assertArrayEquals(expect, read(reopen(), "/big"));
  }

  @Test
  void chunkedCopyUpIsCoherentWithAHostCopy() throws IOException {
    Path host = tmp.resolve("big");
    Files.write(host, ContainerFixture.big());
    Random r = new Random(7);
    try (FileChannel hc = FileChannel.open(host, StandardOpenOption.WRITE);
        FileHandle h = c.open("/big", opts(StandardOpenOption.READ, StandardOpenOption.WRITE),
            0)) {
      for (int i = 0; i < 200; i++) {
        int op = r.nextInt(10);
        if (op == 0) {
          long size = r.nextInt(ContainerFixture.BIG + 100_000);
          hc.truncate(size);
          h.truncate(size);
        } else {
          byte[] d = new byte[1 + r.nextInt(i % 10 == 0 ? 200_000 : 3000)];
          r.nextBytes(d);
          long pos = r.nextInt(ContainerFixture.BIG + 150_000);
          hc.write(ByteBuffer.wrap(d), pos);
          h.write(ByteBuffer.wrap(d), pos);
        }
        assertEquals(hc.size(), h.size());
        if (i % 20 == 0) {
          assertArrayEquals(Files.readAllBytes(host), read(c, "/big"), "after op " + i);
        }
      }
    }
    assertArrayEquals(Files.readAllBytes(host), read(c, "/big"));
    assertArrayEquals(Files.readAllBytes(host), read(reopen(), "/big"));
  }

  @Test
  void mapReadWriteCopiesTheWholeFile() throws IOException {
    try (FileHandle h = c.open("/big", opts(StandardOpenOption.READ, StandardOpenOption.WRITE),
        0)) {
      MappedByteBuffer m = h.map(FileChannel.MapMode.READ_WRITE, 0, 10);
      m.put(0, (byte) 'X');
      m.force();
    }
    byte[] expect = ContainerFixture.big();
    expect[0] = 'X';
    assertArrayEquals(expect, read(c, "/big"));
    assertArrayEquals(expect, read(reopen(), "/big"));
  }

  @Test
  void openSemanticsMatchLinux() throws IOException {
    assertThrows(FileAlreadyExistsException.class, () -> c.open("/d1/a",
        opts(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), 0644).close());
    assertThrows(NoSuchFileException.class, () -> c.open("/nope/x",
        opts(StandardOpenOption.WRITE, StandardOpenOption.CREATE), 0644).close());
    assertThrows(NoSuchFileException.class,
        () -> c.open("/nope", opts(StandardOpenOption.READ), 0644).close());
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> c.open("/d1", opts(StandardOpenOption.WRITE), 0644).close());
    assertEquals("Is a directory", e.getReason());
    assertThrows(IllegalArgumentException.class, () -> c.open("/d1/a",
        opts(StandardOpenOption.READ, StandardOpenOption.APPEND), 0644));
    // CREATE through a dangling symlink creates its target
    assertThrows(NoSuchFileException.class, () -> write(c, "/dangling", "t"));
    c.createDirectory("/nowhere", 0755);
    write(c, "/dangling", "t");
    assertEquals("t", readString(c, "/nowhere/x"));
    // TRUNCATE_EXISTING of a lower file
    write(c, "/d1/a", "");
    assertEquals(0, c.lookup("/d1/a", true).size());
  }

  @Test
  void aSymbolicLinksOwnModeIsRefusedAsLinuxRefusesIt() throws IOException {
    c.createSymbolicLink("/sl", "/etc/hosts");
    int target = c.lookup("/etc/hosts", true).mode();
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> c.setMode("/sl", false, 0700));
    assertTrue(e.getMessage().contains("Operation not supported"), e.getMessage());
    assertEquals(0777, c.lookup("/sl", false).mode() & 07777);
    assertEquals(target, c.lookup("/etc/hosts", true).mode());
    c.setMode("/sl", true, 0600); // following it changes the file, as chmod(2) does
    assertEquals(0600, c.lookup("/etc/hosts", true).mode() & 07777);
  }

  @Test
  void persistenceSurvivesCloseAndReopen() throws IOException {
    List<String> before;
    write(c, "/d1/sub/x", "new x");
    c.move("/d2", "/d2moved", false);
    c.createSymbolicLink("/sl", "/d2moved/c");
    c.delete("/etc/passwd");
    c.setMode("/etc", false, 0700);
    before = ContainerFixture.describe(c);
    assertEquals(before, ContainerFixture.describe(reopen()));
    Path meta = store.stateDir().resolve("containers/web");
    assertEquals(40, Files.size(meta.resolve("meta.log")), "compacted on close: its header");
    // a read-only view of the current state
    c.close();
    try (Container ro = Container.open(store, layers, "web", null, true)) {
      assertEquals(before, ContainerFixture.describe(ro));
      assertThrows(ReadOnlyFileSystemException.class, () -> ro.delete("/sl"));
      assertThrows(ReadOnlyFileSystemException.class, () -> write(ro, "/q", "q"));
    }
    c = Container.open(store, layers, "web", null, false);
  }

  @Test
  void replayWithoutCloseAndTornLastRecord() throws IOException {
    write(c, "/one", "1");
    c.createDirectory("/two", 0755);
    Path dir = store.stateDir().resolve("containers/web");
    // simulate a crash: copy the container's state while it is open (no compaction)
    Path crash = tmp.resolve("crash");
    ContainerFixture.copyState(dir, crash);
    c.createDirectory("/three", 0755);
    ContainerFixture.copyState(dir, tmp.resolve("crash2"));
    c.close();
    // replay of the full log
    ContainerFixture.replaceState(dir, crash);
    c = Container.open(store, layers, "web", null, false);
    assertEquals("1", readString(c, "/one"));
    assertTrue(c.lookup("/two", false).isDirectory());
    c.close();
    // torn last record: the mkdir is lost, the rest is there
    Path torn = tmp.resolve("crash2");
    // (the file runs on in zeros past its last record: cut at the records' end)
    long[] valid = new long[1];
    MetaLog.read(torn, valid);
    try (FileChannel ch = FileChannel.open(torn.resolve("meta.log"), StandardOpenOption.WRITE)) {
      ch.truncate(valid[0] - 3);
    }
    ContainerFixture.replaceState(dir, torn);
    c = Container.open(store, layers, "web", null, false);
    assertEquals("1", readString(c, "/one"));
    assertThrows(NoSuchFileException.class, () -> c.lookup("/three", false));
    c.delete("/one");
    reopen();
    assertThrows(NoSuchFileException.class, () -> c.lookup("/one", false));
    assertTrue(c.lookup("/two", false).isDirectory());
  }

  @Test
  void lowerBlobsAreNeverModified() throws IOException {
    List<Path> files = blobFiles();
    List<String> digests = new ArrayList<>();
    for (Path p : files) {
      digests.add(Digest.sha256(Files.readAllBytes(p)).hex());
    }
    write(c, "/big", new byte[100_000], 5000, StandardOpenOption.WRITE);
    c.delete("/d1/a");
    c.setMode("/etc/hosts", true, 0);
    reopen();
    assertEquals(files, blobFiles());
    for (int i = 0; i < files.size(); i++) {
      assertEquals(digests.get(i), Digest.sha256(Files.readAllBytes(files.get(i))).hex());
    }
  }

  @Test
  void secondWriterIsRefusedReadOnlyWorks() throws IOException {
    IOException e = assertThrows(IOException.class,
        () -> Container.open(store, layers, "web", null, false));
    assertEquals("container web is already open for writing in this process: close that open "
        + "first (read-only opens work meanwhile)", e.getMessage());
    // the same store by another path (a symbolic link): the same answer, not "another process"
    ContentStore linked = ContentStore.open(
        Files.createSymbolicLink(tmp.resolve("link"), store.root()));
    try (LayerStore linkedLayers = new LayerStore(linked)) {
      IOException viaLink = assertThrows(IOException.class,
          () -> Container.open(linked, linkedLayers, "web", null, false));
      assertEquals(e.getMessage(), viaLink.getMessage());
    }
    try (Container ro = Container.open(store, layers, "web", null, true)) {
      assertEquals("x\n", readString(ro, "/d1/sub/x"));
    }
    assertThrows(IOException.class, () -> Container.remove(store, "web"));
    // the first writer still holds its lock
    write(c, "/still", "ok");
  }

  @Test
  void imageMismatchAndMissingContainer() throws IOException {
    ImageBuilder.create(store.root()).layer().file("/other", "o").build("other");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Container.open(store, layers, "web", "other", true));
    assertTrue(e.getMessage().contains("'base'") && e.getMessage().contains("'other'"),
        e.getMessage());
    IllegalArgumentException m = assertThrows(IllegalArgumentException.class,
        () -> Container.open(store, layers, "nope", null, false));
    assertTrue(m.getMessage().contains("give 'image'"), m.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Container.open(store, layers, "-bad", "base", false));
  }

  @Test
  void listAndRemove() throws IOException {
    try (Container b = Container.open(store, layers, "b2", "base", false)) {
      write(b, "/f", "f");
    }
    assertEquals(List.of("b2", "web"), Container.list(store));
    Container.remove(store, "b2");
    assertEquals(List.of("web"), Container.list(store));
    assertThrows(NoSuchFileException.class, () -> Container.remove(store, "b2"));
    try (Container b = Container.open(store, layers, "b2", "base", false)) {
      assertThrows(NoSuchFileException.class, () -> b.lookup("/f", false));
    }
  }

  @Test
  void manyThreadsAtOnce() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int id = t;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 50; i++) {
            String p = "/d1/t" + id + "-" + i;
            write(c, p, "v" + i);
            assertEquals("v" + i, readString(c, p));
            write(c, "/big", ("t" + id).getBytes(StandardCharsets.UTF_8), id * 100_000L + i,
                StandardOpenOption.WRITE);
            if (i % 2 == 0) {
              c.delete(p);
            }
            c.list("/d1");
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertEquals(2 + 8 * 25, c.list("/d1").size());
    assertEquals(2 + 8 * 25, reopen().list("/d1").size());
  }
}
