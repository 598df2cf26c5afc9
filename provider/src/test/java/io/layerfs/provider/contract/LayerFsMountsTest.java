package io.layerfs.provider.contract;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerfs.core.CommitOptions;
import io.layerfs.provider.LayerFileSystems;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounts through NIO: the env key, one {@link FileStore} per mount, what crosses two mounts
 * (compared with what the JDK's default provider reports across two host file systems), and a
 * volume shared by two file systems open at once.
 */
class LayerFsMountsTest {
  @TempDir Path tmp;
  private Path store;
  private Path host;

  @BeforeEach
  void setUp() throws IOException {
    store = tmp.resolve("store");
    FixtureImages.build(store);
    host = Files.createDirectory(tmp.resolve("host"));
  }

  private FileSystem open(String name, Object mounts) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "image", FixtureImages.TAG, "mounts", mounts));
  }

  /**
   * A bind mount of a file, as {@code docker run -v ./app.conf:/etc/app.conf} makes one: the
   * mount point is made as an empty file where the image has none, and hides the image's file
   * where it has one; reads and writes reach the host file; a link in the container leads to it;
   * the host directory's other names stay out of reach, and a file's mount onto a directory of the
   * image is refused before anything is made. Checked against the kernel's own file bind mounts by
   * {@code FileBindMountIT}.
   */
  @Test
  void aFileIsBindMountedAsDockerMountsOne() throws IOException {
    Path conf = Files.writeString(host.resolve("app.conf"), "port=80\n");
    Files.writeString(host.resolve("secret"), "not for the container");
    Path link = Files.createSymbolicLink(tmp.resolve("conf-link"), conf);
    try (FileSystem fs = open("file-bind", List.of(
        "type=bind,source=" + link + ",target=/etc/app/app.conf",
        "type=bind,source=" + conf + ",target=/etc/hostname,readonly"))) {
      Path mounted = fs.getPath("/etc/app/app.conf");
      assertEquals("port=80\n", Files.readString(mounted));
      assertTrue(Files.isRegularFile(mounted, LinkOption.NOFOLLOW_LINKS));
      assertEquals(List.of("app.conf"), Files.list(fs.getPath("/etc/app"))
          .map(p -> p.getFileName().toString()).toList());
      Files.writeString(mounted, "port=8080\n", StandardOpenOption.APPEND);
      assertEquals("port=80\nport=8080\n", Files.readString(conf));
      assertEquals("port=80\nport=8080\n", Files.readString(fs.getPath("/etc/hostname")));
      Files.createSymbolicLink(fs.getPath("/etc/app-conf"), fs.getPath("app/app.conf"));
      assertEquals("port=80\nport=8080\n", Files.readString(fs.getPath("/etc/app-conf")));
      // the host file's directory is never reached: `..` after the file finds a file, as Linux
      assertEquals("Not a directory", assertThrows(FileSystemException.class,
          () -> Files.readString(mounted.resolve("../secret"))).getReason());
      assertEquals("Not a directory", assertThrows(FileSystemException.class,
          () -> Files.readString(mounted.resolve("x"))).getReason());
      assertEquals("Device or resource busy", assertThrows(FileSystemException.class,
          () -> Files.delete(mounted)).getReason());
      assertEquals("Read-only file system", assertThrows(FileSystemException.class,
          () -> Files.writeString(fs.getPath("/etc/hostname"), "x")).getReason());
      assertEquals("bind " + link, Files.getFileStore(mounted).type() + " "
          + Files.getFileStore(mounted).name());
      assertEquals(Files.getFileStore(conf).getTotalSpace(),
          Files.getFileStore(mounted).getTotalSpace());
      // the host replaces the file, as an editor saves it: the name is mounted, not the inode
      Files.move(Files.writeString(host.resolve("app.conf.new"), "port=443\n"), conf,
          StandardCopyOption.REPLACE_EXISTING);
      assertEquals("port=443\n", Files.readString(mounted));
      Files.delete(conf);
      assertThrows(NoSuchFileException.class, () -> Files.readString(mounted));
      // and a link put in its place is not followed to another host file
      Files.createSymbolicLink(conf, host.resolve("secret"));
      IOException loop = assertThrows(IOException.class, () -> Files.readString(mounted));
      assertTrue(loop.getMessage().contains("Too many levels of symbolic links"),
          loop.getMessage());
    }
    IllegalArgumentException onDir = assertThrows(IllegalArgumentException.class,
        () -> open("file-on-dir", List.of("type=bind,source=" + host.resolve("secret")
            + ",target=/etc")));
    assertTrue(onDir.getMessage().contains("/etc is a directory in the container"),
        onDir.getMessage());
  }

  /**
   * A {@code PosixFileAttributes} of a bind mount's file is one moment's, as the default
   * provider's (the oracle, on the same host file): a host process that replaces the file
   * afterwards changes nothing in it. A mount's node reads the owner by path only when first
   * asked for it (a walk never does); reading these attributes asks at once.
   */
  @Test
  void posixAttributesOfABindMountsFileAreOneMoments() throws IOException {
    Path file = Files.writeString(host.resolve("owned"), "x");
    Files.setAttribute(file, "unix:uid", 65534);
    try (FileSystem fs = open("posix-moment",
        List.of("type=bind,source=" + host + ",target=/srv"))) {
      Path mounted = fs.getPath("/srv/owned");
      String owner = Files.getOwner(mounted).getName();
      String oracleOwner = Files.getOwner(file).getName();
      PosixFileAttributes read = Files.readAttributes(mounted, PosixFileAttributes.class);
      PosixFileAttributes oracle = Files.readAttributes(file, PosixFileAttributes.class);
      Files.move(Files.writeString(host.resolve("new"), "y"), file,
          StandardCopyOption.REPLACE_EXISTING); // the new file is root's
      assertEquals(0, Files.getAttribute(mounted, "unix:uid"), "the new file is seen");
      assertEquals(oracleOwner, oracle.owner().getName());
      assertEquals(owner, read.owner().getName());
      assertNotEquals(Files.getOwner(mounted).getName(), read.owner().getName());
    }
  }

  /**
   * DOS flags pass between the host and a bind mount: the JDK's own dos view on the host file
   * (the oracle, keeping them in {@code user.DOSATTRIB}) and layerfs's in the container read what
   * the other set.
   */
  @Test
  void dosFlagsPassBetweenTheHostAndABindMount() throws IOException {
    assumeTrue(ContainerDifferentialTest.hostStoresUserXattrs(tmp), "user xattrs on the host");
    Path file = Files.writeString(host.resolve("flagged"), "x");
    java.nio.file.attribute.DosFileAttributeView onHost = Files.getFileAttributeView(file,
        java.nio.file.attribute.DosFileAttributeView.class);
    onHost.setHidden(true);
    try (FileSystem fs = open("dos-flags",
        List.of("type=bind,source=" + host + ",target=/srv"))) {
      Path mounted = fs.getPath("/srv/flagged");
      java.nio.file.attribute.DosFileAttributes read = Files.readAttributes(mounted,
          java.nio.file.attribute.DosFileAttributes.class);
      assertTrue(read.isHidden() && !read.isReadOnly(), "the host's flag");
      Files.setAttribute(mounted, "dos:readonly", true);
      Files.setAttribute(mounted, "dos:hidden", false);
    }
    java.nio.file.attribute.DosFileAttributes after = onHost.readAttributes();
    assertTrue(after.isReadOnly() && !after.isHidden(), "the container's flags, on the host");
  }

  /**
   * A bind mount's file whose host refuses a user xattr (an immutable file: EPERM) fails as the
   * JDK's own view of the host file fails, its reason worded once.
   */
  @Test
  void aHostsRefusalOfAUserXattrReadsAsTheJdksOwn() throws Exception {
    Path file = Files.writeString(host.resolve("immutable"), "data");
    chattr("+i", file);
    try (FileSystem fs = open("xattr-refused", List.of("type=bind,source=" + host
        + ",target=/h"))) {
      for (String call : List.of("write", "delete")) {
        FileSystemException jdk = xattrCall(call, file);
        FileSystemException layerfs = xattrCall(call, fs.getPath("/h/immutable"));
        assertEquals(jdk.getReason(), layerfs.getReason(), call);
        assertEquals("/h/immutable", layerfs.getFile(), call);
      }
    } finally {
      chattr("-i", file);
    }
  }

  private static FileSystemException xattrCall(String call, Path p) {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
    return assertThrows(FileSystemException.class, () -> {
      if (call.equals("write")) {
        view.write("k", ByteBuffer.wrap(new byte[] {1}));
      } else {
        view.delete("k");
      }
    }, p + ": " + call);
  }

  private static void chattr(String flag, Path file) throws Exception {
    Process p = new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertEquals(0, p.waitFor(), "chattr " + flag + " (needs root and a file system with "
        + "the immutable flag): " + out);
  }

  @Test
  void aMountedFileOpenedForReadingIsTheHostsChannelInterruptedAsTheHostsIs() throws IOException {
    Files.writeString(host.resolve("f"), "data");
    try (FileSystem fs = open("interrupt", List.of("type=bind,source=" + host + ",target=/h",
        "type=volume,source=v,target=/v"))) {
      Files.writeString(fs.getPath("/v/f"), "data");
      // the host file is the oracle
      for (Path p : List.of(host.resolve("f"), fs.getPath("/h/f"), fs.getPath("/v/f"))) {
        Thread.currentThread().interrupt();
        try {
          assertEquals("data", Files.readString(p), p + ": readAllBytes completes");
          try (InputStream in = Files.newInputStream(p)) {
            assertEquals("data", new String(in.readAllBytes(), UTF_8), p + ": so do streams");
          }
          SeekableByteChannel ch = Files.newByteChannel(p);
          assertThrows(ClosedByInterruptException.class, () -> ch.read(ByteBuffer.allocate(4)),
              p + ": a channel of its own is interrupted");
          assertFalse(ch.isOpen());
          assertTrue(Thread.currentThread().isInterrupted(), "the interrupt stays set");
        } finally {
          Thread.interrupted();
        }
      }
    }
  }

  /**
   * Paths a stream listed in a directory of the container's own tree (found from the listing in
   * a container with mounts too) read what a lookup reads: a mount's target among its parent's
   * names is the mount's root, not the image's directory under it, and later changes show.
   */
  @Test
  void listedPathsBesideAMountReadAsLookedUp() throws IOException {
    try (FileSystem fs = open("listed",
        List.of("type=volume,source=listed,target=/data/nested,volume-nocopy"))) {
      Map<String, Path> listed = new HashMap<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(fs.getPath("/data"))) {
        for (Path p : s) {
          Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          listed.put(p.getFileName().toString(), p);
        }
      }
      assertEquals(Files.readAttributes(fs.getPath("/data/nested"), BasicFileAttributes.class)
          .fileKey(), Files.readAttributes(listed.get("nested"), BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS).fileKey(), "the listed mount point is the volume's root");
      try (Stream<Path> in = Files.list(listed.get("nested"))) {
        assertEquals(List.of(), in.toList(), "an empty volume");
      }
      Files.delete(fs.getPath("/data/one"));
      Files.write(fs.getPath("/data/empty"), new byte[] {1, 2});
      assertFalse(Files.exists(listed.get("one"), LinkOption.NOFOLLOW_LINKS));
      assertEquals(2L, Files.size(listed.get("empty")));
    }
  }

  /**
   * A move without ATOMIC_MOVE whose source is reached through the link it replaces, the source
   * in a volume and the link in the container: the JDK unlinks the target first and then finds
   * no source, across two file systems as within one (the host directory is the oracle).
   */
  @Test
  void aMoveOverTheLinkItsSourceIsReachedThroughUnlinksItFirstAcrossMounts() throws IOException {
    Files.createDirectory(host.resolve("dir"));
    Files.writeString(host.resolve("dir/f"), "data");
    Files.createSymbolicLink(host.resolve("lnk"), host.resolve("dir"));
    try (FileSystem fs = open("through", List.of("type=volume,source=through,target=/v"))) {
      Files.createDirectory(fs.getPath("/v/dir"));
      Files.writeString(fs.getPath("/v/dir/f"), "data");
      Files.createSymbolicLink(fs.getPath("/lnk"), fs.getPath("/v/dir"));
      for (Path root : List.of(host, fs.getPath("/"))) {
        assertThrows(NoSuchFileException.class, () -> Files.move(root.resolve("lnk/f"),
            root.resolve("lnk"), StandardCopyOption.REPLACE_EXISTING), root.toString());
        assertFalse(Files.exists(root.resolve("lnk"), LinkOption.NOFOLLOW_LINKS), root + ": "
            + "the link went first");
      }
      assertEquals("data", Files.readString(fs.getPath("/v/dir/f")), "the source stays");
    }
    assertEquals("data", Files.readString(host.resolve("dir/f")));
  }

  /**
   * A host file whose name is not UTF-8 (made here through a file URI, the JDK's one way to such
   * a name): listed, read, written, linked and renamed with its bytes, each byte that is not UTF-8
   * an escape in layerfs. It was listed with U+FFFD and could not be opened; a write of such a
   * name threw InvalidPathException.
   */
  @Test
  void hostNamesThatAreNotUtf8KeepTheirBytes() throws IOException {
    Files.writeString(Path.of(URI.create(host.toUri() + "h%E9")), "host");
    try (FileSystem fs = open("bytes", List.of("type=bind,source=" + host + ",target=/h"))) {
      Path listed;
      try (Stream<Path> s = Files.list(fs.getPath("/h"))) {
        listed = s.findFirst().orElseThrow();
      }
      assertEquals(fs.getPath("/h/h\udce9"), listed);
      assertEquals("host", Files.readString(listed));
      Files.writeString(fs.getPath("/h/d\udcff"), "written");
      Files.createSymbolicLink(fs.getPath("/h/ln\udce7"), fs.getPath("d\udcff"));
      assertEquals(fs.getPath("d\udcff"), Files.readSymbolicLink(fs.getPath("/h/ln\udce7")));
      Files.move(fs.getPath("/h/h\udce9"), fs.getPath("/h/moved\udce8"));
    }
    assertEquals("written", Files.readString(Path.of(URI.create(host.toUri() + "d%FF"))));
    assertEquals("written", Files.readString(Path.of(URI.create(host.toUri() + "ln%E7"))));
    assertEquals("host", Files.readString(Path.of(URI.create(host.toUri() + "moved%E8"))));
  }

  @Test
  void theEnvKeyTakesAListOrOneSpecPerLine() throws IOException {
    try (FileSystem fs = open("lines", "type=volume,source=v,target=/v\n\n"
        + "type=bind,source=" + host + ",target=/h,readonly\n")) {
      Files.writeString(fs.getPath("/v/f"), "v");
      assertEquals(List.of("f"), names(fs.getPath("/v")));
      FileSystemException ro = assertThrows(FileSystemException.class,
          () -> Files.writeString(fs.getPath("/h/f"), "x"));
      assertEquals("Read-only file system", ro.getReason());
      assertEquals("/h/f", ro.getFile());
      FileSystemException access = assertThrows(FileSystemException.class,
          () -> fs.provider().checkAccess(fs.getPath("/h"), AccessMode.WRITE));
      assertEquals("Read-only file system", access.getReason());
      fs.provider().checkAccess(fs.getPath("/v"), AccessMode.WRITE);
    }
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> open("bad", List.of("type=volume,source=v,target=relative")));
    assertTrue(bad.getMessage().startsWith("env key 'mounts': invalid mount spec "
        + "'type=volume,source=v,target=relative'"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> open("bad", 42));
    assertThrows(IllegalArgumentException.class, () -> open("bad", List.of(1)));
    assertFalse(Files.exists(store.resolve("layerfs/containers/bad")));
  }

  @Test
  void aSpecIsCsvAsDockerReadsIt() throws IOException {
    Path comma = Files.createDirectory(tmp.resolve("a,b"));
    Files.writeString(comma.resolve("f"), "comma");
    try (FileSystem fs = open("csv", "type=bind,\"source=" + comma + "\",target=/c\n")) {
      assertEquals("comma", Files.readString(fs.getPath("/c/f")));
    }
    // reopened from its record, which keeps the quotes
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://csv"),
        Map.of("store", store))) {
      assertEquals("comma", Files.readString(fs.getPath("/c/f")));
    }
    IllegalArgumentException open = assertThrows(IllegalArgumentException.class,
        () -> open("unterminated", List.of("type=bind,\"source=" + comma + ",target=/c")));
    assertTrue(open.getMessage().startsWith("env key 'mounts': invalid mount spec "
        + "'type=bind,\"source=" + comma + ",target=/c': unterminated quote"), open.getMessage());
    assertFalse(Files.exists(store.resolve("layerfs/containers/unterminated")));
  }

  @Test
  void eachMountIsItsOwnFileStore() throws IOException {
    try (FileSystem fs = open("stores", List.of("type=volume,source=v,target=/v",
        "type=bind,source=" + host + ",target=/h,readonly",
        "type=tmpfs,target=/t,tmpfs-size=1m"))) {
      List<FileStore> stores = new ArrayList<>();
      fs.getFileStores().forEach(stores::add);
      assertEquals(4, stores.size());
      assertEquals("layerfs", stores.get(0).type());
      assertEquals(List.of("volume", "bind", "tmpfs"),
          stores.subList(1, 4).stream().map(FileStore::type).toList());
      assertEquals(stores.get(1), Files.getFileStore(fs.getPath("/v")));
      assertEquals(stores.get(2), Files.getFileStore(fs.getPath("/h")));
      assertTrue(Files.getFileStore(fs.getPath("/h")).isReadOnly());
      assertEquals(stores.get(3), Files.getFileStore(fs.getPath("/t")));
      assertEquals(stores.get(0), Files.getFileStore(fs.getPath("/etc")));
      assertEquals(1 << 20, Files.getFileStore(fs.getPath("/t")).getTotalSpace());
      Files.write(fs.getPath("/t/f"), new byte[100_000]);
      assertTrue(Files.getFileStore(fs.getPath("/t")).getUsableSpace() <= (1 << 20) - 100_000);
      assertEquals(Files.getFileStore(host).getTotalSpace(),
          Files.getFileStore(fs.getPath("/h")).getTotalSpace());
      // every store has a block size, the host's where the files land (FileStore since Java 10)
      assertEquals(Files.getFileStore(host).getBlockSize(),
          Files.getFileStore(fs.getPath("/h")).getBlockSize());
      assertEquals(Files.getFileStore(store).getBlockSize(), stores.get(0).getBlockSize());
      assertEquals(Files.getFileStore(store).getBlockSize(), stores.get(1).getBlockSize());
      assertEquals(4096, stores.get(3).getBlockSize(), "a page, as Linux's tmpfs says");
    }
  }

  /**
   * A name longer than Linux's 255 bytes is refused in every mount as in the container's own
   * tree (the write contract suites check the container, volumes and binds against the host):
   * a tmpfs mount is memory, whose own file system knows no such limit.
   */
  @Test
  void namesTooLongForLinuxAreRefusedInEveryMount() throws IOException {
    String over = "n".repeat(256);
    try (FileSystem fs = open("too-long", List.of("type=volume,source=tl,target=/v",
        "type=tmpfs,target=/t"))) {
      for (String dir : List.of("/t", "/v", "/etc")) {
        Path path = fs.getPath(dir, over);
        tooLong(() -> Files.createFile(path));
        tooLong(() -> Files.createDirectory(path));
        tooLong(() -> Files.size(path));
        tooLong(() -> Files.move(fs.getPath("/etc/os-release"), path));
        Files.createFile(fs.getPath(dir, over.substring(1)));
        assertEquals(List.of(over.substring(1)), names(fs.getPath(dir)).stream()
            .filter(n -> n.startsWith("nnn")).toList());
      }
    }
  }

  @Test
  void acrossMountsAsAcrossTwoHostFileSystems() throws IOException {
    try (FileSystem fs = open("across", List.of("type=bind,source=" + host + ",target=/h"))) {
      Path inImage = fs.getPath("/etc/moved");
      Files.writeString(inImage, "data");
      AtomicMoveNotSupportedException atomic = assertThrows(
          AtomicMoveNotSupportedException.class, () -> Files.move(inImage,
              fs.getPath("/h/moved"), StandardCopyOption.ATOMIC_MOVE));
      assertEquals("Invalid cross-device link", atomic.getReason());
      assertEquals("/etc/moved", atomic.getFile());
      Files.move(inImage, fs.getPath("/h/moved"));
      assertEquals("data", Files.readString(host.resolve("moved")));
      assertFalse(Files.exists(inImage));
      FileSystemException link = assertThrows(FileSystemException.class,
          () -> Files.createLink(fs.getPath("/etc/hl"), fs.getPath("/h/moved")));
      assertEquals("Invalid cross-device link", link.getReason());
      Files.move(fs.getPath("/h/moved"), fs.getPath("/h/renamed"),
          StandardCopyOption.ATOMIC_MOVE); // within one mount: rename(2)
      assertTrue(Files.exists(host.resolve("renamed")));
      assertNotEquals(Files.getFileStore(fs.getPath("/h/renamed")),
          Files.getFileStore(fs.getPath("/etc")));
      // the target is looked at before the source directory is found not empty
      Path full = Files.createDirectory(fs.getPath("/etc/full"));
      Files.writeString(full.resolve("f"), "f");
      assertThrows(FileAlreadyExistsException.class,
          () -> Files.move(full, fs.getPath("/h/renamed")));
      assertThrows(DirectoryNotEmptyException.class,
          () -> Files.move(full, fs.getPath("/h/new")));
    }
    // the oracle: the JDK across two host file systems (the temp directory and /dev/shm's
    // tmpfs, or /proc's, which refuses the link before the device check)
    Path shm = Path.of("/dev/shm");
    assertTrue(Files.isDirectory(shm), "the oracle needs /dev/shm (a tmpfs) on this host");
    assertNotEquals(Files.getFileStore(shm), Files.getFileStore(tmp), "two file systems");
    Path a = Files.writeString(tmp.resolve("a"), "x");
    Path b = Files.createTempFile(shm, "layerfs-oracle", "");
    try {
      Files.delete(b);
      AtomicMoveNotSupportedException jdk = assertThrows(AtomicMoveNotSupportedException.class,
          () -> Files.move(a, b, StandardCopyOption.ATOMIC_MOVE));
      assertEquals("Invalid cross-device link", jdk.getReason());
      FileSystemException jdkLink = assertThrows(FileSystemException.class,
          () -> Files.createLink(b, a));
      assertEquals("Invalid cross-device link", jdkLink.getReason());
      Path full = Files.createDirectory(tmp.resolve("full"));
      Files.writeString(full.resolve("f"), "f");
      Files.writeString(b, "taken");
      assertThrows(FileAlreadyExistsException.class, () -> Files.move(full, b));
      Files.delete(b);
      assertThrows(DirectoryNotEmptyException.class, () -> Files.move(full, b));
    } finally {
      Files.deleteIfExists(b);
    }
  }

  /**
   * What Linux answers at a mount point and above one (checked against the kernel's own mounts by
   * {@code KernelOverlayIT}; a read-only bind mount on this host shows the same): an exclusive
   * create of the mount point or of a name in it finds the name taken, and a write open of it or of
   * a directory in it finds a directory, before the read-only flag counts; rmdir of a directory
   * holding a mount point finds it not empty; the mount point itself is busy.
   */
  @Test
  void aMountPointAndADirectoryHoldingOneAnswerAsLinuxDoes() throws IOException {
    Files.createDirectory(host.resolve("dir"));
    Files.writeString(host.resolve("file"), "kept");
    try (FileSystem fs = open("point", List.of("type=bind,source=" + host
        + ",target=/data/nested,readonly"))) {
      Path point = fs.getPath("/data/nested");
      for (Path existing : List.of(point, point.resolve("dir"), point.resolve("file"))) {
        assertThrows(FileAlreadyExistsException.class, () -> Files.newByteChannel(existing,
            StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), existing.toString());
      }
      for (Path dir : List.of(point, point.resolve("dir"))) {
        FileSystemException write = assertThrows(FileSystemException.class,
            () -> Files.newByteChannel(dir, StandardOpenOption.WRITE));
        assertEquals("Is a directory", write.getReason(), dir.toString());
      }
      FileSystemException create = assertThrows(FileSystemException.class,
          () -> Files.newByteChannel(point.resolve("new"), StandardOpenOption.CREATE,
              StandardOpenOption.WRITE));
      assertEquals("Read-only file system", create.getReason());
      // the JDK's move looks at the target first, rename(2) at the read-only flag
      assertThrows(FileAlreadyExistsException.class,
          () -> Files.move(point.resolve("file"), fs.getPath("/data/one")));
      Files.move(point.resolve("file"), point.resolve("file"));
      for (String name : List.of("missing", "file")) {
        FileSystemException renamed = assertThrows(FileSystemException.class, () -> Files.move(
            point.resolve(name), point.resolve("file"), StandardCopyOption.ATOMIC_MOVE));
        assertEquals("Read-only file system", renamed.getReason(), name);
      }
      // but rename(2) finds the target's directory before it compares mounts or asks to write
      for (String target : List.of("/missing/file", "/data/nested/missing/file")) {
        assertThrows(NoSuchFileException.class, () -> Files.move(point.resolve("file"),
            fs.getPath(target), StandardCopyOption.ATOMIC_MOVE), target);
      }
      assertEquals("Not a directory", assertThrows(FileSystemException.class,
          () -> Files.move(point.resolve("file"), fs.getPath("/data/one/x"),
              StandardCopyOption.ATOMIC_MOVE)).getReason());
      assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(fs.getPath("/data")));
      FileSystemException busy = assertThrows(FileSystemException.class,
          () -> Files.delete(point));
      assertEquals("Device or resource busy", busy.getReason());
      assertTrue(Files.isDirectory(point));
    }
  }

  /**
   * rename(2) compares the mounts of the two parent directories, so a mount point's own name is
   * renamed in the mount holding it: busy, not a cross-device move; the JDK's move looks at
   * both names first (the same file does nothing, a target without {@code REPLACE_EXISTING} is
   * taken), and a missing target directory is ENOENT before any mount is compared. Checked
   * against the kernel's mounts by {@code KernelOverlayIT}.
   */
  @Test
  void aMountPointIsRenamedInTheMountHoldingIt() throws IOException {
    Files.writeString(host.resolve("kept"), "kept");
    try (FileSystem fs = open("rename", List.of("type=bind,source=" + host + ",target=/h",
        "type=tmpfs,target=/t"))) {
      Path point = fs.getPath("/h");
      Path file = Files.writeString(fs.getPath("/file"), "x");
      Path dir = Files.createDirectory(fs.getPath("/dir"));
      for (Path[] move : new Path[][] {{point, fs.getPath("/moved")}, {dir, point},
          {point, dir}, {point, fs.getPath("/t")}}) {
        FileSystemException busy = assertThrows(FileSystemException.class,
            () -> Files.move(move[0], move[1], StandardCopyOption.ATOMIC_MOVE));
        assertEquals("Device or resource busy", busy.getReason(), List.of(move).toString());
      }
      FileSystemException onto = assertThrows(FileSystemException.class,
          () -> Files.move(file, point, StandardCopyOption.ATOMIC_MOVE));
      assertEquals("Is a directory", onto.getReason()); // rename(2) looks at the kinds first
      assertThrows(NoSuchFileException.class, () -> Files.move(file,
          fs.getPath("/t/missing/file"), StandardCopyOption.ATOMIC_MOVE));
      assertThrows(FileAlreadyExistsException.class, () -> Files.move(point, file));
      // the JDK's move: rename(2) across (by the parents' mounts), then a copy, which refuses
      // a directory that is not empty
      assertThrows(DirectoryNotEmptyException.class,
          () -> Files.move(point, fs.getPath("/t/x")));
      Files.move(point, point);
      Files.move(point, fs.getPath("/h/../h"), StandardCopyOption.ATOMIC_MOVE);
      assertThrows(AtomicMoveNotSupportedException.class,
          () -> Files.move(file, fs.getPath("/t/file"), StandardCopyOption.ATOMIC_MOVE));
      assertEquals("kept", Files.readString(point.resolve("kept")));
      assertEquals("x", Files.readString(file));
    }
  }

  /**
   * A copy of a directory over the link it is reached through: the JDK reads its mode, owner
   * and times first, unlinks the link, and finds no source left for its user xattrs, which it
   * then leaves out. The same through a bind mount, the host on a temp directory the control.
   */
  @Test
  void aDirectoryCopiedOverTheLinkItIsReachedThroughKeepsWhatWasReadFirst() throws IOException {
    Path dir = Files.createDirectories(host.resolve("mounted/dir"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-x---"));
    Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class)
        .write("comment", ByteBuffer.wrap(new byte[] {1}));
    Files.setLastModifiedTime(dir, FileTime.fromMillis(1_000_000_000_000L));
    Path control = Files.createSymbolicLink(host.resolve("link"), Path.of("mounted"));
    List<String> expected = copyOverItsLink(control);
    try (FileSystem fs = open("copy-link", List.of("type=bind,source=" + host.resolve("mounted")
        + ",target=/srv"))) {
      Path link = Files.createSymbolicLink(fs.getPath("/link"), fs.getPath("srv"));
      assertEquals(expected, copyOverItsLink(link));
    }
    assertEquals(List.of("rwxr-x---", "2001-09-09T01:46:40Z", "[]", "[]"), expected);
  }

  /** Copies {@code link}/dir onto {@code link}; what {@code link} then is. */
  private static List<String> copyOverItsLink(Path link) throws IOException {
    Files.copy(link.resolve("dir"), link, StandardCopyOption.COPY_ATTRIBUTES,
        LinkOption.NOFOLLOW_LINKS, StandardCopyOption.REPLACE_EXISTING);
    List<String> children;
    try (Stream<Path> s = Files.list(link)) {
      children = s.map(p -> p.getFileName().toString()).toList();
    }
    return List.of(PosixFilePermissions.toString(Files.getPosixFilePermissions(link)),
        Files.getLastModifiedTime(link).toString(), children.toString(), Files
            .getFileAttributeView(link, UserDefinedFileAttributeView.class).list().toString());
  }

  @Test
  void twoFileSystemsShareAVolumeCoherently() throws IOException {
    try (FileSystem a = open("a", List.of("type=volume,source=shared,target=/data"));
        FileSystem b = open("b", List.of("type=volume,source=shared,target=/mnt/d,readonly"))) {
      Files.writeString(a.getPath("/data/note"), "one");
      assertEquals("one", Files.readString(b.getPath("/mnt/d/note")));
      Files.writeString(a.getPath("/data/note"), "two", UTF_8);
      assertEquals("two", Files.readString(b.getPath("/mnt/d/note")));
      // a's first mount filled the empty volume with the image's /data, as Docker does
      try (Stream<Path> walk = Files.walk(b.getPath("/mnt"))) {
        List<String> all = walk.map(Path::toString).sorted().toList();
        assertTrue(all.containsAll(List.of("/mnt", "/mnt/d", "/mnt/d/note",
            "/mnt/d/nested/a/b/deep.txt")), all.toString());
      }
      assertEquals(names(a.getPath("/data")), names(b.getPath("/mnt/d")));
    }
  }

  /**
   * A bind source changes on the host, and a volume through another container, as in Docker,
   * where inotify in a container sees both: a watch key of either directory reports those
   * changes too, and this file system's own ones once each.
   */
  @Test
  void aWatchKeyOfABindMountOrVolumeSeesChangesMadeElsewhere() throws Exception {
    try (FileSystem a = open("a", List.of("type=bind,source=" + host + ",target=/h",
            "type=volume,source=shared,target=/v"));
        FileSystem b = open("b", List.of("type=volume,source=shared,target=/w"));
        WatchService watch = a.newWatchService()) {
      WatchKey bind = a.getPath("/h").register(watch, StandardWatchEventKinds.ENTRY_CREATE);
      WatchKey volume = a.getPath("/v").register(watch, StandardWatchEventKinds.ENTRY_CREATE);
      Files.writeString(host.resolve("by-host"), "h");
      Files.writeString(b.getPath("/w/by-b"), "b");
      Files.writeString(a.getPath("/h/by-a"), "a");
      Map<WatchKey, List<String>> seen = new HashMap<>();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (seen.getOrDefault(bind, List.of()).size() < 2
          || seen.getOrDefault(volume, List.of()).isEmpty()) {
        WatchKey key = watch.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (key == null) {
          break;
        }
        for (WatchEvent<?> event : key.pollEvents()) {
          seen.computeIfAbsent(key, k -> new ArrayList<>())
              .add(event.kind().name() + " " + event.context() + " x" + event.count());
        }
        key.reset();
      }
      // nothing more: this file system's own change was not reported twice
      WatchKey late = watch.poll(500, TimeUnit.MILLISECONDS);
      assertEquals(List.of("ENTRY_CREATE by-host x1", "ENTRY_CREATE by-a x1"),
          seen.get(bind));
      assertEquals(List.of("ENTRY_CREATE by-b x1"), seen.get(volume));
      assertNull(late == null ? null : late.pollEvents().toString());
    }
  }

  /**
   * {@code unix:dev} tells the container's file systems apart as stat(2)'s {@code st_dev} does
   * in a Docker container (code that keeps to one file system, as {@code find -xdev}, compares
   * it): one for the container's own files and the image's, another for each host file system
   * a mount shows (a bind mount and a volume share one where their host directories do), and
   * one of its own for a tmpfs.
   */
  @Test
  void eachMountedFileSystemIsADeviceOfItsOwn() throws IOException {
    try (FileSystem fs = open("devices", List.of("type=bind,source=" + host + ",target=/h",
        "type=volume,source=devices,target=/v", "type=tmpfs,target=/t"))) {
      Files.writeString(fs.getPath("/own"), "o");
      List<Object> devices = new ArrayList<>();
      for (String dir : List.of("/", "/h", "/v", "/t")) {
        Path file = Files.writeString(fs.getPath(dir, "file"), "f");
        Object device = Files.getAttribute(fs.getPath(dir), "unix:dev");
        assertEquals(device, Files.getAttribute(file, "unix:dev"), dir);
        devices.add(device);
      }
      assertEquals(devices.get(0), Files.getAttribute(fs.getPath("/data"), "unix:dev"));
      boolean oneHostDevice = Files.getAttribute(host, "unix:dev").equals(Files.getAttribute(
          store.resolve("layerfs/volumes/devices/_data"), "unix:dev"));
      assertEquals(oneHostDevice, devices.get(1).equals(devices.get(2)), devices.toString());
      assertEquals(oneHostDevice ? 3 : 4, new java.util.HashSet<>(devices).size(),
          devices.toString());
    }
  }

  @Test
  void reopeningWithOtherMountsIsRefused() throws IOException {
    open("fixed", List.of("type=tmpfs,target=/t")).close();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> open("fixed", List.of("type=tmpfs,target=/u")));
    assertTrue(e.getMessage().contains("mounts are fixed when a container is created"),
        e.getMessage());
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://fixed"),
        Map.of("store", store))) {
      assertTrue(Files.isDirectory(fs.getPath("/t")));
      assertEquals("tmpfs", Files.getFileStore(fs.getPath("/t")).type());
    }
  }

  private static void tooLong(org.junit.jupiter.api.function.Executable op) {
    FileSystemException e = assertThrows(FileSystemException.class, op);
    assertEquals("File name too long", e.getReason(), e.toString());
  }

  /**
   * A new volume filled from the image and a move across mounts keep the set-id bits with the
   * owner, as Docker's volume copy and the JDK's move across two host file systems do (the
   * oracle: it sets the owner first, as chown(2) clears them).
   */
  @Test
  void volumesFilledFromTheImageAndMovesAcrossMountsKeepSetIdBits() throws IOException {
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "layerfs-oracle");
    try {
      Path a = Files.writeString(tmp.resolve("setuid"), "x");
      Files.setAttribute(a, "unix:uid", 65534);
      Files.setAttribute(a, "unix:mode", 04755);
      Files.move(a, shm.resolve("setuid"));
      assertEquals(04755, (Integer) Files.getAttribute(shm.resolve("setuid"), "unix:mode") & 07777);
      assertEquals(65534, Files.getAttribute(shm.resolve("setuid"), "unix:uid"));
    } finally {
      Files.deleteIfExists(shm.resolve("setuid"));
      Files.delete(shm);
    }
    try (FileSystem fs = open("set-id-across", List.of("type=volume,source=across,target=/v",
        "type=tmpfs,target=/t", "type=volume,source=filled-bin,target=/usr/bin"))) {
      assertEquals(04755, (Integer) Files.getAttribute(fs.getPath("/usr/bin/su"), "unix:mode")
          & 07777, "a new volume filled from the image, as Docker copies it");
      for (String target : List.of("/v/moved", "/t/moved")) {
        Path file = fs.getPath("/data/one-" + target.charAt(1));
        Files.writeString(file, "x");
        Files.setAttribute(file, "unix:uid", 65534);
        Files.setAttribute(file, "unix:mode", 06755);
        Files.move(file, fs.getPath(target));
        assertEquals(06755, (Integer) Files.getAttribute(fs.getPath(target), "unix:mode") & 07777,
            target);
        assertEquals(65534, Files.getAttribute(fs.getPath(target), "unix:uid"), target);
      }
    }
  }

  /**
   * A named volume keeps {@code user:} attributes as the host directory under it does: they
   * outlive the container, and a new volume filled from the image gets the image's (as Docker
   * copies them into an empty volume); a tmpfs mount holds them while it lives.
   */
  @Test
  void volumesAndTmpfsMountsKeepUserXattrs() throws IOException {
    assumeTrue(ContainerDifferentialTest.hostStoresUserXattrs(tmp), "user xattrs on the host");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://tag-it"),
        Map.of("store", store, "image", FixtureImages.TAG))) {
      Files.setAttribute(fs.getPath("/data/one"), "user:origin", new byte[] {7});
      LayerFileSystems.commit(fs, "tagged", CommitOptions.defaults());
    }
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://filled"),
        Map.of("store", store, "image", "tagged", "mounts",
            List.of("type=volume,source=filled,target=/data", "type=tmpfs,target=/t")))) {
      assertArrayEquals(new byte[] {7}, (byte[]) Files.getAttribute(fs.getPath("/data/one"),
          "user:origin"), "copied into the new volume with the file");
      Files.setAttribute(fs.getPath("/data/one"), "user:later", new byte[] {8});
      for (String mounted : List.of("/data", "/t")) {
        FileStore mount = Files.getFileStore(fs.getPath(mounted));
        assertTrue(mount.supportsFileAttributeView("user"), mounted);
        assertTrue(mount.supportsFileAttributeView(UserDefinedFileAttributeView.class), mounted);
        assertTrue(mount.supportsFileAttributeView("unix"), mounted);
        assertTrue(mount.supportsFileAttributeView("dos"), mounted + ": kept in a user xattr");
      }
      Files.writeString(fs.getPath("/t/f"), "in memory");
      Files.setAttribute(fs.getPath("/t/f"), "user:mem", new byte[] {9});
      assertArrayEquals(new byte[] {9}, (byte[]) Files.getAttribute(fs.getPath("/t/f"),
          "user:mem"));
    }
    try (FileSystem fs = open("other", List.of("type=volume,source=filled,target=/v"))) {
      assertEquals(Map.of("origin", List.of(7), "later", List.of(8)),
          userXattrs(fs.getPath("/v/one")), "the volume outlived its container");
    }
  }

  private static Map<String, List<Integer>> userXattrs(Path p) throws IOException {
    Map<String, List<Integer>> all = new HashMap<>();
    Files.readAttributes(p, "user:*").forEach((name, value) -> {
      List<Integer> bytes = new ArrayList<>();
      for (byte b : (byte[]) value) {
        bytes.add((int) b);
      }
      all.put(name, bytes);
    });
    return all;
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
