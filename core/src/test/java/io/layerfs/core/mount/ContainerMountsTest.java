package io.layerfs.core.mount;

import static io.layerfs.core.container.ContainerFixture.opts;
import static io.layerfs.core.container.ContainerFixture.readString;
import static io.layerfs.core.container.ContainerFixture.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Change;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.FsckReport;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Mount;
import io.layerfs.core.Node;
import io.layerfs.core.OpenDescriptors;
import io.layerfs.core.Progress;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.container.ContainerRecord;
import io.layerfs.core.container.Volumes;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.fsck.Fsck;
import io.layerfs.core.gc.GarbageCollector;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container with mounts, through core: where writes land, what a mount hides, how links and
 * {@code ..} resolve across mounts, what crosses two mounts, and what the store keeps.
 */
class ContainerMountsTest {
  @TempDir Path tmp;
  ContentStore store;
  LayerStore layers;
  Image image;
  Path host;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    image = ContainerFixture.build(store);
    host = Files.createDirectory(tmp.resolve("host"));
    Files.writeString(host.resolve("on-host"), "host file\n");
  }

  @AfterEach
  void tearDown() throws IOException {
    layers.close();
  }

  /**
   * A time change of a bind-mounted file that another program keeps replacing by renames sets
   * the times of whichever file the name names, as utimensat(2) by path does on the host (where
   * it never fails for it); before, a replacement between the relative lookup and the call by
   * path failed it ("changed while its times were set") within the 3,000 changes.
   */
  @Test
  void timesOfABindMountedFileThatIsReplacedMeanwhileAreSet() throws Exception {
    Path file = host.resolve("replaced");
    Files.writeString(file, "0");
    ExecutorService other = Executors.newSingleThreadExecutor();
    AtomicBoolean stop = new AtomicBoolean();
    try (Container c = open("web", "type=bind,source=" + host + ",target=/b")) {
      Future<?> replacing = other.submit(() -> {
        for (int i = 0; !stop.get(); i++) {
          Path next = Files.writeString(host.resolve("next"), Integer.toString(i));
          Files.move(next, file, StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
        }
        return null;
      });
      for (int i = 1; i <= 3000; i++) {
        // nanoseconds and an atime to keep: the call by path
        c.setTimes("/b/replaced", false, i * 1_000_000_001L, FileTree.TIME_UNCHANGED);
      }
      stop.set(true);
      replacing.get(10, TimeUnit.SECONDS);
    } finally {
      stop.set(true);
      other.shutdownNow();
    }
  }

  private Container open(String name, String... specs) throws IOException {
    return Container.open(store, layers, name, ContainerFixture.IMAGE, false, List.of(specs));
  }

  private Path volume(String name) throws IOException {
    return Volumes.dataDir(store, name);
  }

  /**
   * A move over an existing file replaces it in every kind of mount (a tmpfs's Jimfs renames
   * over no file, where the host's renameat does), and a move over an empty directory too.
   */
  @Test
  void aMoveReplacesAnExistingFileInEveryKindOfMount() throws IOException {
    Path host = Files.createDirectories(tmp.resolve("bind-replace"));
    try (Container c = open("replace", "type=volume,source=replace,target=/v",
        "type=bind,source=" + host + ",target=/b", "type=tmpfs,target=/t")) {
      for (String m : List.of("/v", "/b", "/t")) {
        write(c, m + "/new", "new\n");
        write(c, m + "/old", "old\n");
        c.move(m + "/new", m + "/old", true);
        assertEquals("new\n", readString(c, m + "/old"), m);
        assertNull(c.find(m + "/new", false), m);
        c.createDirectory(m + "/empty", 0755);
        c.createDirectory(m + "/dir", 0755);
        c.move(m + "/dir", m + "/empty", true);
        assertTrue(c.lookup(m + "/empty", false).isDirectory(), m);
        assertNull(c.find(m + "/dir", false), m);
      }
    }
  }

  /**
   * An error inside a mount names the path as the container has it, as every other error of the
   * container does (and as the default provider names the path it was given), in every kind of
   * mount and for each kind of operation.
   */
  @Test
  void errorsInsideAMountNameTheContainersPath() throws IOException {
    Path host = Files.createDirectories(tmp.resolve("bind-errors"));
    List<String> wrong = new java.util.ArrayList<>();
    try (Container c = open("errors", "type=volume,source=errors,target=/v",
        "type=bind,source=" + host + ",target=/b", "type=tmpfs,target=/t")) {
      for (String m : List.of("/v", "/b", "/t")) {
        String missing = m + "/missing";
        write(c, m + "/file", "f\n");
        c.createDirectory(m + "/full", 0755);
        write(c, m + "/full/x", "x\n");
        List<FileSystemException> errors = List.of(
            assertThrows(NoSuchFileException.class,
                () -> c.open(missing, opts(StandardOpenOption.READ), 0)),
            assertThrows(NoSuchFileException.class, () -> c.lookup(missing, false)),
            assertThrows(NoSuchFileException.class, () -> c.list(missing)),
            assertThrows(NoSuchFileException.class, () -> c.delete(missing)),
            assertThrows(NoSuchFileException.class, () -> c.setMode(missing, false, 0644)),
            assertThrows(DirectoryNotEmptyException.class, () -> c.delete(m + "/full")),
            assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> c.createDirectory(m + "/file", 0755)));
        List<String> named = List.of(missing, missing, missing, missing, missing, m + "/full",
            m + "/file");
        for (int i = 0; i < errors.size(); i++) {
          if (!named.get(i).equals(errors.get(i).getFile())) {
            wrong.add(named.get(i) + " named " + errors.get(i).getFile());
          }
        }
      }
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  void writesLandInTheVolumeWhichOutlivesTheContainerAndIsShared() throws IOException {
    try (Container a = open("a", "type=volume,source=data,target=/data")) {
      write(a, "/data/f", "from a\n");
      write(a, "/etc/own", "layer\n");
      assertEquals("from a\n", Files.readString(volume("data").resolve("f")));
      try (Container b = open("b", "type=volume,source=data,target=/srv/data")) {
        assertEquals("from a\n", readString(b, "/srv/data/f"));
        write(b, "/srv/data/f", "from b\n");
        assertEquals("from b\n", readString(a, "/data/f")); // coherent: one host file
      }
    }
    assertEquals(List.of(new Change(Change.Kind.ADDED, "/data"),
        new Change(Change.Kind.CHANGED, "/etc"), new Change(Change.Kind.ADDED, "/etc/own")),
        diff("a"), "the mount point is the container's, its content is not");
    Container.remove(store, "a");
    Container.remove(store, "b");
    assertEquals("from b\n", Files.readString(volume("data").resolve("f")));
    GarbageCollector.collect(store, false);
    assertEquals("from b\n", Files.readString(volume("data").resolve("f")), "gc keeps volumes");
  }

  private List<Change> diff(String name) throws IOException {
    try (Container c = Container.open(store, layers, name, null, true)) {
      return c.diff();
    }
  }

  @Test
  void commitLeavesMountedContentOutAsDockersDoes() throws IOException {
    io.layerfs.core.Image committed;
    try (Container c = open("c", "type=volume,source=v,target=/d1",
        "type=bind,source=" + host + ",target=/srv", "type=tmpfs,target=/scratch")) {
      write(c, "/d1/in-volume", "v\n");
      write(c, "/srv/in-bind", "b\n");
      write(c, "/scratch/in-tmpfs", "t\n");
      write(c, "/etc/in-layer", "l\n");
      committed = c.commit("committed:1", io.layerfs.core.CommitOptions.defaults(),
          io.layerfs.core.Progress.NONE);
    }
    try (io.layerfs.core.FileTree view = io.layerfs.core.rootfs.RootFs.open(store, layers,
        committed.manifestDigest().toString())) {
      try (FileHandle h = view.open("/etc/in-layer", opts(StandardOpenOption.READ), 0)) {
        ByteBuffer b = ByteBuffer.allocate(16);
        assertEquals(2, h.read(b, 0), "the container's own file is in the new layer");
      }
      assertEquals(List.of("a", "sub"), view.list("/d1"), "the image's /d1, not the volume's");
      assertEquals(List.of(), view.list("/srv"), "the mount point, empty");
      assertEquals(List.of(), view.list("/scratch"));
    }
  }

  @Test
  void anEmptyVolumeIsFilledFromTheImageOnceUnlessNoCopy() throws IOException {
    try (Container c = open("c", "type=volume,source=filled,target=/d1",
        "type=volume,source=bare,target=/d3,volume-nocopy")) {
      assertEquals(List.of("a", "sub"), c.list("/d1"));
      assertEquals("lower a v2\n", Files.readString(volume("filled").resolve("a")));
      assertEquals("x\n", Files.readString(volume("filled").resolve("sub/x")));
      assertEquals(List.of(), c.list("/d3"), "volume-nocopy: the image's /d3 stays hidden");
      c.delete("/d1/a");
    }
    try (Container c = Container.open(store, layers, "c", null, false)) {
      assertEquals(List.of("sub"), c.list("/d1"), "a volume with content is not refilled");
    }
  }

  @Test
  void aFillCutShortIsDoneAgainAtTheNextOpenNeverLeftHalfDone() throws IOException {
    try (Container warm = open("warm")) {
      assertEquals(List.of("a", "sub"), warm.list("/d1")); // both layers are indexed
    }
    // /d1/a comes from the top layer, /d1/sub/x and y from the bottom one, which cannot be read
    // while both of its blobs are damaged: the fill copies a, then fails at sub/x
    Layer bottom = image.layers().get(0);
    Path compressed = store.blobPath(bottom.digest());
    Path uncompressed = store.blobPath(bottom.diffId());
    byte[] compressedBytes = Files.readAllBytes(compressed);
    byte[] uncompressedBytes = Files.readAllBytes(uncompressed);
    overwrite(compressed, new byte[compressedBytes.length]);
    overwrite(uncompressed, new byte[uncompressedBytes.length]);
    String spec = "type=volume,source=v,target=/d1";
    assertThrows(IOException.class, () -> open("c", spec).close());
    assertEquals(List.of("v"), partialVolumes(), "fsck reports the volume");

    overwrite(compressed, compressedBytes);
    overwrite(uncompressed, uncompressedBytes);
    try (Container c = open("c", spec)) {
      assertEquals(List.of("a", "sub"), c.list("/d1"));
      assertEquals(List.of("x", "y"), c.list("/d1/sub"),
          "the fill is finished, not left half done");
      assertEquals("x\n", readString(c, "/d1/sub/x"), "not the empty file the cut left");
      assertEquals("y\n", readString(c, "/d1/sub/y"));
    }
    assertFalse(Files.exists(Volumes.fillMark(store, "v")), "the fill ended");
    assertEquals("y\n", Files.readString(volume("v").resolve("sub/y")));
    assertEquals(List.of(), partialVolumes());
  }

  /**
   * A container that mounts a volume cut short with volume-nocopy takes it as it is: a later
   * fill must never empty what that container wrote.
   */
  @Test
  void aNoCopyContainerTakesAVolumeCutShortAsItIsAndNoFillEmptiesItsWrites()
      throws IOException {
    Files.createDirectories(Volumes.path(store, "v"));
    Files.writeString(Volumes.path(store, "v").resolve("half"), "partial");
    Files.write(Volumes.fillMark(store, "v"), new byte[0]); // as a fill cut short leaves it
    try (Container c = open("writer", "type=volume,source=v,target=/d1,volume-nocopy")) {
      write(c, "/d1/kept", "acknowledged\n");
    }
    assertEquals(List.of(), partialVolumes());
    try (Container c = open("filler", "type=volume,source=v,target=/d1")) {
      assertEquals(List.of("half", "kept"), c.list("/d1"), "not emptied, not filled");
      assertEquals("acknowledged\n", readString(c, "/d1/kept"));
    }
  }

  /**
   * A volume a container mounts that is gone from the store (its folder removed by hand, or its
   * data directory replaced by a file or a dangling link) is reported by fsck, naming the
   * volume, the container and the path: the container's next start would create it empty (and
   * fill it from the image), or fails.
   */
  @Test
  void aVolumeAContainerMountsThatIsGoneIsReportedByFsck() throws IOException {
    String[] damages = {"removed", "a file", "a dangling link"};
    for (int i = 0; i < damages.length; i++) {
      String name = "vol" + i;
      try (Container c = open("user" + i, "type=volume,source=" + name + ",target=/data")) {
        write(c, "/data/f", "mine\n");
      }
      Path data = Volumes.path(store, name);
      io.layerfs.core.internal.FileTrees.deleteTree(data);
      switch (i) {
        case 1 -> Files.writeString(data, "not a directory");
        case 2 -> Files.createSymbolicLink(data, data.resolveSibling("nowhere"));
        default -> io.layerfs.core.internal.FileTrees.deleteTree(data.getParent()); // + counter
      }
      List<FsckReport.Problem> missing = Fsck.run(store, () -> layers, false, Progress.NONE)
          .problems(FsckReport.Kind.MISSING_VOLUME).stream()
          .filter(p -> p.object().equals(name)).toList();
      assertEquals(1, missing.size(), damages[i] + ": " + missing);
      assertEquals(name, missing.get(0).object());
      assertTrue(missing.get(0).message().contains("user" + i)
          && missing.get(0).message().contains(data.toString()), missing.get(0).message());
      if (i == 0) {
        continue;
      }
      String user = "user" + i;
      IOException e = assertThrows(IOException.class,
          () -> open(user, "type=volume,source=" + name + ",target=/data").close());
      assertTrue(e.getMessage().contains(data.toString()), damages[i] + ": " + e);
    }
  }

  private List<String> partialVolumes() throws IOException {
    return Fsck.run(store, () -> layers, false, Progress.NONE).problems().stream()
        .filter(p -> p.kind() == FsckReport.Kind.PARTIAL_VOLUME).map(p -> p.object()).toList();
  }

  private static void overwrite(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(bytes), 0);
    }
  }

  @Test
  void bindMountsShowTheHostDirectoryBothWays() throws IOException {
    try (Container c = open("c", "type=bind,source=" + host + ",target=/d1")) {
      assertEquals(List.of("on-host"), c.list("/d1"), "the mount hides the image's /d1");
      write(c, "/d1/new", "from container\n");
      assertEquals("from container\n", Files.readString(host.resolve("new")));
      Files.writeString(host.resolve("later"), "later\n");
      assertEquals("later\n", readString(c, "/d1/later"));
      Node n = c.lookup("/d1/new", false);
      assertEquals("/d1/new", n.path());
      assertEquals(Files.getAttribute(host.resolve("new"), "unix:ino"),
          n.fileKey() & 0xfffffffffffffL);
    }
    assertTrue(Files.exists(host.resolve("new")));
  }

  /**
   * A directory listed through a link or {@code ..} that leads into a mount lists the mount's
   * directory, never the container's own directory of that path, which the mount hides (a
   * listing of the container's own tree is taken directly only for a path that is its real one).
   */
  @Test
  void aListingReachedThroughALinkOrDotDotIntoAMountListsTheMount() throws IOException {
    Files.createDirectory(host.resolve("sub"));
    Files.writeString(host.resolve("sub/host-only"), "h\n");
    try (Container c = open("c", "type=bind,source=" + host + ",target=/d1")) {
      c.createSymbolicLink("/to-d1", "/d1");
      c.createSymbolicLink("/d2/sub-link", "../d1/sub");
      for (String dir : List.of("/d1/sub", "/to-d1/sub", "/d2/../d1/sub", "/d2/sub-link")) {
        assertEquals(List.of("host-only"), c.list(dir), dir);
        assertEquals(List.of("host-only"), c.listing(dir).names(), dir);
      }
      assertEquals(List.of("c", "sub-link"), c.listing("/d2").names(), "no mount there");
    }
  }

  @Test
  void readOnlyMountsRefuseEveryWriteAsLinuxDoes() throws IOException {
    try (Container c = open("c", "type=bind,source=" + host + ",target=/ro,readonly")) {
      assertEquals("host file\n", readString(c, "/ro/on-host"));
      for (ThrowingRunnable r : List.<ThrowingRunnable>of(
          () -> write(c, "/ro/new", "x"),
          () -> c.open("/ro/on-host", opts(StandardOpenOption.WRITE), 0).close(),
          () -> c.delete("/ro/on-host"),
          () -> c.createDirectory("/ro/dir", 0755),
          () -> c.createSymbolicLink("/ro/l", "x"),
          () -> c.setMode("/ro/on-host", true, 0600),
          () -> c.move("/ro/on-host", "/ro/moved", false),
          () -> c.move("/ro/on-host", "/moved", false),
          // link(2): the new name's mount is read-only before the two mounts differ
          () -> c.createLink("/ro/link", "/etc/hosts"),
          () -> c.createLink("/ro/link", "/ro"))) {
        FileSystemException e = assertThrows(FileSystemException.class, r::run);
        assertEquals("Read-only file system", e.getReason());
      }
      assertThrows(java.nio.file.FileAlreadyExistsException.class,
          () -> c.createDirectory("/ro", 0755));
      assertThrows(NoSuchFileException.class, () -> c.delete("/ro/missing"));
    }
    assertEquals(List.of("on-host"), List.of(host.toFile().list()));
  }

  interface ThrowingRunnable {
    void run() throws IOException;
  }

  @Test
  void linksInABindMountResolveInTheContainerNeverOnTheHost() throws IOException {
    Files.createSymbolicLink(host.resolve("abs"), Path.of("/etc/hosts"));
    Files.createSymbolicLink(host.resolve("up"), Path.of("../../../../etc"));
    Files.createDirectory(host.resolve("sub"));
    try (Container c = open("c", "type=bind,source=" + host + ",target=/mnt/h")) {
      assertEquals("127.0.0.1 localhost\n", readString(c, "/mnt/h/abs"));
      assertEquals("127.0.0.1 localhost\n", readString(c, "/mnt/h/up/hosts"));
      assertEquals("/etc", c.lookup("/mnt/h/up", true).path());
      assertEquals("/etc/hosts", c.lookup("/mnt/h/sub/../../h/abs", true).path());
      // .. at a mount's root goes to the directory holding it
      assertEquals("/mnt", c.lookup("/mnt/h/..", true).path());
      write(c, "/mnt/h/up/written-through-link", "x");
      assertTrue(c.find("/etc/written-through-link", false) != null);
      assertFalse(Files.exists(Path.of("/etc/written-through-link")));
    }
  }

  /**
   * A host file's owner, set-id bits, inode and link count are read by path when a node is first
   * asked for them: the file's own, with every name of it counted, or where a host process put
   * another file at that name meanwhile, none of the other file's (the relative stat's own).
   */
  @Test
  void aNodesFieldsReadByPathAreItsOwnFilesOnly() throws IOException {
    Path file = Files.writeString(host.resolve("set-id"), "x");
    Files.createLink(host.resolve("second-name"), file);
    Files.setAttribute(file, "unix:uid", 65534);
    Files.setAttribute(file, "unix:mode", 04750);
    try (DirTree tree = DirTree.open(host, true, new Devices(), null)) {
      Node read = tree.lookup("/set-id", false);
      assertEquals(04750, read.mode());
      assertEquals(65534, read.uid());
      assertEquals(2, read.linkCount());
      assertEquals(Files.getAttribute(file, "unix:ino"), read.fileKey() & 0xfffffffffffffL);
      assertEquals(read.fileKey(), tree.lookup("/second-name", false).fileKey());
      Node unread = tree.lookup("/set-id", false);
      Path other = Files.writeString(host.resolve("other"), "y");
      Files.setAttribute(other, "unix:uid", 4321);
      Files.setAttribute(other, "unix:mode", 06777);
      Files.move(other, file, StandardCopyOption.REPLACE_EXISTING);
      assertEquals(0750, unread.mode() & 0777, "the permissions the relative stat saw");
      assertNotEquals(4321, unread.uid());
      assertEquals(0, unread.mode() & 02000, "the other file's set-gid bit");
      assertNotEquals(Files.getAttribute(file, "unix:ino"), unread.fileKey() & 0xfffffffffffffL);
      assertEquals(06777, tree.lookup("/set-id", false).mode(), "a new lookup finds the new file");
      assertEquals(04750, read.mode(), "a field read stays");
    }
  }

  /**
   * A tmpfs node read before its mount is gone still answers (from its relative stat), as
   * attributes read before a file system closed do: no {@code ClosedFileSystemException}.
   */
  @Test
  void aTmpfsNodeAnswersAfterItsMountIsGone() throws IOException {
    Node node;
    try (DirTree tree = Tmpfs.open(Mount.parse("type=tmpfs,target=/t"), new Devices())) {
      tree.open("/f", opts(StandardOpenOption.WRITE, StandardOpenOption.CREATE), 0640).close();
      node = tree.lookup("/f", false);
    }
    assertEquals(0640, node.mode());
    assertEquals(1, node.linkCount());
    assertEquals(0, node.uid());
  }

  @Test
  void aDirectorySwappedForALinkOnTheHostIsNeverFollowed() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    Files.writeString(outside.resolve("secret"), "secret\n");
    Files.createDirectory(host.resolve("sub"));
    Files.writeString(host.resolve("sub/secret"), "inside\n");
    try (DirTree tree = DirTree.open(host, true, new Devices(), null)) {
      assertEquals("/sub/secret", tree.lookup("/sub/secret", false).path());
      // a host process swaps sub for a link to another host directory between two calls
      Files.delete(host.resolve("sub/secret"));
      Files.delete(host.resolve("sub"));
      Files.createSymbolicLink(host.resolve("sub"), outside);
      assertThrows(FileSystemException.class,
          () -> tree.open("/sub/secret", opts(StandardOpenOption.READ), 0));
      assertThrows(FileSystemException.class, () -> tree.list("/sub"));
      assertThrows(FileSystemException.class, () -> tree.delete("/sub/secret"));
      assertThrows(FileSystemException.class,
          () -> tree.open("/sub/new", opts(StandardOpenOption.WRITE,
              StandardOpenOption.CREATE), 0644));
      assertThrows(FileSystemException.class, () -> tree.setMode("/sub/secret", false, 0777));
      assertThrows(FileSystemException.class, () -> tree.find("/sub/secret", false));
    }
    assertEquals("secret\n", Files.readString(outside.resolve("secret")));
    assertEquals(List.of("secret"), List.of(outside.toFile().list()));
  }

  @Test
  void hostRenamesAndReplacementsOfKeptOpenDirectoriesShowAtOnce() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    Files.createDirectories(outside.resolve("b"));
    Files.writeString(outside.resolve("b/f"), "outside\n");
    Files.createDirectories(host.resolve("a/b"));
    Files.writeString(host.resolve("a/b/f"), "first\n");
    try (Container c = open("c", "type=bind,source=" + host + ",target=/mnt/h")) {
      assertEquals("first\n", readString(c, "/mnt/h/a/b/f")); // a and a/b are kept open now
      Files.move(host.resolve("a"), host.resolve("z"));
      assertNull(c.find("/mnt/h/a/b/f", true), "renamed on the host: gone at once");
      assertThrows(NoSuchFileException.class, () -> readString(c, "/mnt/h/a/b/f"));
      assertEquals("first\n", readString(c, "/mnt/h/z/b/f"));
      Files.createDirectories(host.resolve("a/b"));
      Files.writeString(host.resolve("a/b/f"), "second\n");
      assertEquals("second\n", readString(c, "/mnt/h/a/b/f"), "a new directory of that name");
      // a kept-open directory swapped for a link to another host directory
      Files.move(host.resolve("a"), host.resolve("old-a"));
      Files.createSymbolicLink(host.resolve("a"), outside);
      assertThrows(NoSuchFileException.class, () -> readString(c, "/mnt/h/a/b/f"),
          "the link resolves in the container, where " + outside + " does not exist");
      // the kept directories are bounded: a walk over many directories keeps a few open
      for (int i = 0; i < 200; i++) {
        Files.createDirectories(host.resolve("many/d" + i));
        Files.writeString(host.resolve("many/d" + i + "/f"), "f" + i);
      }
      long before = OpenDescriptors.under(host).size(); // only the mount's: see that class
      for (int i = 0; i < 200; i++) {
        assertEquals("f" + i, readString(c, "/mnt/h/many/d" + i + "/f"));
      }
      long added = OpenDescriptors.under(host).size() - before;
      // two descriptors per directory stream the JDK opens
      assertTrue(added <= 2 * DirTree.KEPT_OPEN, "open descriptors grew by " + added);
    }
    assertEquals("outside\n", Files.readString(outside.resolve("b/f")));
  }

  @Test
  void aKeptDirectoryMovedOutAndLinkedToIsReachedOnlyAsTheContainerResolvesTheLink()
      throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    Files.createDirectories(host.resolve("a/b"));
    Files.writeString(host.resolve("a/b/f"), "inside\n");
    try (Container c = open("c", "type=bind,source=" + host + ",target=/mnt/h")) {
      assertEquals("inside\n", readString(c, "/mnt/h/a/b/f")); // a and a/b are kept open now
      // a host process moves the kept directories out of the source and links to them: a look-up
      // of "a/b" in one call would follow that link and find the kept a/b
      Files.move(host.resolve("a"), outside.resolve("a"));
      Files.createSymbolicLink(host.resolve("a"), outside.resolve("a"));
      Files.writeString(outside.resolve("a/b/f"), "outside\n");
      assertNull(c.openForReading("/mnt/h/a/b/f", true), "the shortcut leaves the link alone");
      assertThrows(NoSuchFileException.class, () -> readString(c, "/mnt/h/a/b/f"),
          "the link resolves in the container, where " + outside + " does not exist");
      assertThrows(NoSuchFileException.class, () -> write(c, "/mnt/h/a/b/g", "x"));
      assertFalse(Files.exists(outside.resolve("a/b/g")));
      // moved back under another name, a relative link to it resolves in the container too
      Files.delete(host.resolve("a"));
      Files.move(outside.resolve("a"), host.resolve("moved"));
      Files.createSymbolicLink(host.resolve("a"), Path.of("moved"));
      assertNull(c.openForReading("/mnt/h/a/b/f", true));
      assertEquals("outside\n", readString(c, "/mnt/h/a/b/f"));
      assertEquals("outside\n", readString(c, "/mnt/h/moved/b/f"));
    }
  }

  @Test
  void aKeptDirectoryWhoseParentWasClosedIsCheckedFromTheRootAllTheSame() throws IOException {
    Path outside = Files.createDirectory(tmp.resolve("outside"));
    Files.createDirectories(host.resolve("a/b"));
    Files.writeString(host.resolve("a/b/f"), "inside\n");
    for (int i = 0; i < DirTree.KEPT_OPEN; i++) {
      Files.createDirectories(host.resolve("d" + i));
      Files.writeString(host.resolve("d" + i + "/f"), "d" + i);
    }
    try (Container c = open("c", "type=bind,source=" + host + ",target=/mnt/h")) {
      assertEquals("inside\n", readString(c, "/mnt/h/a/b/f")); // a, then a/b, kept open
      for (int i = 0; i < DirTree.KEPT_OPEN - 1; i++) {
        assertEquals("d" + i, readString(c, "/mnt/h/d" + i + "/f")); // a, the eldest, closes
      }
      // a/b is still kept, its parent not: a/b's name in a is checked from a freshly opened a
      Files.move(host.resolve("a/b"), host.resolve("a/c"));
      Files.createDirectory(host.resolve("a/b"));
      Files.writeString(host.resolve("a/b/f"), "replaced\n");
      assertEquals("replaced\n", readString(c, "/mnt/h/a/b/f"));
      assertEquals("inside\n", readString(c, "/mnt/h/a/c/f"));
      for (int i = 0; i < DirTree.KEPT_OPEN - 1; i++) {
        assertEquals("d" + i, readString(c, "/mnt/h/d" + i + "/f"));
      }
      Files.move(host.resolve("a"), outside.resolve("a"));
      Files.createSymbolicLink(host.resolve("a"), outside.resolve("a"));
      assertNull(c.openForReading("/mnt/h/a/b/f", true), "the shortcut leaves the link alone");
      assertThrows(NoSuchFileException.class, () -> readString(c, "/mnt/h/a/b/f"),
          "the link resolves in the container, where " + outside + " does not exist");
      assertThrows(NoSuchFileException.class, () -> readString(c, "/mnt/h/a/c/f"));
    }
  }

  @Test
  void theShortcutForReadingOpensNoLinkAndLeavesLinksToResolution()
      throws IOException {
    Files.createDirectories(host.resolve("d/e"));
    Files.writeString(host.resolve("d/e/f"), "f\n");
    Files.createSymbolicLink(host.resolve("d/link"), Path.of("e/f"));
    Files.createSymbolicLink(host.resolve("up"), Path.of("d"));
    try (DirTree tree = DirTree.open(host, true, new Devices(), null)) {
      try (FileHandle h = tree.openForReadingBeneath("/d/e/f")) {
        ByteBuffer b = ByteBuffer.allocate(8);
        assertEquals(2, h.read(b, 0));
        assertTrue(h.readable());
        assertFalse(h.writable());
      }
      try (FileHandle dir = tree.openForReadingBeneath("/d/e")) {
        IOException e = assertThrows(IOException.class, () -> dir.read(ByteBuffer.allocate(8), 0));
        assertEquals(hostReadError(host.resolve("d/e")), e.getMessage(), "as the host says it");
      }
      assertNull(tree.openForReadingBeneath("/d/link"), "a link: resolved in the container");
      assertNull(tree.openForReadingBeneath("/up/e/f"), "a link on the way");
      assertNull(tree.openForReadingBeneath("/d/e/missing"));
      assertNull(tree.openForReadingBeneath("/missing/f"));
      assertNull(tree.openForReadingBeneath("/"));
    }
    try (Container c = open("c", "type=bind,source=" + host + ",target=/mnt/h")) {
      assertEquals("f\n", readString(c, "/mnt/h/d/link"), "the link, followed by resolution");
      assertEquals("f\n", readString(c, "/mnt/h/up/e/f"));
      assertNull(c.openForReading("/mnt/h/d/../d/e/f", true), "dots: resolution's job");
      assertNull(c.openForReading("/mnt/h", true), "a mount's root");
      assertNull(c.openForReading("/etc/hosts", true), "not in a mount");
    }
  }

  /** What the default provider's read of a directory fails with (the oracle). */
  private static String hostReadError(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      return assertThrows(IOException.class, () -> ch.read(ByteBuffer.allocate(8), 0))
          .getMessage();
    }
  }

  @Test
  void tmpfsIsEmptyAtEveryOpenBoundedAndNeverOnDisk() throws IOException {
    // new in every run, so no file but one this run wrote can hold it (this test's own source
    // and class files may well lie under the temp directory)
    byte[] marker = ("tmpfs-marker-" + java.util.UUID.randomUUID())
        .getBytes(StandardCharsets.UTF_8);
    try (Container c = open("c", "type=tmpfs,target=/scratch,tmpfs-size=64k,tmpfs-mode=1770")) {
      assertEquals(01770, c.lookup("/scratch", true).mode());
      write(c, "/scratch/m", marker, 0);
      assertArrayEquals(marker, ContainerFixture.read(c, "/scratch/m"));
      FileSystemException full = assertThrows(FileSystemException.class,
          () -> write(c, "/scratch/big", new byte[100_000], 0));
      assertEquals("No space left on device", full.getMessage());
      c.delete("/scratch/big");
      write(c, "/scratch/fits", new byte[32_000], 0); // the space came back
      assertFalse(containsBytes(tmp, marker), "no file under the test's directory holds it");
      assertFalse(containsBytes(Path.of(System.getProperty("java.io.tmpdir")), marker),
          "nor a temp file");
      Files.write(tmp.resolve("control"), marker);
      assertTrue(containsBytes(tmp, marker), "the scan finds the bytes where they are");
    }
    try (Container c = Container.open(store, layers, "c", null, false)) {
      assertEquals(List.of(), c.list("/scratch"));
    }
  }

  /** Whether a regular file under {@code dir} holds {@code needle}; unreadable parts skipped. */
  private static boolean containsBytes(Path dir, byte[] needle) throws IOException {
    String n = new String(needle, StandardCharsets.ISO_8859_1);
    boolean[] found = {false};
    Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
      @Override
      public java.nio.file.FileVisitResult visitFile(Path p,
          java.nio.file.attribute.BasicFileAttributes a) {
        if (a.isRegularFile() && a.size() < (64 << 20)) {
          try {
            if (new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains(n)) {
              found[0] = true;
              return java.nio.file.FileVisitResult.TERMINATE;
            }
          } catch (IOException e) {
            // a file that went away or cannot be read (other processes share the temp directory)
          }
        }
        return java.nio.file.FileVisitResult.CONTINUE;
      }

      @Override
      public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) {
        return java.nio.file.FileVisitResult.CONTINUE; // gone or unreadable: not ours
      }
    });
    return found[0];
  }

  @Test
  void theLongestTargetWinsAndAMountInsideAMountWorks() throws IOException {
    try (Container c = open("c", "type=volume,source=outer,target=/data,volume-nocopy",
        "type=tmpfs,target=/data/cache")) {
      write(c, "/data/cache/x", "in tmpfs\n");
      write(c, "/data/y", "in volume\n");
      assertEquals(List.of("cache", "y"), c.list("/data"));
      assertFalse(Files.exists(volume("outer").resolve("cache/x")));
      assertTrue(Files.isDirectory(volume("outer").resolve("cache")), "the mount point");
      assertEquals("in volume\n", readString(c, "/data/cache/../y"));
      assertEquals(List.of("type=volume,source=outer,target=/data,volume-nocopy",
          "type=tmpfs,target=/data/cache"), c.mounts().stream().map(Mount::spec).toList());
      assertEquals("tmpfs", c.mountOf("/data/cache/x", true).type().id());
      assertEquals("outer", c.mountOf("/data/y", true).source());
      assertNull(c.mountOf("/etc/hosts", true));
    }
  }

  @Test
  void acrossMountsAMoveCopiesAndDeletesAndAHardLinkFails() throws IOException {
    try (Container c = open("c", "type=bind,source=" + host + ",target=/h")) {
      write(c, "/etc/f", "moving\n");
      c.setMode("/etc/f", false, 0640);
      c.move("/etc/f", "/h/f", false);
      assertNull(c.find("/etc/f", false));
      assertEquals("moving\n", Files.readString(host.resolve("f")));
      assertEquals(0640, c.lookup("/h/f", false).mode());
      c.move("/h/f", "/etc/back", false);
      assertFalse(Files.exists(host.resolve("f")));
      assertEquals("moving\n", readString(c, "/etc/back"));
      assertThrows(DirectoryNotEmptyException.class, () -> c.move("/d1", "/h/d1", false));
      c.createDirectory("/empty", 0755);
      c.move("/empty", "/h/empty", false);
      assertTrue(Files.isDirectory(host.resolve("empty")));
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> c.createLink("/h/hl", "/etc/hosts"));
      assertEquals("Invalid cross-device link", e.getReason());
      // link(2) of the mount's root: a directory, within its own mount (EXDEV elsewhere)
      FileSystemException root = assertThrows(FileSystemException.class,
          () -> c.createLink("/h/hl", "/h"));
      assertEquals("Operation not permitted", root.getReason());
      FileSystemException rootOut = assertThrows(FileSystemException.class,
          () -> c.createLink("/etc/hl", "/h"));
      assertEquals("Invalid cross-device link", rootOut.getReason());
      FileSystemException busy = assertThrows(FileSystemException.class, () -> c.delete("/h"));
      assertEquals("Device or resource busy", busy.getReason());
      assertThrows(FileSystemException.class, () -> c.move("/h", "/elsewhere", false));
    }
  }

  /**
   * A file's bind mount inside a read-only mount, which cannot take its mount point: the name is
   * listed in its directory anyway (a mount point its parent cannot hold), as a file, and shows
   * the host file; nothing is made in the read-only mount's source.
   */
  @Test
  void aFileIsBindMountedWhereNoMountPointCanBeMade() throws IOException {
    Path conf = host.resolve("on-host");
    Path dir = Files.createDirectory(tmp.resolve("read-only"));
    try (Container c = open("file-in-ro", "type=bind,source=" + dir + ",target=/srv,readonly",
        "type=bind,source=" + conf + ",target=/srv/app.conf")) {
      assertEquals("host file\n", readString(c, "/srv/app.conf"));
      assertEquals(io.layerfs.core.EntryType.FILE, c.lookup("/srv/app.conf", false).type());
      assertEquals(List.of("app.conf"), c.list("/srv"));
      write(c, "/srv/app.conf", "written\n");
    }
    assertEquals("written\n", Files.readString(conf));
    assertEquals(List.of(), Files.list(dir).toList());
  }

  @Test
  void badMountsCreateNothing() throws IOException {
    NoSuchFileException missing = assertThrows(NoSuchFileException.class,
        () -> open("bad", "type=bind,source=" + tmp.resolve("nope") + ",target=/x"));
    assertTrue(missing.getMessage().contains(tmp.resolve("nope").toString()));
    IllegalArgumentException notDir = assertThrows(IllegalArgumentException.class,
        () -> open("bad", "type=bind,source=" + host.resolve("on-host") + ",target=/etc"));
    assertTrue(notDir.getMessage().contains("/etc is a directory in the container and the bind"
        + " source " + host.resolve("on-host") + " is not"), notDir.getMessage());
    assertThrows(IllegalArgumentException.class, () -> open("bad", "type=disk,target=/x"));
    assertEquals(List.of(), Container.list(store));
    assertEquals(List.of(), Volumes.list(store));
    IllegalArgumentException file = assertThrows(IllegalArgumentException.class,
        () -> open("bad2", "type=tmpfs,target=/etc/hosts"));
    assertTrue(file.getMessage().contains("not a directory"), file.getMessage());
  }

  @Test
  void mountsAreFixedAtCreationAndRecorded() throws IOException {
    open("c", "type=volume,source=v,target=/v").close();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> open("c", "type=volume,source=w,target=/v"));
    assertTrue(e.getMessage().contains("fixed when a container is created"), e.getMessage());
    try (Container c = open("c", "type=volume,target=/v,source=v")) {
      assertEquals(1, c.mounts().size(), "the same mounts, written otherwise, are accepted");
    }
    ContainerRecord record = ContainerRecord.read(
        store.stateDir().resolve("containers/c/container.json"));
    assertEquals(List.of("type=volume,source=v,target=/v"), record.mounts());
    assertEquals(Map.of("v", List.of("c")), Volumes.users(store));
    IOException inUse = assertThrows(IOException.class, () -> Volumes.removeUnused(store, "v"));
    assertTrue(inUse.getMessage().contains("in use by container c"), inUse.getMessage());
    Volumes.create(store, "unused");
    assertEquals(List.of("unused"), Volumes.prune(store).volumes());
    assertEquals(List.of("v"), Volumes.list(store));
    Container.remove(store, "c");
    Volumes.removeUnused(store, "v");
    assertEquals(List.of(), Volumes.list(store));
  }

  @Test
  void aReadOnlyOpenShowsTheMountsAndChangesNothing() throws IOException {
    try (Container c = open("c", "type=volume,source=v,target=/v")) {
      write(c, "/v/f", "x\n");
    }
    try (Container ro = Container.open(store, layers, "c", null, true)) {
      assertEquals("x\n", readString(ro, "/v/f"));
      try (FileHandle h = ro.open("/v/f", opts(StandardOpenOption.READ), 0)) {
        assertEquals(2, h.read(ByteBuffer.allocate(8), 0));
      }
    }
  }
}
