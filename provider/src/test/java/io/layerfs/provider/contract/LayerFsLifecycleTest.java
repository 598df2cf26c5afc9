package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertThrowsExactly;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.provider.LayerFileAttributeView;
import io.layerfs.provider.contract.Fixture.Entry;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider's life cycle and its layerfs-only surface: the registry of open file systems by
 * URI, URIs of paths, the env map, closing, the {@code layer} attribute view and the file store.
 * Every test opens (and closes) file systems of its own names.
 */
class LayerFsLifecycleTest {
  @TempDir static Path store;
  private static Image image;

  @BeforeAll
  static void build() throws IOException {
    image = FixtureImages.build(store);
  }

  private static Map<String, Object> env() {
    return Map.of("store", store, "image", FixtureImages.TAG, "readOnly", true);
  }

  @Test
  void providerIsInstalled() {
    long n = FileSystemProvider.installedProviders().stream()
        .filter(p -> p.getScheme().equals("layerfs")).count();
    assertEquals(1, n);
  }

  @Test
  void getFileSystemFindsTheOpenOne() throws IOException {
    URI uri = URI.create("layerfs://life-find");
    FileSystemNotFoundException e = assertThrowsExactly(FileSystemNotFoundException.class,
        () -> FileSystems.getFileSystem(uri));
    assertEquals("layerfs://life-find is not open in this JVM; open it first with"
        + " FileSystems.newFileSystem(URI.create(\"layerfs://life-find\"), env)", e.getMessage());
    e = assertThrowsExactly(FileSystemNotFoundException.class,
        () -> Path.of(URI.create("layerfs://life-find/data/one")));
    assertTrue(e.getMessage().startsWith("layerfs://life-find/data/one: layerfs://life-find is"
        + " not open in this JVM; "), e.getMessage());
    try (FileSystem fs = FileSystems.newFileSystem(uri, env())) {
      assertSame(fs, FileSystems.getFileSystem(uri));
      assertSame(fs, FileSystems.getFileSystem(URI.create("layerfs://life-find/data/one")));
      assertEquals("layerfs", fs.provider().getScheme());
      assertTrue(fs.isOpen());
      assertTrue(fs.isReadOnly());
      assertEquals("/", fs.getSeparator());
      List<Path> roots = new ArrayList<>();
      fs.getRootDirectories().forEach(roots::add);
      assertEquals(List.of(fs.getPath("/")), roots);
      assertTrue(fs.supportedFileAttributeViews()
          .containsAll(Set.of("basic", "posix", "unix", "owner", "layer")));
    }
    assertThrowsExactly(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uri));
  }

  @Test
  void pathUriRoundTrip() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-uri"), env())) {
      for (String s : List.of("/", "/data/one", "/names/with space.txt",
          "/names/ünïcödé 名前.txt", "/names/.hidden", "/many/f299", "/links/dir/a")) {
        Path p = fs.getPath(s);
        URI uri = p.toUri();
        assertEquals("layerfs", uri.getScheme(), s);
        assertEquals("life-uri", uri.getAuthority(), s);
        assertEquals(p, Path.of(uri), s);
        assertEquals(p, fs.provider().getPath(uri), s);
      }
      assertEquals(URI.create("layerfs://life-uri/data/one"), fs.getPath("/data/one").toUri());
      assertEquals(URI.create("layerfs://life-uri/names/with%20space.txt"),
          fs.getPath("/names/with space.txt").toUri());
      assertEquals(fs.getPath("/data/one").toUri(), fs.getPath("data/one").toUri());
      Path fromUri = Path.of(URI.create("layerfs://life-uri/data/one"));
      assertSame(fs, fromUri.getFileSystem());
      assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(fromUri));
      assertArrayEquals(Fixture.data("names/with space.txt"),
          Files.readAllBytes(Path.of(URI.create("layerfs://life-uri/names/with%20space.txt"))));
    }
    assertThrowsExactly(FileSystemNotFoundException.class,
        () -> Path.of(URI.create("layerfs://life-uri/data/one")));
  }

  @Test
  void secondOpenOfTheSameNameFails() throws IOException {
    URI uri = URI.create("layerfs://life-twice");
    try (FileSystem fs = FileSystems.newFileSystem(uri, env())) {
      FileSystemAlreadyExistsException e = assertThrowsExactly(
          FileSystemAlreadyExistsException.class, () -> FileSystems.newFileSystem(uri, env()));
      assertEquals("layerfs://life-twice is already open in this JVM:"
          + " FileSystems.getFileSystem(uri) returns it (close it to open it again)",
          e.getMessage());
      assertTrue(fs.isOpen(), "the failed open leaves the first one alone");
      assertSame(fs, FileSystems.getFileSystem(uri));
      assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(fs.getPath("/data/one")));
    }
    // closed: the name is free again
    try (FileSystem again = FileSystems.newFileSystem(uri, env())) {
      assertEquals(4096L, Files.size(again.getPath("/data/4096.bin")));
    }
  }

  @Test
  void twoNamesOverOneStoreAreIndependent() throws IOException {
    FileSystem a = FileSystems.newFileSystem(URI.create("layerfs://life-a"), env());
    try (FileSystem b = FileSystems.newFileSystem(URI.create("layerfs://life-b"), env())) {
      a.close();
      assertFalse(a.isOpen());
      assertArrayEquals(Fixture.data("data/100000.bin"),
          Files.readAllBytes(b.getPath("/data/100000.bin")), "closing a does not close b's data");
    }
  }

  @Test
  void closedFileSystemThrowsClosedFileSystemException() throws IOException {
    FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-closed"), env());
    Path one = fs.getPath("/data/one");
    fs.close();
    assertFalse(fs.isOpen());
    fs.close(); // a second close does nothing
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.readAllBytes(one));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.newInputStream(one));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.size(one));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.exists(one));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.newDirectoryStream(
        fs.getPath("/data")));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.readAttributes(one,
        "unix:*"));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.readSymbolicLink(
        fs.getPath("/links/rel")));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.delete(one));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.write(one, new byte[1]));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.isHidden(one));
    assertThrowsExactly(ClosedFileSystemException.class, () -> Files.getFileStore(one));
    assertThrowsExactly(ClosedFileSystemException.class, () -> one.toRealPath());
    assertThrowsExactly(ClosedFileSystemException.class, fs::getRootDirectories);
    assertThrowsExactly(ClosedFileSystemException.class, fs::getFileStores);
    // path algebra needs no open file system
    assertEquals("one", one.getFileName().toString());
    assertEquals(fs.getPath("/data/one/x"), one.resolve("x"));
  }

  @Test
  void unknownEnvKeysAndBadValuesNameTheKey() {
    URI uri = URI.create("layerfs://life-env");
    Map<String, Object> unknown = new HashMap<>(env());
    unknown.put("bogusKey", "1");
    IllegalArgumentException e = assertThrowsExactly(IllegalArgumentException.class,
        () -> FileSystems.newFileSystem(uri, unknown));
    assertTrue(e.getMessage().contains("bogusKey"), e.getMessage());

    for (Map.Entry<String, Object> bad : List.of(Map.entry("readOnly", (Object) "yes"),
        Map.entry("readOnly", (Object) 1), Map.entry("store", (Object) 42),
        Map.entry("store", (Object) ""), Map.entry("image", (Object) ""),
        Map.entry("image", (Object) 7), Map.entry("tlsVerify", (Object) "no"),
        Map.entry("registriesConf", (Object) 5),
        Map.entry("lazy", (Object) "yes"), Map.entry("lazy", (Object) 1),
        Map.entry("lazy", (Object) "Background"),
        Map.entry("limits", (Object) "depth=3"))) {
      Map<String, Object> env = new HashMap<>(env());
      env.put(bad.getKey(), bad.getValue());
      IllegalArgumentException ex = assertThrowsExactly(IllegalArgumentException.class,
          () -> FileSystems.newFileSystem(uri, env), bad.toString());
      assertTrue(ex.getMessage().contains(bad.getKey()), bad + ": " + ex.getMessage());
    }
    assertThrowsExactly(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uri),
        "a failed open registers nothing");
  }

  @Test
  void envKeyLimitsBoundsWhatTheStoreReads(@TempDir Path other) throws IOException {
    FixtureImages.build(other);
    Map<String, Object> env = new HashMap<>(Map.of("store", other, "image", FixtureImages.TAG,
        "readOnly", true, "limits", Limits.builder().depth(1).build()));
    URI uri = URI.create("layerfs://life-limits");
    LimitException e = assertThrows(LimitException.class,
        () -> FileSystems.newFileSystem(uri, env));
    assertEquals("depth", e.limit());
    assertTrue(e.getMessage().contains("depth = 1"), e.getMessage());
    Limits roomy = Limits.builder().depth(100).build();
    env.put("limits", roomy);
    try (FileSystem fs = FileSystems.newFileSystem(uri, env)) {
      assertTrue(Files.isDirectory(fs.getPath("/data")));
      Map<String, Object> clash = new HashMap<>(env);
      clash.put("limits", Limits.DEFAULTS);
      IllegalArgumentException x = assertThrowsExactly(IllegalArgumentException.class,
          () -> FileSystems.newFileSystem(URI.create("layerfs://life-limits2"), clash));
      assertTrue(x.getMessage().contains("limits"), x.getMessage());
      env.remove("limits");
      try (FileSystem same = FileSystems.newFileSystem(URI.create("layerfs://life-limits3"),
          env)) {
        assertTrue(Files.isDirectory(same.getPath("/data")), "no limits given: the open store's");
      }
    }
  }

  @Test
  void lazyBackgroundOverAnImageTheStoreHoldsWholeHasNothingToFetch() throws IOException {
    Map<String, Object> env = new HashMap<>(env());
    env.put("lazy", "background");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-lazy"), env)) {
      assertTrue(Files.isDirectory(fs.getPath("/")));
    }
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      assertFalse(t.isAlive() && t.getName().startsWith("layerfs-lazy-fetch-"),
          t.getName() + " outlived its file system");
    }
  }

  @Test
  void badUriNames() {
    FileSystemProvider provider = provider();
    for (String bad : List.of("layerfs://-dash", "layerfs://_under", "layerfs://.dot",
        "layerfs:///data", "layerfs:opaque", "layerfs://a%20b", "layerfs://user@host",
        "layerfs://host:99", "other://life-x")) {
      URI uri = URI.create(bad);
      assertThrowsExactly(IllegalArgumentException.class,
          () -> provider.newFileSystem(uri, env()), "newFileSystem " + bad);
      assertThrowsExactly(IllegalArgumentException.class,
          () -> provider.getFileSystem(uri), "getFileSystem " + bad);
    }
  }

  @Test
  void unknownImageIsAnIoExceptionAndRegistersNothing() {
    URI uri = URI.create("layerfs://life-noimage");
    Map<String, Object> env = new HashMap<>(env());
    env.put("image", "nosuch:tag");
    IOException e = assertThrows(IOException.class, () -> FileSystems.newFileSystem(uri, env));
    assertTrue(e.getMessage().contains("nosuch:tag"), e.getMessage());
    assertTrue(e.getMessage().contains(FixtureImages.TAG), "lists the tags: " + e.getMessage());
    assertThrowsExactly(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uri));
  }

  @Test
  void aCompressedImageArchiveOpensByItsPathAsItsTarDoes(@TempDir Path tmp) throws IOException {
    Path tar = tmp.resolve("image.tar");
    try (io.layerfs.core.store.Store s = io.layerfs.core.store.Store.open(store)) {
      s.exportImage(FixtureImages.TAG, "docker-archive:" + tar, null);
    }
    // as docker save IMAGE | gzip > image.tar.gz
    Path gz = tmp.resolve("image.tar.gz");
    try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(
        Files.newOutputStream(gz))) {
      Files.copy(tar, out);
    }
    byte[] one;
    try (FileSystem fs = FileSystems.newFileSystem(tar)) {
      one = Files.readAllBytes(fs.getPath("/data/one"));
    }
    assertTrue(one.length > 0);
    try (FileSystem fs = FileSystems.newFileSystem(gz)) {
      assertEquals(java.util.Arrays.toString(one),
          java.util.Arrays.toString(Files.readAllBytes(fs.getPath("/data/one"))));
    }
  }

  /**
   * An archive of one image saved without a name (RepoTags empty, as {@code skopeo copy ...
   * docker-archive:FILE} writes one) opens as the image it holds, as zipfs opens any zip; an
   * image it lacks is an error that names the archive, not the scratch store it was read into.
   */
  @Test
  void anArchiveOfOneUnnamedImageOpensAndItsErrorsNameTheArchive(@TempDir Path tmp)
      throws IOException {
    Path tar = tmp.resolve("unnamed.tar");
    try (io.layerfs.core.store.Store s = io.layerfs.core.store.Store.open(store)) {
      String digest = s.image(FixtureImages.TAG).manifestDigest().toString();
      s.exportImage(digest, "docker-archive:" + tar, null);
    }
    try (FileSystem fs = FileSystems.newFileSystem(tar)) {
      assertTrue(Files.readAllBytes(fs.getPath("/data/one")).length > 0);
    }
    IOException e = assertThrows(IOException.class,
        () -> FileSystems.newFileSystem(tar, Map.of("image", "nosuch:tag")));
    assertTrue(e.getMessage().startsWith("no image 'nosuch:tag' in archive " + tar),
        e.getMessage());
  }

  @Test
  void aUriOfAnImageOpenedByItsPathSaysWhyItIsNotFound() throws IOException {
    URI uri;
    try (FileSystem fs = FileSystems.newFileSystem(store, Map.of("image", FixtureImages.TAG))) {
      uri = fs.getPath("/data/one").toUri();
      String root = "layerfs://" + store.getFileName();
      assertEquals(root + "/data/one", uri.toString());
      FileSystemNotFoundException e = assertThrowsExactly(FileSystemNotFoundException.class,
          () -> Path.of(uri));
      assertEquals(uri + ": " + root + " is an image file opened by its path"
          + " (FileSystems.newFileSystem(Path)), which a URI does not find: use the paths of the"
          + " FileSystem that call returned", e.getMessage());
    }
    FileSystemNotFoundException closed = assertThrowsExactly(FileSystemNotFoundException.class,
        () -> Path.of(uri));
    assertTrue(closed.getMessage().contains(" is not open in this JVM; "), closed.getMessage());
  }

  @Test
  void aStoreGivenAsAFileUriStringOpensAsItsPathWould() throws IOException {
    Map<String, Object> env = new HashMap<>(env());
    env.put("store", store.toUri().toString()); // file:///...: no relative path "file:"
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-file-uri"), env)) {
      assertArrayEquals(Fixture.data("data/one"), Files.readAllBytes(fs.getPath("/data/one")));
    }
    assertFalse(Files.exists(Path.of("file:")), "no store made under the working directory");
  }

  @Test
  void aStoreThatDoesNotExistIsSaidSoAndNotLeftBehind(@TempDir Path tmp) {
    Path missing = tmp.resolve("no/such/store");
    URI uri = URI.create("layerfs://life-nostore");
    NoSuchFileException e = assertThrowsExactly(NoSuchFileException.class,
        () -> FileSystems.newFileSystem(uri, Map.of("store", missing)));
    assertEquals(missing + ": no store: the directory does not exist (env key 'store');"
        + " give env key 'store' the directory of a store, or env key 'image' to create container"
        + " life-nostore in a new store there", e.getMessage());
    assertEquals(missing.toString(), e.getFile());
    assertFalse(Files.exists(tmp.resolve("no")), "nothing made");
    // with an image to create the container from, a store is made for it, and removed again
    // when the open fails
    String absent = "sha256:" + "0".repeat(64);
    for (boolean readOnly : new boolean[] {false, true}) {
      IOException noImage = assertThrows(IOException.class, () -> FileSystems.newFileSystem(uri,
          Map.of("store", missing, "image", absent, "readOnly", readOnly)));
      assertEquals("no image '" + absent + "' in store " + missing + "; tags: (none); there was"
          + " no store at " + missing + " (the directory did not exist; none is left there)",
          noImage.getMessage());
      assertFalse(Files.exists(tmp.resolve("no")), "store removed again, readOnly " + readOnly);
    }
    assertThrowsExactly(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uri));
  }

  @Test
  void openByManifestDigest() throws IOException {
    Map<String, Object> env = Map.of("store", store.toString(),
        "image", image.manifestDigest().toString(), "readOnly", "true");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-digest"), env)) {
      assertEquals("ID=contract\nVERSION=2\n", Files.readString(fs.getPath("/etc/os-release")));
    }
  }

  @Test
  void layerAttributesTellTheLayer() throws IOException {
    List<Layer> layers = image.layers();
    assertEquals(Fixture.LAYERS, layers.size());
    assertEquals(List.of("application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+zstd"),
        layers.stream().map(Layer::mediaType).toList());
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-layer"), env())) {
      Checks.Mismatches m = new Checks.Mismatches();
      for (Entry e : Fixture.tree().values()) {
        Path p = fs.getPath("/" + e.path());
        Map<String, Object> a = Files.readAttributes(p, "layer:*", LinkOption.NOFOLLOW_LINKS);
        Layer layer = layers.get(e.layer());
        m.check(e.path(), "keys", Set.of("index", "diffId", "digest", "mediaType"), a.keySet());
        m.check(e.path(), "index", e.layer(), a.get("index"));
        m.check(e.path(), "diffId", layer.diffId().toString(), a.get("diffId"));
        m.check(e.path(), "digest", layer.digest().toString(), a.get("digest"));
        m.check(e.path(), "mediaType", layer.mediaType(), a.get("mediaType"));
      }
      m.assertNone();

      assertEquals(Map.of("index", 2), Files.readAttributes(fs.getPath("/etc/os-release"),
          "layer:index"));
      assertEquals(Map.of("index", 1), Files.readAttributes(fs.getPath("/many"), "layer:index"));
      assertEquals(Map.of("index", 0), Files.readAttributes(fs.getPath("/many/f000"),
          "layer:index"));
      assertEquals(Map.of("index", 1), Files.readAttributes(fs.getPath("/many/f150"),
          "layer:index"));
      // following a link reports its target's layer
      assertEquals(0, Files.getAttribute(fs.getPath("/links/rel"), "layer:index"));
      assertEquals(1, Files.getAttribute(fs.getPath("/links/rel"), "layer:index",
          LinkOption.NOFOLLOW_LINKS));

      LayerFileAttributeView view = Files.getFileAttributeView(fs.getPath("/etc/conf"),
          LayerFileAttributeView.class);
      assertNotNull(view);
      assertEquals("layer", view.name());
      assertEquals(new LayerFileAttributeView.Origin(2, layers.get(2).diffId(),
          layers.get(2).digest(), layers.get(2).mediaType()), view.readOrigin());
      assertThrowsExactly(NoSuchFileException.class, () -> Files.getFileAttributeView(
          fs.getPath("/data/removed"), LayerFileAttributeView.class).readOrigin());
      assertThrowsExactly(IllegalArgumentException.class,
          () -> Files.readAttributes(fs.getPath("/data/one"), "layer:nosuch"));
    }
  }

  @Test
  void fileStore() throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-store"), env())) {
      FileStore fileStore = Files.getFileStore(fs.getPath("/data/one"));
      assertEquals("layerfs", fileStore.type());
      assertTrue(fileStore.isReadOnly());
      assertEquals(0L, fileStore.getUsableSpace());
      long total = image.layers().stream().mapToLong(Layer::size).sum();
      assertEquals(total, fileStore.getTotalSpace());
      assertEquals(total, fileStore.getAttribute("totalSpace"));
      assertTrue(fileStore.supportsFileAttributeView("posix"));
      assertTrue(fileStore.supportsFileAttributeView("layer"));
      assertTrue(fileStore.supportsFileAttributeView("dos"), "kept in a user xattr");
      assertTrue(fileStore.supportsFileAttributeView(BasicFileAttributeView.class));
      assertTrue(fileStore.supportsFileAttributeView(PosixFileAttributeView.class));
      assertTrue(fileStore.supportsFileAttributeView(LayerFileAttributeView.class));
      assertTrue(fileStore.supportsFileAttributeView(DosFileAttributeView.class));
      assertFalse(Files.readAttributes(fs.getPath("/data/one"),
          java.nio.file.attribute.DosFileAttributes.class).isReadOnly());
      assertThrows(java.nio.file.ReadOnlyFileSystemException.class,
          () -> Files.getFileAttributeView(fs.getPath("/data/one"), DosFileAttributeView.class)
              .setReadOnly(true));
      List<FileStore> stores = new ArrayList<>();
      fs.getFileStores().forEach(stores::add);
      assertEquals(1, stores.size());
      assertEquals(stores.get(0), fileStore);
      assertEquals(fileStore, Files.getFileStore(fs.getPath("/")));
      assertThrowsExactly(NoSuchFileException.class,
          () -> Files.getFileStore(fs.getPath("/data/missing")));
    }
  }

  private static FileSystemProvider provider() {
    for (FileSystemProvider p : FileSystemProvider.installedProviders()) {
      if (p.getScheme().equals("layerfs")) {
        return p;
      }
    }
    return fail("no layerfs provider installed");
  }

  /**
   * A channel left unclosed is closed once it is unreachable, as the JDK's cleaner closes a
   * leaked channel's descriptor: until then it keeps a deleted file's bytes in the store, as an
   * open descriptor keeps a deleted file on Linux; after, the space comes back.
   */
  @Test
  void aChannelLeftUnclosedGivesADeletedFilesSpaceBackOnceUnreachable(@TempDir Path own)
      throws Exception {
    FixtureImages.build(own);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-leak"),
        Map.of("store", own, "image", FixtureImages.TAG))) {
      byte[] big = new byte[8 << 20];
      new java.util.Random(3).nextBytes(big);
      Path file = fs.getPath("/leaked");
      Files.write(file, big);
      long withFile = bytesIn(own);
      openAndDrop(file);
      Files.delete(file);
      assertTrue(bytesIn(own) > withFile - (1 << 20), "held while the channel may be in use");
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (bytesIn(own) > withFile - (4 << 20) && System.nanoTime() < deadline) {
        System.gc();
        Thread.sleep(20);
      }
      assertTrue(bytesIn(own) <= withFile - (4 << 20), "given back once it is unreachable");
    }
  }

  /**
   * A channel left unclosed with a lock held gives the lock up once it is unreachable, as the
   * JDK's does, in the container's own layer (whose files lock through one data channel that
   * outlives the handle) and in a tmpfs mount (whose locks layerfs holds itself).
   */
  @Test
  void aChannelLeftUnclosedReleasesItsLocksOnceUnreachable(@TempDir Path own) throws Exception {
    FixtureImages.build(own);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://life-leak-lock"),
        Map.of("store", own, "image", FixtureImages.TAG,
            "mounts", List.of("type=tmpfs,target=/t")))) {
      for (String name : new String[] {"/locked", "/t/locked"}) {
        Path file = fs.getPath(name);
        Files.write(file, new byte[10]);
        lockAndDrop(file);
        try (FileChannel ch = FileChannel.open(file,
            StandardOpenOption.WRITE)) {
          assertThrows(OverlappingFileLockException.class, ch::tryLock,
              name + " held while the channel may be in use");
          FileLock lock = null;
          long deadline = System.nanoTime() + 30_000_000_000L;
          while (lock == null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
            try {
              lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
              // still held
            }
          }
          assertNotNull(lock, name + " released once the channel is unreachable");
        }
      }
    }
  }

  /** Locks {@code file} through a channel left open, unreferenced. */
  private static void lockAndDrop(Path file) throws IOException {
    FileChannel leaked = FileChannel.open(file,
        StandardOpenOption.WRITE);
    assertNotNull(leaked.lock());
  }

  /** Opens {@code file}, reads a byte and leaves the channel open, unreferenced. */
  private static void openAndDrop(Path file) throws IOException {
    FileChannel leaked = FileChannel.open(file);
    assertEquals(1, leaked.read(java.nio.ByteBuffer.allocate(1)));
  }

  /** The bytes of every file under {@code dir}. */
  private static long bytesIn(Path dir) throws IOException {
    try (var walk = Files.walk(dir)) {
      long sum = 0;
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        sum += Files.size(p);
      }
      return sum;
    }
  }
}
