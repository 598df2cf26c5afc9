package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images read lazily from a loopback server that serves blobs by range, as a registry does: an
 * eStargz image lists and stats from its TOC, reads a file with one request, and shows what the
 * image shows read from the store; damaged chunks are refused; completing makes it local. A
 * plain gzip layer reads a file by inflating only as far as it.
 */
class LazyReadTest {
  @TempDir Path tmp;

  static final byte[] BIG = new byte[9 << 20]; // three 4 MiB chunks

  static {
    Random r = new Random(3);
    for (int i = 0; i < BIG.length; i += 4096) {
      byte[] page = new byte[64];
      r.nextBytes(page);
      for (int j = 0; j < 4096 && i + j < BIG.length; j++) {
        BIG[i + j] = page[j % 64]; // compressible, but not to nothing
      }
    }
  }

  private Path remote() throws IOException {
    return remote(tmp.resolve("remote"));
  }

  /** The test image "app" in {@code remote}, and its eStargz form "app-esgz". */
  static Path remote(Path remote) throws IOException {
    ImageBuilder.create(remote)
        .add(ImageBuilder.Entry.dir("etc"))
        .add(ImageBuilder.Entry.file("etc/hosts", bytes("127.0.0.1 localhost\n"))
            .mtime(Instant.ofEpochSecond(1_600_000_000)).owner(0, 0))
        .add(ImageBuilder.Entry.file("etc/motd", bytes("hello\n")).mode(0600))
        .add(ImageBuilder.Entry.symlink("etc/os-release", "../usr/lib/os-release"))
        .add(ImageBuilder.Entry.dir("usr/lib"))
        .add(ImageBuilder.Entry.file("usr/lib/os-release", bytes("ID=test\n")))
        .add(ImageBuilder.Entry.file("usr/lib/big", BIG))
        .add(ImageBuilder.Entry.hardlink("usr/lib/big-link", "usr/lib/big"))
        .add(ImageBuilder.Entry.file("usr/lib/x", bytes("xattr")).xattr("user.k", "v"))
        .layer()
        .add(ImageBuilder.Entry.whiteout("etc/motd"))
        .add(ImageBuilder.Entry.file("etc/added", bytes("second layer\n")).owner(10, 20))
        .build("app");
    try (Store store = Store.open(remote)) {
      store.convertToEStargz("app", "app-esgz", Progress.NONE);
    }
    return remote;
  }

  /** The manifest and config of {@code tag} copied into a new store, tagged there. */
  static Store storeWithMetadataOf(Path remote, String tag, Path local)
      throws IOException {
    ContentStore from = ContentStore.open(remote);
    Image image;
    try (Store r = Store.open(remote)) {
      image = r.image(tag);
    }
    ContentStore to = ContentStore.open(local);
    to.write(from.readJson(image.configDigest()));
    to.write(from.readJson(image.manifestDigest()));
    to.tag(tag, image.manifestDigest());
    return Store.open(local);
  }

  @Test
  void anEStargzImageReadLazilyShowsWhatTheImageShows() throws IOException {
    Path remote = remote();
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "app-esgz", tmp.resolve("local"));
        Store original = Store.open(remote)) {
      lazy.attachLazy("app-esgz", l -> server.blob(l.digest(), l.size()));
      long afterToc = server.bytesServed();
      long imageBytes = 0;
      for (Layer l : lazy.image("app-esgz").layers()) {
        imageBytes += l.size();
      }
      try (FileTree view = lazy.view("app-esgz"); FileTree expected = original.view("app")) {
        List<String> paths = walk(expected);
        // lazy metadata: listing and stat of every path need the TOC only
        for (String p : paths) {
          sameMetadata(expected.lookup(p, false), view.lookup(p, false), p);
          if (expected.lookup(p, false).isDirectory()) {
            assertEquals(expected.list(p), view.list(p), p);
          }
        }
        assertEquals(afterToc, server.bytesServed(), "stat and list fetched file data");
        assertTrue(afterToc < imageBytes / 10, afterToc + " of " + imageBytes);
        // one small file: one range request of about its own size
        server.reset();
        assertArrayEquals(bytes("ID=test\n"), read(view, "/etc/os-release"));
        assertEquals(1, server.requests());
        assertTrue(server.bytesServed() < 1024, server.bytesServed() + " bytes");
        for (String p : paths) {
          if (expected.lookup(p, false).isRegularFile()) {
            assertArrayEquals(read(expected, p), read(view, p), p);
          }
        }
        assertNull(view.find("/etc/motd", false), "the whiteout hides it");
        assertNull(view.find("/stargz.index.json", false), "hidden, as the snapshotter does");
      }
      // a container opens on the lazy image too, and writes copy up from it
      try (Container c = lazy.container("web", "app-esgz", false)) {
        c.setMode("/usr/lib/os-release", true, 0640);
        assertArrayEquals(bytes("ID=test\n"), read(c, "/usr/lib/os-release"));
      }
    }
  }

  /**
   * A file of a layer read lazily maps, in an image view and in a container: the mapping holds
   * the range's bytes, verified, and only the chunks the range needs are fetched.
   */
  @Test
  void aLazyFileMapsWhatItsRangeNeeds() throws IOException {
    Path remote = remote();
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "app-esgz", tmp.resolve("local"))) {
      lazy.attachLazy("app-esgz", l -> server.blob(l.digest(), l.size()));
      server.reset();
      long from = 5 << 20;
      int length = 1 << 20;
      try (FileTree view = lazy.view("app-esgz");
          FileHandle h = view.open("/usr/lib/big", Set.of(), 0)) {
        MappedByteBuffer m = h.map(FileChannel.MapMode.READ_ONLY, from, length);
        assertEquals(length, m.capacity());
        byte[] got = new byte[length];
        m.get(got);
        assertArrayEquals(java.util.Arrays.copyOfRange(BIG, (int) from, (int) from + length),
            got);
      }
      assertTrue(server.bytesServed() < BIG.length / 2,
          "one 4 MiB chunk of three: " + server.bytesServed());
      try (Container c = lazy.container("web", "app-esgz", false);
          FileHandle h = c.open("/etc/hosts", Set.of(), 0)) {
        MappedByteBuffer m = h.map(FileChannel.MapMode.READ_ONLY, 0, h.size());
        byte[] got = new byte[m.remaining()];
        m.get(got);
        assertArrayEquals(bytes("127.0.0.1 localhost\n"), got);
      }
    }
  }

  @Test
  void aTamperedChunkIsRefusedAndListingsStillWork() throws IOException {
    Path remote = remote();
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "app-esgz", tmp.resolve("local"))) {
      lazy.attachLazy("app-esgz", l -> server.blob(l.digest(), l.size()));
      server.tamper(b -> {
        byte[] c = b.clone();
        c[c.length / 2] ^= 0x01;
        return c;
      });
      try (FileTree view = lazy.view("app-esgz")) {
        assertEquals(List.of("added", "hosts", "os-release"), view.list("/etc"));
        IOException e = assertThrows(IOException.class, () -> read(view, "/usr/lib/big"));
        assertTrue(e.getMessage().contains("usr/lib/big"), e.getMessage());
        try (FileHandle h = view.open("/usr/lib/big", Set.of(), 0)) {
          IOException mapped = assertThrows(IOException.class,
              () -> h.map(FileChannel.MapMode.READ_ONLY, 0, h.size()));
          assertTrue(mapped.getMessage().contains("usr/lib/big"), mapped.getMessage());
        }
      }
    }
  }

  @Test
  void aTocThatDoesNotMatchTheManifestIsRefused() throws IOException {
    Path remote = remote();
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "app-esgz", tmp.resolve("local"))) {
      server.tamper(b -> b.length > 60 ? flipLast(b) : b); // all but the footer
      IOException e = assertThrows(IOException.class,
          () -> lazy.attachLazy("app-esgz", l -> server.blob(l.digest(), l.size())));
      assertTrue(e.getMessage().contains("TOC"), e.getMessage());
    }
  }

  @Test
  void completingMakesTheImageLocalAndViewsKeepReading() throws IOException {
    Path remote = remote();
    Path local = tmp.resolve("local");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "app-esgz", local)) {
      lazy.attachLazy("app-esgz", l -> server.blob(l.digest(), l.size()));
      try (FileTree view = lazy.view("app-esgz")) {
        read(view, "/etc/hosts");
        lazy.completeLazy("app-esgz");
        for (Layer l : lazy.image("app-esgz").layers()) {
          assertTrue(Files.isRegularFile(local.resolve("blobs/sha256/" + l.digest().hex())));
          assertFalse(Files.exists(LazyLayers.dir(ContentStore.open(local), l.digest())
              .resolve(PartialBlob.DATA)));
        }
        assertArrayEquals(BIG, read(view, "/usr/lib/big"));
      }
    }
    try (Store reopened = Store.open(local); FileTree view = reopened.view("app-esgz")) {
      assertArrayEquals(BIG, read(view, "/usr/lib/big-link"));
      assertTrue(reopened.fsck(false, Progress.NONE).problems().isEmpty());
    }
  }

  @Test
  void gcAndFsckKnowTheLazyState() throws IOException {
    Path remote = remote();
    Path local = tmp.resolve("local");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "app-esgz", local)) {
      List<Layer> attached =
          lazy.attachLazy("app-esgz", l -> server.blob(l.digest(), l.size()));
      assertEquals(2, attached.size());
      try (FileTree view = lazy.view("app-esgz")) {
        read(view, "/etc/hosts");
      }
      assertEquals(List.of(), lazy.fsck(false, Progress.NONE).problems(),
          "a partial layer is not a missing blob");
      Path state = LazyLayers.dir(ContentStore.open(local), attached.get(0).digest());
      assertEquals(List.of(), lazy.gc(false).removed(io.layerfs.core.GcReport.Kind.LAZY_STATE),
          "the tagged image keeps its lazy state");
      assertTrue(Files.isDirectory(state));
      lazy.untag("app-esgz");
      var removed = lazy.gc(false).removed(io.layerfs.core.GcReport.Kind.LAZY_STATE);
      assertEquals(2, removed.size());
      for (var item : removed) {
        // the sparse partial blob counts as the ranges it held: the footer, TOC and one file,
        // far below its apparent size (a layer holds a 9 MiB file)
        assertTrue(item.bytes() > 0 && item.bytes() < (64 << 10), item.toString());
      }
      assertFalse(Files.exists(state));
    }
  }

  @Test
  void aPlainGzipLayerReadsAFileInflatingOnlyAsFarAsIt() throws IOException {
    Path remote = tmp.resolve("remote");
    List<ImageBuilder.Entry> entries = new ArrayList<>();
    entries.add(ImageBuilder.Entry.file("etc/os-release-target", bytes("ID=early\n")));
    entries.add(ImageBuilder.Entry.symlink("etc/os-release", "os-release-target"));
    Random r = new Random(5);
    for (int i = 0; i < 40; i++) {
      byte[] noise = new byte[256 << 10];
      r.nextBytes(noise);
      entries.add(ImageBuilder.Entry.file("usr/share/f" + i, noise));
    }
    ImageBuilder b = ImageBuilder.create(remote);
    entries.forEach(b::add);
    b.build("plain");
    try (RangeServer server = new RangeServer(remote);
        Store local = storeWithMetadataOf(remote, "plain", tmp.resolve("local"))) {
      Layer layer = local.image("plain").layers().get(0);
      local.attachLazy("plain", l -> server.blob(l.digest(), l.size()));
      assertArrayEquals(bytes("ID=early\n"), local.readLazily("plain", "/etc/os-release"));
      assertNull(local.readLazily("plain", "/nothing"));
      server.reset();
      try (LazyLayers lazy = new LazyLayers(ContentStore.open(tmp.resolve("other")))) {
        LazyLayer l = lazy.attach(layer, server.blob(layer.digest(), layer.size()), null);
        LazyLayer.Lookup link = l.lookup("/etc/os-release");
        assertEquals("/etc/os-release-target", link.linkTarget());
        assertArrayEquals(bytes("ID=early\n"), l.lookup(link.linkTarget()).data());
        assertTrue(server.bytesServed() <= LazyGzip.FIRST_BLOCK, server.bytesServed() + " bytes");
        assertNull(l.lookup("/missing"), "read to the end: not there");
        assertEquals(layer.size(), server.bytesServed(), "the whole blob, once");
        assertArrayEquals(bytes("ID=early\n"), l.lookup("/etc/os-release-target").data());
        assertEquals(layer.size(), server.bytesServed(), "nothing fetched again");
      }
    }
  }

  /**
   * Held bytes of a plain gzip layer damaged on disk in a closed store: the next read gets the
   * file's bytes (the damaged piece fetched again), fsck reports the damage naming the layer and
   * the bytes, a repair drops it, and then fsck finds nothing. A ranges list that is not one is
   * reported too.
   */
  @Test
  void heldBytesDamagedOnDiskAreReadRightAndFsckReportsAndRepairsThem() throws IOException {
    Path remote = tmp.resolve("remote");
    Random r = new Random(7);
    ImageBuilder b = ImageBuilder.create(remote);
    List<byte[]> files = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      byte[] noise = new byte[256 << 10];
      r.nextBytes(noise);
      files.add(noise);
      b.add(ImageBuilder.Entry.file("usr/f" + i, noise));
    }
    b.build("plain");
    Path local = tmp.resolve("local");
    Layer layer;
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "plain", local)) {
      layer = lazy.image("plain").layers().get(0);
      lazy.attachLazy("plain", l -> server.blob(l.digest(), l.size()));
      assertArrayEquals(files.get(6), lazy.readLazily("plain", "/usr/f6"));
      assertTrue(lazy.fsck(false, Progress.NONE).ok());
    }
    Path held = LazyLayers.dir(ContentStore.open(local), layer.digest());
    Path part = held.resolve(PartialBlob.DATA);
    byte[] bytes = Files.readAllBytes(part);
    int at = 3 * PartialBlob.PIECE + 100; // in the member, well before the file read
    bytes[at] ^= 0x08;
    Files.write(part, bytes);
    try (RangeServer server = new RangeServer(remote); Store lazy = Store.open(local)) {
      lazy.attachLazy("plain", l -> server.blob(l.digest(), l.size()));
      var report = lazy.fsck(false, Progress.NONE);
      assertEquals(1, report.problems().size(), report.problems().toString());
      var problem = report.problems().get(0);
      assertEquals(io.layerfs.core.FsckReport.Kind.DAMAGED_LAZY_LAYER, problem.kind());
      assertEquals(layer.digest().toString(), problem.object());
      String piece = 3 * PartialBlob.PIECE + "-" + 4 * PartialBlob.PIECE;
      assertTrue(problem.message().contains(piece) && problem.message().contains(part.toString()),
          problem.message());

      assertArrayEquals(files.get(5), lazy.readLazily("plain", "/usr/f5"), "read right");
      // the damaged piece is fetched again, not the blob; the reader's readahead, racing with
      // the check, may bring a block or two more (seen under load: 3 pieces' worth)
      long fetched = lazy.lazyFetchedBytes();
      assertTrue(fetched >= PartialBlob.PIECE && fetched < layer.size() / 2,
          "fetched " + fetched + " of " + layer.size());
    }
    bytes = Files.readAllBytes(part);
    bytes[at] ^= 0x01; // the read fetched it again: damaged anew, repaired by fsck this time
    Files.write(part, bytes);
    try (Store store = Store.open(local)) {
      var repaired = store.fsck(true, Progress.NONE);
      assertTrue(repaired.ok() && repaired.problems().size() == 1
          && repaired.problems().get(0).repaired(), repaired.problems().toString());
      assertTrue(store.fsck(false, Progress.NONE).ok(), "nothing left after the repair");
      Files.writeString(held.resolve(PartialBlob.RANGES), "not a list\n");
      var torn = store.fsck(false, Progress.NONE);
      assertEquals(1, torn.problems().size(), torn.problems().toString());
      assertTrue(torn.problems().get(0).message().contains(
          held.resolve(PartialBlob.RANGES).toString()), torn.problems().toString());
    }
  }

  /**
   * Two threads read different files at once, as two processes of a container would: in a plain
   * gzip layer (one deep, whose read prefetches blocks ahead, and one early) and in an eStargz
   * image (a large file's chunks and a small file, fetched in parallel). Each gets its file's
   * bytes, and the server sends no byte of the blob twice.
   */
  @Test
  void twoThreadsReadingDifferentFilesGetTheirBytes() throws Exception {
    Path remote = tmp.resolve("remote");
    Random r = new Random(9);
    ImageBuilder b = ImageBuilder.create(remote)
        .add(ImageBuilder.Entry.file("etc/early", bytes("early\n")));
    List<byte[]> files = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      byte[] noise = new byte[256 << 10];
      r.nextBytes(noise);
      files.add(noise);
      b.add(ImageBuilder.Entry.file("usr/f" + i, noise));
    }
    b.build("plain");
    LazyReadTest.remote(tmp.resolve("esgz"));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (RangeServer server = new RangeServer(remote);
        RangeServer esgzServer = new RangeServer(tmp.resolve("esgz"))) {
      server.delay(2); // fetches overlap the other thread's work
      for (int round = 0; round < 3; round++) {
        server.reset();
        try (Store lazy = storeWithMetadataOf(remote, "plain", tmp.resolve("plain" + round))) {
          Layer layer = lazy.image("plain").layers().get(0);
          lazy.attachLazy("plain", l -> server.blob(l.digest(), l.size()));
          String deep = "/usr/f" + (20 - round);
          String early = round == 2 ? "/usr/f1" : "/etc/early";
          Future<byte[]> a = pool.submit(() -> lazy.readLazily("plain", deep));
          Future<byte[]> c = pool.submit(() -> lazy.readLazily("plain", early));
          assertArrayEquals(files.get(20 - round), a.get(), deep);
          assertArrayEquals(round == 2 ? files.get(1) : bytes("early\n"), c.get(), early);
          assertTrue(lazy.lazyFetchedBytes() <= layer.size());
          assertEquals(lazy.lazyFetchedBytes(), server.bytesServed(), "a byte sent twice");
        }
        esgzServer.reset();
        try (Store lazy = storeWithMetadataOf(tmp.resolve("esgz"), "app-esgz",
            tmp.resolve("esgz" + round))) {
          lazy.attachLazy("app-esgz", l -> esgzServer.blob(l.digest(), l.size()));
          try (FileTree view = lazy.view("app-esgz")) {
            Future<byte[]> big = pool.submit(() -> read(view, "/usr/lib/big"));
            Future<byte[]> hosts = pool.submit(() -> read(view, "/etc/hosts"));
            assertArrayEquals(BIG, big.get());
            assertArrayEquals(bytes("127.0.0.1 localhost\n"), hosts.get());
          }
          assertEquals(lazy.lazyFetchedBytes(), esgzServer.bytesServed(), "a byte sent twice");
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void completingAPlainGzipLayerReadByPathKeepsItsInflatedPrefix() throws IOException {
    Path remote = tmp.resolve("remote");
    Random r = new Random(7);
    ImageBuilder b = ImageBuilder.create(remote)
        .add(ImageBuilder.Entry.file("etc/first", bytes("first\n")));
    for (int i = 0; i < 8; i++) {
      byte[] noise = new byte[128 << 10];
      r.nextBytes(noise);
      b.add(ImageBuilder.Entry.file("usr/f" + i, noise));
    }
    b.build("plain");
    Path local = tmp.resolve("local");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, "plain", local);
        Store original = Store.open(remote)) {
      Layer layer = lazy.image("plain").layers().get(0);
      lazy.attachLazy("plain", l -> server.blob(l.digest(), l.size()));
      assertArrayEquals(bytes("first\n"), lazy.readLazily("plain", "/etc/first"));
      lazy.completeLazy("plain");
      assertTrue(Files.isRegularFile(local.resolve("blobs/sha256/" + layer.diffId().hex())),
          "the inflated tar was not kept as the layer's uncompressed blob");
      assertEquals(layer.diffId(), Digest.sha256(
          Files.readAllBytes(local.resolve("blobs/sha256/" + layer.diffId().hex()))));
      try (FileTree view = lazy.view("plain"); FileTree expected = original.view("plain")) {
        for (String p : walk(expected)) {
          if (expected.lookup(p, false).isRegularFile()) {
            assertArrayEquals(read(expected, p), read(view, p), p);
          }
        }
      }
      assertEquals(List.of(), lazy.fsck(false, Progress.NONE).problems());
    }
  }

  // --- helpers

  private static byte[] flipLast(byte[] b) {
    byte[] c = b.clone();
    c[c.length - 20] ^= 0x01;
    return c;
  }

  static List<String> walk(FileTree tree) throws IOException {
    List<String> out = new ArrayList<>();
    List<String> todo = new ArrayList<>(List.of("/"));
    while (!todo.isEmpty()) {
      String p = todo.remove(todo.size() - 1);
      out.add(p);
      if (tree.lookup(p, false).isDirectory()) {
        for (String name : tree.list(p)) {
          todo.add(p.equals("/") ? "/" + name : p + "/" + name);
        }
      }
    }
    return out;
  }

  private static void sameMetadata(Node a, Node b, String p) {
    assertEquals(a.type(), b.type(), p);
    assertEquals(a.mode(), b.mode(), p);
    assertEquals(a.uid(), b.uid(), p);
    assertEquals(a.gid(), b.gid(), p);
    assertEquals(a.size(), b.size(), p);
    if (!p.equals("/")) {
      assertEquals(a.mtimeNanos() / 1_000_000_000L, b.mtimeNanos() / 1_000_000_000L, p);
    }
  }

  static byte[] read(FileTree tree, String path) throws IOException {
    try (FileHandle h = tree.open(path, Set.of(), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining()) {
        if (h.read(b, b.position()) < 0) {
          break;
        }
      }
      return b.array();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @SuppressWarnings("unused")
  private static Digest digest(byte[] b) {
    return Digest.sha256(b);
  }
}
