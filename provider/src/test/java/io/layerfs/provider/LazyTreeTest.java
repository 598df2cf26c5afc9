package io.layerfs.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Layer;
import io.layerfs.core.store.Store;
import io.layerfs.testing.Built;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.MergeImage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read-only view of an image, or a container of it, opened with env {@code lazy} from a
 * registry, its plain gzip layers not complete, answers lookups and reads through the lazy merge
 * (fetching far less than the image) exactly as a view of the same image read whole; a listing
 * or a write opens the whole tree, and from then on it serves everything as a file system opened
 * whole does.
 */
class LazyTreeTest {
  /** Paths whose answer needs the bottom layer (mostly noise) read whole. */
  private static final List<String> WHOLE = List.of("/nothing", "/dangling", "/usr",
      "/usr/local");

  @TempDir Path tmp;
  private Path remote;
  private Built built;
  private long imageBytes;

  @BeforeEach
  void image() throws IOException {
    remote = tmp.resolve("remote");
    built = MergeImage.layers(ImageBuilder.create(remote), 16).build("merge");
    try (Store s = Store.open(remote)) {
      for (Layer l : s.image("merge").layers()) {
        imageBytes += l.size();
      }
    }
  }

  private Map<String, Object> lazyEnv(RangeRegistry registry) {
    return lazyEnv(registry, true);
  }

  private Map<String, Object> lazyEnv(RangeRegistry registry, boolean readOnly) {
    Map<String, Object> env = new HashMap<>();
    env.put("store", tmp.resolve("local"));
    env.put("image", registry.address() + "/test/merge:1");
    env.put("lazy", true);
    env.put("readOnly", readOnly);
    return env;
  }

  private FileSystem whole(String name) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", remote, "image", "merge", "readOnly", true));
  }

  @Test
  void lookupsAndReadsAreTheViewsWithoutFetchingTheImage() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem whole = whole("lazy-view-whole");
        FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-view"),
            lazyEnv(registry))) {
      List<String> paths = new ArrayList<>(MergeImage.PATHS);
      paths.addAll(MergeImage.MORE_PATHS);
      paths.add("/usr/bin/sh2/x");
      List<String> first = new ArrayList<>(paths);
      first.removeAll(WHOLE);
      first.removeAll(MergeImage.TREE_PATHS);
      List<String> wrong = compare(whole, lazy, first);
      assertEquals(List.of(), wrong);
      long fetched = registry.blobBytes();
      assertTrue(fetched < imageBytes / 4, fetched + " of " + imageBytes + " bytes fetched");
      System.out.printf("lazy view: %d paths looked up and read with %d of %d bytes fetched%n",
          first.size(), fetched, imageBytes);

      assertEquals(List.of(), compare(whole, lazy, WHOLE));
      assertEquals(List.of(), compare(whole, lazy, MergeImage.TREE_PATHS));
      // a listing needs the whole tree: the view opens it, and serves everything from then on
      assertEquals(walk(whole), walk(lazy));
      assertTrue(registry.blobBytes() >= imageBytes, registry.blobBytes() + " bytes");
      assertEquals(List.of(), compare(whole, lazy, paths));
      assertEquals(Files.getAttribute(whole.getPath("/usr/bin"), "unix:nlink"),
          Files.getAttribute(lazy.getPath("/usr/bin"), "unix:nlink"));
    }
  }

  /**
   * A lazy view keeps its image, and what it fetched, from gc until it closes, as a view of an
   * image held whole does: untagged meanwhile, nothing goes; closed, the image goes.
   */
  @Test
  void aLazyViewKeepsItsImageFromGcUntilItCloses() throws IOException {
    List<String> paths = new ArrayList<>(MergeImage.PATHS);
    paths.removeAll(WHOLE);
    paths.removeAll(MergeImage.TREE_PATHS);
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem whole = whole("lazy-held-whole")) {
      try (FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-held"),
          lazyEnv(registry))) {
        assertEquals(List.of(), compare(whole, lazy, paths.subList(0, 2)));
        try (Store local = Store.open(tmp.resolve("local"))) {
          for (String tag : local.tags()) {
            assertTrue(local.untag(tag));
          }
          assertEquals(List.of(), local.gc(false).removed(), "gc took what a lazy view reads");
        }
        assertEquals(List.of(), compare(whole, lazy, paths));
      }
      try (Store local = Store.open(tmp.resolve("local"))) {
        assertFalse(local.gc(false).removed().isEmpty(), "the view closed: its image goes");
      }
    }
  }

  /**
   * A store whose image was attached lazily (by {@code cat --lazy}, {@code create --lazy} or a
   * lazy open), opened by its path as zipfs opens a zip (the CLI's {@code cat IMAGE PATH}),
   * reads by path lazily too rather than fetching the layers whole.
   */
  @Test
  void aStoreOpenedByItsPathReadsALazilyAttachedImageLazily() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem whole = whole("lazy-path-whole")) {
      String ref;
      try (Store local = Store.open(tmp.resolve("local"))) {
        ref = local.lazyImage(registry.address() + "/test/merge:1",
            io.layerfs.core.registry.RegistryOptions.defaults().withTlsVerify(false));
      }
      long attached = registry.blobBytes();
      List<String> paths = new ArrayList<>(MergeImage.PATHS);
      paths.removeAll(WHOLE);
      paths.removeAll(MergeImage.TREE_PATHS);
      try (FileSystem lazy = FileSystems.newFileSystem(tmp.resolve("local"),
          Map.of("image", ref))) {
        assertEquals(List.of(), compare(whole, lazy, paths));
        long fetched = registry.blobBytes() - attached;
        assertTrue(fetched < imageBytes / 4, fetched + " of " + imageBytes + " bytes fetched");
        // a listing needs the whole tree, and gets it
        assertEquals(walk(whole), walk(lazy));
      }
    }
  }

  @Test
  void aContainerReadsLazilyUntilAWriteThenAsAContainerOpenedWhole() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem whole = whole("lazy-box-view");
        FileSystem wholeBox = FileSystems.newFileSystem(URI.create("layerfs://lazy-box-whole"),
            Map.of("store", remote, "image", "merge"));
        FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-box"),
            lazyEnv(registry, false))) {
      List<String> paths = new ArrayList<>(MergeImage.PATHS);
      paths.addAll(MergeImage.MORE_PATHS);
      List<String> first = new ArrayList<>(paths);
      first.removeAll(WHOLE);
      first.removeAll(MergeImage.TREE_PATHS);
      assertEquals(List.of(), compare(whole, lazy, first));
      long fetched = registry.blobBytes();
      assertTrue(fetched < imageBytes / 4, fetched + " of " + imageBytes + " bytes fetched");
      System.out.printf("lazy container: %d paths looked up and read with %d of %d bytes"
          + " fetched%n", first.size(), fetched, imageBytes);
      // a write opens the container whole; from then on it is the container opened whole
      java.time.Instant start = java.time.Instant.now().minusSeconds(1);
      for (FileSystem fs : List.of(wholeBox, lazy)) {
        Files.writeString(fs.getPath("/etc/issue"), "changed\n");
        Files.createDirectory(fs.getPath("/srv/new"));
        Files.delete(fs.getPath("/etc/hosts"));
      }
      assertTrue(registry.blobBytes() >= imageBytes, registry.blobBytes() + " bytes");
      assertEquals(walk(wholeBox), walk(lazy));
      // the times of the changes differ by when each was made
      assertEquals(changesAt(compareLines(wholeBox, paths), start),
          changesAt(compareLines(lazy, paths), start));
      assertEquals(LayerFileSystems.diff(wholeBox).toString(),
          LayerFileSystems.diff(lazy).toString());
    }
  }

  /**
   * A read-only open of a container created lazily and not written yet (what the CLI's {@code
   * cat NAME PATH} makes after {@code create --lazy}) reads its image lazily without env {@code
   * lazy}; once the container holds a change, a read-only open is the container's snapshot,
   * opened whole.
   */
  @Test
  void aReadOnlyOpenOfALazyContainerNotYetWrittenReadsLazily() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem whole = whole("lazy-snapshot-whole")) {
      try (FileSystem created = FileSystems.newFileSystem(URI.create("layerfs://snap"),
          lazyEnv(registry, false))) {
        assertTrue(Files.exists(created.getPath("/etc/issue")));
      }
      long before = registry.blobBytes();
      List<String> paths = new ArrayList<>(MergeImage.PATHS);
      paths.removeAll(WHOLE);
      paths.removeAll(MergeImage.TREE_PATHS);
      Map<String, Object> readOnly = Map.of("store", tmp.resolve("local"), "readOnly", true);
      try (FileSystem snap = FileSystems.newFileSystem(URI.create("layerfs://snap"), readOnly)) {
        assertEquals(List.of(), compare(whole, snap, paths));
        long fetched = registry.blobBytes() - before;
        assertTrue(fetched < imageBytes / 4, fetched + " of " + imageBytes + " bytes fetched");
        assertEquals(walk(whole), walk(snap)); // the whole tree: the image's view
      }
      try (FileSystem box = FileSystems.newFileSystem(URI.create("layerfs://snap"),
          lazyEnv(registry, false))) {
        Files.writeString(box.getPath("/etc/issue"), "changed\n");
      }
      try (FileSystem snap = FileSystems.newFileSystem(URI.create("layerfs://snap"), readOnly)) {
        assertEquals("changed\n", Files.readString(snap.getPath("/etc/issue")));
      }
    }
  }

  @Test
  void aContainerNeverWrittenIsCreatedAndReleasedOnCloseAndReopensLazily() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString())) {
      for (int round = 0; round < 2; round++) {
        try (FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-kept"),
            lazyEnv(registry, false))) {
          assertEquals("top issue\n",
              Files.readString(lazy.getPath("/etc/issue"), StandardCharsets.UTF_8));
          assertTrue(registry.blobBytes() < imageBytes / 4, registry.blobBytes() + " bytes");
          if (round == 1) {
            // a lock of a container's file is its lock file's: the container opens whole
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(
                    lazy.getPath("/etc/hosts"));
                java.nio.channels.FileLock lock = ch.lock(0, Long.MAX_VALUE, true)) {
              assertTrue(lock.isValid() && lock.isShared());
            }
            assertTrue(registry.blobBytes() >= imageBytes, registry.blobBytes() + " bytes");
            assertEquals(List.of(), LayerFileSystems.diff(lazy));
          }
        }
        // made at the first open, unlocked at each close (the second open would fail)
        try (Store local = Store.open(tmp.resolve("local"))) {
          assertTrue(local.hasContainer("lazy-kept"));
        }
      }
      // the second round's diff fetched the rest: complete, so a third open is a plain one
      try (FileSystem reopened = FileSystems.newFileSystem(URI.create("layerfs://lazy-kept"),
          Map.of("store", tmp.resolve("local"), "lazy", true))) {
        assertEquals("top issue\n", Files.readString(reopened.getPath("/etc/issue")));
      }
    }
  }

  /**
   * A lazy view's file locks as an image view's does, by the JDK's rules for one JVM, and keeps
   * its locks when the view switches to its whole tree: a lock taken through a file read lazily
   * excludes one taken after the switch, and closing the first channel releases it.
   */
  @Test
  void locksOfAFileHoldAcrossTheSwitchToTheWholeTree() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-locks"),
            lazyEnv(registry))) {
      Path issue = lazy.getPath("/etc/issue");
      try (FileChannel before = FileChannel.open(issue);
          FileChannel beside = FileChannel.open(issue)) {
        FileLock first = before.lock(0, Long.MAX_VALUE, true);
        assertThrows(OverlappingFileLockException.class, () -> beside.tryLock(0, 1, true));
        assertTrue(registry.blobBytes() < imageBytes / 4, registry.blobBytes() + " bytes");

        try (Stream<Path> listed = Files.list(lazy.getPath("/etc"))) { // the switch
          assertTrue(listed.count() > 1);
        }
        assertTrue(registry.blobBytes() >= imageBytes, registry.blobBytes() + " bytes");
        try (FileChannel after = FileChannel.open(issue)) {
          assertThrows(OverlappingFileLockException.class, () -> after.tryLock(0, 1, true),
              "a lock taken before the switch holds after it");
          before.close();
          assertFalse(first.isValid());
          assertNotNull(after.tryLock(0, Long.MAX_VALUE, true), "released with its channel");
          assertThrows(OverlappingFileLockException.class, () -> beside.tryLock(0, 1, true),
              "a lock taken after the switch holds for a file read before it");
        }
      }
    }
  }

  @Test
  void aFileOverTheLimitIsReadThroughTheWholeTree() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        Store local = Store.open(tmp.resolve("limit"))) {
      String tag = local.lazyImage(registry.address() + "/test/merge:1",
          io.layerfs.core.registry.RegistryOptions.defaults().withTlsVerify(false));
      boolean[] opened = {false};
      try (LazyTree tree = new LazyTree(local.lazyMerge(tag), new LazyTree.Opener() {
        @Override
        public io.layerfs.core.FileTree open() throws IOException {
          opened[0] = true;
          return local.view(tag);
        }

        @Override
        public void discard() {}
      }, true, 10)) {
        assertEquals("top issue\n", read(tree, "/etc/issue")); // 10 bytes: held
        assertFalse(opened[0]);
        assertEquals("usr os-release\n", read(tree, "/usr/lib/os-release")); // 15: not
        assertTrue(opened[0]);
        assertTrue(registry.blobBytes() >= imageBytes, registry.blobBytes() + " bytes");
      }
    }
  }

  private static String read(io.layerfs.core.FileTree tree, String path) throws IOException {
    try (io.layerfs.core.FileHandle h = tree.open(path, java.util.Set.of(), 0)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) >= 0) {
        // fill
      }
      return new String(b.array(), StandardCharsets.UTF_8);
    }
  }

  /**
   * A file keeps its key ({@code fileKey}, what {@code Files.isSameFile} compares) when the view
   * or container switches from the lazy merge to the whole tree: a program that compares a key
   * taken before with one taken after sees one file.
   */
  @Test
  void aFileKeepsItsKeyWhenTheWholeTreeOpens() throws IOException {
    List<String> paths = List.of("/usr/bin/sh", "/usr/bin/sh2", "/bin/sh", "/etc/hosts",
        "/etc/issue", "/etc", "/usr/bin", "/bin", "/link-to-etc/hosts", "/usr/lib/os-release",
        "/dev/null");
    for (boolean readOnly : new boolean[] {true, false}) {
      Map<String, Object> env = new HashMap<>();
      try (RangeRegistry registry =
          new RangeRegistry(remote, built.manifestDigest().toString())) {
        env.putAll(lazyEnv(registry, readOnly));
        env.put("store", tmp.resolve("keys-" + readOnly)); // layers not complete yet
        try (FileSystem lazy = FileSystems.newFileSystem(
            URI.create("layerfs://lazy-keys-" + readOnly), env)) {
          List<String> before = keys(lazy, paths);
          assertEquals(Files.getAttribute(lazy.getPath("/usr/bin/sh"), "fileKey"),
              Files.getAttribute(lazy.getPath("/usr/bin/sh2"), "fileKey"), "hard links");
          assertTrue(registry.blobBytes() < imageBytes / 4, "the merge answered");
          walk(lazy); // the whole tree
          if (!readOnly) {
            Files.writeString(lazy.getPath("/srv/new"), "new\n");
          }
          assertTrue(registry.blobBytes() >= imageBytes, registry.blobBytes() + " bytes");
          assertEquals(before, keys(lazy, paths), readOnly ? "view" : "container");
          if (!readOnly) { // copied up, a file and a directory of the image keep their keys
            Files.writeString(lazy.getPath("/etc/issue"), "changed\n");
            Files.setPosixFilePermissions(lazy.getPath("/usr/bin"),
                java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
            assertEquals(before, keys(lazy, paths), "copied up");
          }
          assertTrue(Files.isSameFile(lazy.getPath("/usr/bin/sh"), lazy.getPath("/bin/sh")));
          assertFalse(Files.isSameFile(lazy.getPath("/etc/hosts"), lazy.getPath("/etc/issue")));
          // a file the merge never saw has the tree's own key, distinct from all of those
          Object other = Files.getAttribute(lazy.getPath("/srv/f"), "fileKey");
          for (String line : before) {
            assertFalse(line.endsWith(" " + other + " " + other), line + " and /srv/f");
          }
        }
      }
    }
  }

  /** Keys read in one thread while another opens the whole tree: one key for each file. */
  @Test
  void aFileKeepsItsKeyWhileAnotherThreadOpensTheWholeTree() throws Exception {
    List<String> paths = List.of("/usr/bin/sh", "/usr/bin/sh2", "/bin/sh", "/etc/hosts",
        "/etc/issue", "/etc", "/link-to-etc/hosts", "/usr/lib/os-release", "/srv/f");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-keys-threads"),
            lazyEnv(registry))) {
      java.util.concurrent.atomic.AtomicBoolean walked =
          new java.util.concurrent.atomic.AtomicBoolean();
      Future<java.util.Set<List<String>>> reader = pool.submit(() -> {
        java.util.Set<List<String>> seen = new java.util.LinkedHashSet<>();
        boolean last = false;
        while (!last) {
          last = walked.get();
          seen.add(keys(lazy, paths));
        }
        return seen;
      });
      Future<List<String>> walker = pool.submit(() -> {
        try {
          return walk(lazy);
        } finally {
          walked.set(true);
        }
      });
      walker.get();
      java.util.Set<List<String>> seen = reader.get();
      assertEquals(1, seen.size(), "keys seen: " + seen);
      assertTrue(registry.blobBytes() >= imageBytes, registry.blobBytes() + " bytes");
    } finally {
      pool.shutdownNow();
    }
  }

  /** Each path's key with and without following a last link. */
  private static List<String> keys(FileSystem fs, List<String> paths) throws IOException {
    List<String> keys = new ArrayList<>();
    for (String p : paths) {
      keys.add(p + " " + Files.getAttribute(fs.getPath(p), "fileKey") + " "
          + Files.getAttribute(fs.getPath(p), "fileKey", LinkOption.NOFOLLOW_LINKS));
    }
    return keys;
  }

  @Test
  void aLinkCountOpensTheWholeView() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem whole = whole("lazy-nlink-whole");
        FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-nlink"),
            lazyEnv(registry))) {
      for (String p : List.of("/usr/bin/sh", "/usr/bin/sh2", "/etc", "/usr/bin")) {
        assertEquals(Files.getAttribute(whole.getPath(p), "unix:nlink"),
            Files.getAttribute(lazy.getPath(p), "unix:nlink"), p);
      }
      assertTrue(registry.blobBytes() >= imageBytes, registry.blobBytes() + " bytes");
    }
  }

  @Test
  void readsGoOnWhileAnotherThreadOpensTheWholeView() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem whole = whole("lazy-threads-whole");
        FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-threads"),
            lazyEnv(registry))) {
      List<String> paths = new ArrayList<>(MergeImage.PATHS);
      paths.addAll(MergeImage.MORE_PATHS);
      String expected = String.join("\n", compareLines(whole, paths));
      Future<List<String>> reader = pool.submit(() -> {
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
          String actual = String.join("\n", compareLines(lazy, paths));
          if (!expected.equals(actual)) {
            wrong.add("round " + round + ":\n" + actual);
          }
        }
        return wrong;
      });
      Future<List<String>> walker = pool.submit(() -> walk(lazy));
      assertEquals(walk(whole), walker.get());
      assertEquals(List.of(), reader.get());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void readsInAContainerGoOnWhileAnotherThreadWritesIt() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString());
        FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-box-threads"),
            lazyEnv(registry, false))) {
      Future<List<String>> reader = pool.submit(() -> {
        List<String> seen = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
          seen.add(Files.readString(lazy.getPath("/link-to-etc/hosts"))
              + Files.readString(lazy.getPath("/usr/local/bin/sh")));
        }
        return seen;
      });
      Future<String> writer = pool.submit(() -> {
        Files.writeString(lazy.getPath("/srv/written"), "by the other thread\n");
        return Files.readString(lazy.getPath("/srv/written"));
      });
      assertEquals("by the other thread\n", writer.get());
      for (String s : reader.get()) {
        assertEquals("middle hosts\nsh\n", s);
      }
      assertEquals("middle hosts\n", Files.readString(lazy.getPath("/etc/hosts")));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void closingAViewNeverOpenedWholeLeavesTheLayersPartial() throws IOException {
    try (RangeRegistry registry = new RangeRegistry(remote, built.manifestDigest().toString())) {
      FileSystem lazy = FileSystems.newFileSystem(URI.create("layerfs://lazy-close"),
          lazyEnv(registry));
      assertEquals("top issue\n",
          Files.readString(lazy.getPath("/etc/issue"), StandardCharsets.UTF_8));
      lazy.close();
      assertThrows(ClosedFileSystemException.class,
          () -> Files.readAttributes(lazy.getPath("/etc/issue"), PosixFileAttributes.class));
      assertTrue(registry.blobBytes() < imageBytes / 4, registry.blobBytes() + " bytes");
      try (Store local = Store.open(tmp.resolve("local"))) {
        assertFalse(local.lazyMerge(registry.address() + "/test/merge:1") == null,
            "the layers are still partial");
      }
    }
  }

  /** {@code lines} with each time from {@code since} on as "(changed)". */
  private static List<String> changesAt(List<String> lines, java.time.Instant since) {
    java.util.regex.Pattern time =
        java.util.regex.Pattern.compile("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z");
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      out.add(time.matcher(line).replaceAll(m ->
          java.time.Instant.parse(m.group()).isBefore(since) ? m.group() : "(changed)"));
    }
    return out;
  }

  /** The paths whose description differs between {@code expected} and {@code actual}. */
  private static List<String> compare(FileSystem expected, FileSystem actual,
      List<String> paths) {
    List<String> e = compareLines(expected, paths);
    List<String> a = compareLines(actual, paths);
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < paths.size(); i++) {
      if (!e.get(i).equals(a.get(i))) {
        wrong.add(a.get(i) + "\n    instead of " + e.get(i));
      }
    }
    return wrong;
  }

  private static List<String> compareLines(FileSystem fs, List<String> paths) {
    List<String> lines = new ArrayList<>();
    for (String p : paths) {
      lines.add(p + ": " + describe(fs.getPath(p)));
    }
    return lines;
  }

  /** What the JDK's calls show of a path: existence, attributes, link, real path, bytes. */
  static String describe(Path p) {
    StringBuilder b = new StringBuilder();
    b.append(Files.exists(p)).append('/').append(Files.exists(p, LinkOption.NOFOLLOW_LINKS))
        .append(" readable ").append(Files.isReadable(p));
    for (LinkOption[] o : List.of(new LinkOption[0],
        new LinkOption[] {LinkOption.NOFOLLOW_LINKS})) {
      b.append(" | ").append(attempt(() -> {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, o);
        return (a.isDirectory() ? "d" : a.isSymbolicLink() ? "l" : a.isRegularFile() ? "f"
            : a.isOther() ? "o" : "?") + " " + PosixFilePermissions.toString(a.permissions())
            + " " + a.owner().getName() + ":" + a.group().getName() + " " + a.size() + " "
            + a.lastModifiedTime() + " " + a.lastAccessTime() + " " + a.creationTime();
      })).append(" ").append(attempt(() -> String.valueOf(
          Files.readAttributes(p, "unix:mode,uid,gid,ctime,rdev,size", o))))
          .append(" ").append(attempt(() -> String.valueOf(
              Files.readAttributes(p, "layer:*", o))))
          .append(" ").append(attempt(() -> String.valueOf(
              Files.readAttributes(p, "user:*", o).keySet())));
    }
    b.append(" | link ").append(attempt(() -> Files.readSymbolicLink(p).toString()))
        .append(" | real ").append(attempt(() -> p.toRealPath().toString()))
        .append(" | nofollow real ")
        .append(attempt(() -> p.toRealPath(LinkOption.NOFOLLOW_LINKS).toString()))
        .append(" | bytes ").append(attempt(() -> new String(Files.readAllBytes(p),
            StandardCharsets.UTF_8)))
        .append(" | stream ").append(attempt(() -> {
          try (InputStream in = Files.newInputStream(p)) {
            in.skip(2);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          }
        }));
    return b.toString();
  }

  private interface Call {
    String call() throws IOException;
  }

  private static String attempt(Call call) {
    try {
      return call.call();
    } catch (FileSystemException e) {
      return e.getClass().getSimpleName() + "(" + e.getFile() + ", " + e.getOtherFile() + ", "
          + e.getReason() + ")";
    } catch (IOException | RuntimeException e) {
      return e.getClass().getSimpleName() + "(" + e.getMessage() + ")";
    }
  }

  /** Every path of a walk from the root, with its type and size. */
  static List<String> walk(FileSystem fs) throws IOException {
    try (Stream<Path> s = Files.walk(fs.getPath("/"))) {
      return s.map(p -> p + " " + attempt(() -> {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS);
        return PosixFilePermissions.toString(a.permissions()) + " " + a.size();
      })).toList();
    }
  }
}
