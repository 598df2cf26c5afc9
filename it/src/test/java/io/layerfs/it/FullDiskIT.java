package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.estargz.FileRangedBlob;
import io.layerfs.core.lazy.LazyLayers;
import io.layerfs.core.registry.ImagePull;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.CheckIndex;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.NoMergePolicy;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container on a small real tmpfs that fills up: every operation that finds no space (for its
 * data, or for its metadata log to grow) throws an {@code IOException} and changes nothing, in
 * memory or on disk, also after a close and reopen; once space is freed the same operation
 * succeeds and survives a reopen. Needs root (to mount the tmpfs); fails, never skips, without.
 */
final class FullDiskIT {
  private static final int IMAGE_FILE = 300_000;

  @TempDir Path work;

  /** One operation of the suite, and whether the log (rather than the data) must be full. */
  private enum Step {
    MKDIR(true),
    CREATE(true),
    WRITE_NEW_FILE(false),
    WRITE_IMAGE_FILE(false),
    WRITE_IMAGE_FILE_LOG_FULL(true),
    TRUNCATE(true),
    RENAME(true);

    final boolean logFull;

    Step(boolean logFull) {
      this.logFull = logFull;
    }
  }

  @Test
  void everyOperationOnAFullDiskFailsWholeAndSucceedsOnceThereIsSpace() throws Exception {
    Path disk = mountedDisk();
    try {
      run(disk);
    } finally {
      unmount(disk);
    }
  }

  /**
   * A lazy eStargz read that finds no space to keep the bytes it fetched fails with an
   * IOException naming the blob and the file; nothing is taken as held, and once space is
   * freed the same read returns the image's bytes and the image completes, verified.
   */
  @Test
  void aLazyReadOnAFullDiskFailsNamingItsFileAndSucceedsOnceThereIsSpace() throws Exception {
    Path remote = work.resolve("remote");
    byte[] data = new byte[4 << 20];
    new Random(9).nextBytes(data);
    ImageBuilder.create(remote).layer().file("/etc/hosts", "127.0.0.1 localhost\n")
        .file("/data", data).build("base");
    Image image;
    try (Store r = Store.open(remote)) {
      image = r.convertToEStargz("base", "esgz", Progress.NONE);
    }
    Path disk = mountedDisk();
    try {
      ContentStore from = ContentStore.open(remote);
      ContentStore to = ContentStore.open(disk.resolve("store"));
      to.write(from.readJson(image.configDigest()));
      to.write(from.readJson(image.manifestDigest()));
      to.tag("esgz", image.manifestDigest());
      try (Store lazy = Store.open(disk.resolve("store"))) {
        lazy.attachLazy("esgz", l -> new FileRangedBlob(from.blobPath(l.digest()), l.digest()));
        try (FileTree view = lazy.view("esgz")) {
          Path filler = disk.resolve("filler");
          fill(filler);
          IOException e = assertThrows(IOException.class, () -> readTree(view, "/data"));
          assertTrue(messages(e).contains("No space left on device")
              && messages(e).contains("blob.part"), messages(e));
          Files.delete(filler);
          assertArrayEquals(data, readTree(view, "/data"), "the same read with space");
        }
        lazy.completeLazy("esgz");
        try (FileTree view = lazy.view("esgz")) {
          assertArrayEquals(data, readTree(view, "/data"));
        }
        assertEquals(List.of(), lazy.fsck(false, Progress.NONE).problems());
      }
    } finally {
      unmount(disk);
    }
  }

  /**
   * An image import (the path a pull's blobs take too: a blob writer into the store) on a full
   * disk fails with an IOException naming the file it could not write, leaves no tag and no temp
   * file, and succeeds once space is freed.
   */
  @Test
  void anImportOnAFullDiskFailsNamingItsFileAndSucceedsOnceThereIsSpace() throws Exception {
    Path source = work.resolve("source");
    byte[] data = new byte[4 << 20];
    new Random(10).nextBytes(data);
    ImageBuilder.create(source).layer().file("/data", data).build("base");
    Path disk = mountedDisk();
    try (Store s = Store.open(disk.resolve("store"))) {
      Path filler = disk.resolve("filler");
      fill(filler);
      IOException e = assertThrows(IOException.class,
          () -> s.importImage("oci:" + source + ":base", "base", Progress.NONE));
      assertTrue(messages(e).contains("No space left on device")
          && messages(e).contains("a blob being stored"), messages(e));
      assertEquals(List.of(), s.tags());
      Files.delete(filler);
      try (var temps = Files.walk(disk.resolve("store"))) {
        assertEquals(List.of(), temps.filter(p -> p.toString().endsWith(".tmp")).toList());
      }
      s.importImage("oci:" + source + ":base", "base", Progress.NONE);
      try (FileTree view = s.view("base")) {
        assertArrayEquals(data, readTree(view, "/data"));
      }
      assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
    } finally {
      unmount(disk);
    }
  }

  /**
   * A pull onto a full disk fails with the disk's error, tags nothing and leaves no temporary
   * file; what it had verified and stored before the disk filled stays (a blob is published
   * whole or not at all), fsck finds nothing wrong, and once space is freed the same pull
   * completes, fetching only what was missing, and the image reads back whole.
   */
  @Test
  void aPullOntoAFullDiskFailsLeavingNoPartAndCompletesOnceThereIsSpace() throws Exception {
    Path source = work.resolve("pull-source");
    byte[] small = new byte[64 << 10];
    byte[] big = new byte[6 << 20];
    new Random(11).nextBytes(small);
    new Random(12).nextBytes(big);
    ImageBuilder.create(source).layer().file("/small", small).layer().file("/big", big)
        .build("two");
    String reference = TestRegistry.address() + "/fulldisk-" + System.nanoTime() + ":two";
    Tools.run("skopeo", "copy", "-q", "--dest-tls-verify=false", "oci:" + source + ":two",
        "docker://" + reference);
    RegistryOptions http = RegistryOptions.defaults().withTlsVerify(false);
    Path disk = work.resolve("pull-disk");
    Files.createDirectories(disk);
    mount(disk);
    try (Store s = Store.open(disk.resolve("store"))) {
      Path filler = disk.resolve("filler");
      fill(filler);
      // room for the small layer, the manifest and the config, not for the big layer
      shrink(filler, 1 << 20);
      IOException e = assertThrows(IOException.class,
          () -> s.pull(reference, http, Platform.DEFAULT, Progress.NONE));
      assertTrue(messages(e).contains("No space left on device"), messages(e));
      assertEquals(List.of(), s.tags());
      assertEquals(List.of(), temporaryFiles(disk.resolve("store")));
      assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      Files.delete(filler);
      ImagePull.Result pulled = s.pull(reference, http, Platform.DEFAULT, Progress.NONE);
      assertTrue(pulled.layersFetched() >= 1 && pulled.layersFetched() <= 2, pulled.toString());
      try (FileTree view = s.view(pulled.tag())) {
        assertArrayEquals(small, readTree(view, "/small"));
        assertArrayEquals(big, readTree(view, "/big"));
      }
      assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
    } finally {
      unmount(disk);
    }
  }

  /**
   * An import of a compressed archive on a full disk: decompressing it to the store's temp
   * folder (what import FILE and import - do first) and unpacking it (docker-archive:FILE) fail
   * with the disk's error naming the file in the store, leave no temp file, unpacked part or
   * blob, tag nothing, and succeed once space is freed.
   */
  @Test
  void aCompressedImportOnAFullDiskNamesTheStoreAndSucceedsOnceThereIsSpace()
      throws Exception {
    Path source = work.resolve("compressed-source");
    byte[] data = new byte[4 << 20];
    new Random(13).nextBytes(data);
    ImageBuilder.create(source).layer().file("/data", data).build("base");
    Path plain = work.resolve("saved.tar");
    try (Store from = Store.open(source)) {
      from.exportImage("base", "docker-archive:" + plain + ":example/base:1", Progress.NONE);
    }
    Path packed = work.resolve("saved.tar.gz");
    try (InputStream in = Files.newInputStream(plain);
        OutputStream out = new GZIPOutputStream(Files.newOutputStream(packed))) {
      in.transferTo(out);
    }
    Path disk = work.resolve("compressed-disk");
    Files.createDirectories(disk);
    mount(disk);
    Path storeDir = disk.resolve("store");
    try (Store s = Store.open(storeDir)) {
      Path filler = disk.resolve("filler");
      fill(filler);
      IOException spooled = assertThrows(IOException.class, () -> spool(s, packed));
      assertTrue(spooled.getMessage().contains("No space left on device")
          && spooled.getMessage().contains(storeDir.toString()), messages(spooled));
      IOException unpacked = assertThrows(IOException.class,
          () -> s.importImage("docker-archive:" + packed, "copy:1", Progress.NONE));
      assertTrue(unpacked.getMessage().contains("No space left on device")
          && unpacked.getMessage().contains(storeDir.toString()), messages(unpacked));
      assertEquals(List.of(), s.tags());
      assertEquals(List.of(), leftOver(storeDir));
      Files.delete(filler);
      Path copy = spool(s, packed);
      assertEquals(List.of("example/base:1"), s.importArchive(copy, "saved", Progress.NONE));
      Files.delete(copy);
      s.importImage("docker-archive:" + packed, "copy:1", Progress.NONE);
      try (FileTree view = s.view("copy:1")) {
        assertArrayEquals(data, readTree(view, "/data"));
      }
      assertEquals(List.of(), leftOver(storeDir));
      assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
    } finally {
      unmount(disk);
    }
  }

  private static Path spool(Store s, Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return s.spoolDecompressed(in, file.toString());
    }
  }

  /** Temp files, spooled inputs and unpacked archives of a store, and blobs being written. */
  private static List<Path> leftOver(Path store) throws IOException {
    List<Path> left = new ArrayList<>(temporaryFiles(store));
    try (var all = Files.walk(store.resolve("layerfs"))) {
      all.filter(p -> p.getParent().endsWith("tmp") || p.getFileName().toString()
          .startsWith("unpack-")).forEach(left::add);
    }
    return left;
  }

  /** Frees {@code bytes} at the end of a filler file. */
  private static void shrink(Path filler, long bytes) throws IOException {
    try (FileChannel f = FileChannel.open(filler, StandardOpenOption.WRITE)) {
      f.truncate(Math.max(0, f.size() - bytes));
    }
  }

  private static List<Path> temporaryFiles(Path store) throws IOException {
    try (var all = Files.walk(store)) {
      return all.filter(p -> p.getFileName().toString().endsWith(".tmp")
          || p.getFileName().toString().startsWith(".tmp")).toList();
    }
  }

  /**
   * A lazy completion whose final commit finds no space (every byte of a small layer held
   * already, so the commit's last write is the first to reach the disk) fails with the disk's
   * error naming the blob, not as a digest mismatch; the held bytes stay, and once space is
   * freed the completion stores them without fetching a byte.
   */
  @Test
  void aLazyCompletionOnAFullDiskIsTheDisksErrorAndKeepsTheHeldBytes() throws Exception {
    Path remote = work.resolve("remote");
    byte[] data = new byte[20_000];
    new Random(11).nextBytes(data);
    ImageBuilder.create(remote).layer().file("/data", data).build("base");
    Image image;
    try (Store r = Store.open(remote)) {
      image = r.convertToEStargz("base", "esgz", Progress.NONE);
    }
    Layer layer = image.layers().get(0);
    assertTrue(layer.size() < 60_000, "within the blob writer's buffer: " + layer.size());
    Path disk = mountedDisk();
    try {
      ContentStore from = ContentStore.open(remote);
      ContentStore to = ContentStore.open(disk.resolve("store"));
      to.write(from.readJson(image.configDigest()));
      to.write(from.readJson(image.manifestDigest()));
      to.tag("esgz", image.manifestDigest());
      Path held = LazyLayers.dir(to, layer.digest());
      Files.createDirectories(held);
      Files.copy(from.blobPath(layer.digest()), held.resolve("blob.part"));
      Files.writeString(held.resolve("ranges"), "0 " + layer.size() + "\n");
      try (Store lazy = Store.open(disk.resolve("store"))) {
        lazy.attachLazy("esgz", l -> new FileRangedBlob(from.blobPath(l.digest()), l.digest()));
        Path filler = disk.resolve("filler");
        fill(filler);
        IOException e = assertThrows(IOException.class, () -> lazy.completeLazy("esgz"));
        assertTrue(messages(e).contains("No space left on device")
            && messages(e).contains(layer.digest().toString())
            && !messages(e).contains("verify"), messages(e));
        assertEquals(0, lazy.lazyFetchedBytes(), "nothing fetched");
        Files.delete(filler);
        lazy.completeLazy("esgz");
        assertEquals(0, lazy.lazyFetchedBytes(), "the held bytes stored");
        try (FileTree view = lazy.view("esgz")) {
          assertArrayEquals(data, readTree(view, "/data"));
        }
        assertEquals(List.of(), lazy.fsck(false, Progress.NONE).problems());
      }
    } finally {
      unmount(disk);
    }
  }

  /**
   * A tag on a full disk (index.json is rewritten whole, through a temp file) fails naming
   * index.json, leaves it as it was and no temp file, and succeeds once there is space.
   */
  @Test
  void aTagOnAFullDiskNamesTheIndexAndSucceedsOnceThereIsSpace() throws Exception {
    Path disk = mountedDisk();
    try {
      Path store = disk.resolve("store");
      ImageBuilder.create(store).layer().file("/etc/hosts", "127.0.0.1\n").build("base");
      try (Store s = Store.open(store)) {
        byte[] index = Files.readAllBytes(store.resolve("index.json"));
        Path filler = disk.resolve("filler");
        fill(filler);
        IOException e = assertThrows(IOException.class, () -> s.tag("base", "other"));
        assertEquals("cannot write " + store.resolve("index.json")
            + ": No space left on device (it is unchanged)", e.getMessage());
        assertArrayEquals(index, Files.readAllBytes(store.resolve("index.json")));
        assertEquals(List.of(), temps(store));
        Files.delete(filler);
        s.tag("base", "other");
        assertEquals(List.of("base", "other"), s.tags());
      }
    } finally {
      unmount(disk);
    }
  }

  /**
   * {@code layerfs cp} into a volume on a full disk, of a file or of a tar on standard input,
   * names the file it could not write, as cp(1) and tar(1) name it (the JDK's words for the
   * write name none), and ends with status 1; so does {@code export -o}, naming its output and
   * leaving none.
   */
  @Test
  void aCopyIntoAVolumeOnAFullDiskNamesTheFileItCouldNotWrite() throws Exception {
    Path disk = mountedDisk();
    try {
      Path store = disk.resolve("store");
      ImageBuilder.create(store).layer().file("/etc/hosts", "127.0.0.1\n").build("base");
      LayerfsCli.run(store, "create", "-v", "data:/v", "web", "base");
      Path big = Files.write(work.resolve("big"), new byte[1 << 20]);
      Path filler = disk.resolve("filler");
      fill(filler);
      LayerfsCli.Result r = LayerfsCli.runFailing(store, "cp", big.toString(), "web:/v/big");
      assertEquals(1, r.exit());
      assertEquals("layerfs: web: /v/big: No space left on device\n", r.stderr());
      Path tar = work.resolve("big.tar");
      try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
          Files.newOutputStream(tar))) {
        var entry = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("t/big");
        entry.setSize(1 << 20);
        out.putArchiveEntry(entry);
        out.write(new byte[1 << 20]);
        out.closeArchiveEntry();
      }
      LayerfsCli.Result extract = LayerfsCli.runFailingFrom(tar, store, "cp", "-", "web:/v");
      assertEquals(1, extract.exit());
      assertEquals("layerfs: web: /v/t/big: No space left on device\n", extract.stderr());
      LayerfsCli.Result export = LayerfsCli.runFailing(store, "export", "web", "-o",
          disk.resolve("web.tar").toString());
      assertEquals(1, export.exit());
      assertEquals("layerfs: " + disk.resolve("web.tar") + ": No space left on device\n",
          export.stderr());
      try (var left = Files.list(disk)) {
        assertEquals(List.of(filler, store), left.sorted().toList());
      }
      Files.delete(filler);
      LayerfsCli.run(store, "cp", big.toString(), "web:/v/big");
      assertEquals(1 << 20, Files.size(store.resolve("layerfs/volumes/data/_data/big")));
    } finally {
      unmount(disk);
    }
  }

  /**
   * A commit on a full disk fails with the disk's error, tags nothing, leaves no temp file and
   * changes nothing in the container; once space is freed the same commit succeeds.
   */
  @Test
  void aCommitOnAFullDiskFailsChangingNothingAndSucceedsOnceThereIsSpace() throws Exception {
    byte[] data = new byte[2 << 20];
    new Random(12).nextBytes(data);
    Path disk = mountedDisk();
    try {
      ImageBuilder.create(disk.resolve("store")).layer().file("/etc/hosts", "127.0.0.1\n")
          .build("base");
      try (Store s = Store.open(disk.resolve("store"));
          Container c = s.container("web", "base", false)) {
        write(c, "/new", data, 0, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        c.delete("/etc/hosts");
        List<String> before = describe(c);
        Path filler = disk.resolve("filler");
        fill(filler);
        IOException e = assertThrows(IOException.class,
            () -> c.commit("new", CommitOptions.defaults(), Progress.NONE));
        assertTrue(messages(e).contains("No space left on device"), messages(e));
        assertEquals(List.of("base"), s.tags());
        assertEquals(before, describe(c));
        Files.delete(filler);
        assertEquals(List.of(), temps(disk.resolve("store")));
        c.commit("new", CommitOptions.defaults(), Progress.NONE);
        try (FileTree view = s.view("new")) {
          assertArrayEquals(data, readTree(view, "/new"));
          assertEquals(null, view.find("/etc/hosts", false));
        }
        assertEquals(before, describe(c));
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    } finally {
      unmount(disk);
    }
  }

  /**
   * Lucene indexing into a container until the disk is full, the host's own tmpfs the control:
   * the write that finds no space fails with the disk's error, the writer rolls back, the last
   * commit opens whole (every document, {@code CheckIndex} clean) also after the container is
   * reopened, and once space is freed the index takes new commits.
   */
  @Test
  void luceneOnAFullDiskKeepsItsLastCommitAsOnTheHost() throws Exception {
    Path disk = mountedDisk();
    try {
      Path hostIndex = Files.createDirectories(disk.resolve("host-index"));
      LuceneRun host = luceneUntilFull(hostIndex, disk.resolve("host-spare"));
      DebianImage.deleteTree(hostIndex);
      ImageBuilder.create(disk.resolve("store")).layer().file("/etc/hosts", "127.0.0.1\n")
          .dir("/srv").build("base");
      Map<String, Object> env = Map.of("store", disk.resolve("store"), "image", "base");
      LuceneRun layerfs;
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://lucene-full"), env)) {
        layerfs = luceneUntilFull(fs.getPath("/srv/index"), disk.resolve("layerfs-spare"));
      }
      System.out.println("FullDiskIT: after the disk filled and space was freed, Lucene's index"
          + " holds " + host.documents() + " documents on the host, " + layerfs.documents()
          + " in a container");
      assertEquals(host.outcome(), layerfs.outcome());
      assertTrue(host.outcome().stream().allMatch(o -> o.endsWith(": true")), host.toString());
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://lucene-full"),
              Map.of("store", disk.resolve("store")));
          Directory d = FSDirectory.open(fs.getPath("/srv/index"));
          DirectoryReader r = DirectoryReader.open(d)) {
        assertEquals(layerfs.documents(), r.numDocs(), "after a reopen");
      }
    } finally {
      unmount(disk);
    }
  }

  /**
   * What {@link #luceneUntilFull} saw, in words that hold on any file system, and the documents
   * the index ended with (fewer in a container, which keeps its metadata on the same disk).
   */
  private record LuceneRun(List<String> outcome, int documents) {}

  /**
   * Indexes into {@code dir} (with a 2 MiB file at {@code spare} put aside first) until a write
   * finds the disk full, rolls back, frees the spare file and commits again.
   */
  private static LuceneRun luceneUntilFull(Path dir, Path spare) throws IOException {
    byte[] spareBytes = new byte[2 << 20];
    Files.write(spare, spareBytes);
    List<String> outcome = new ArrayList<>();
    Random random = new Random(21);
    int committed = 0;
    try (Directory d = FSDirectory.open(dir)) {
      // no merges: a merge's room would decide where the disk fills and what freeing gives back
      IndexWriter w = new IndexWriter(d, new IndexWriterConfig(new StandardAnalyzer())
          .setMergePolicy(NoMergePolicy.INSTANCE));
      IOException full = null;
      try {
        for (int i = 0; i < 100_000; i++) {
          byte[] blob = new byte[32 << 10];
          random.nextBytes(blob);
          Document doc = new Document();
          doc.add(new StringField("id", Integer.toString(i), Field.Store.YES));
          doc.add(new StoredField("blob", blob));
          w.addDocument(doc);
          if (i % 40 == 39) {
            w.commit();
            committed = i + 1;
          }
        }
      } catch (IOException e) {
        full = e;
      }
      outcome.add("full: " + (full != null && messages(full).contains("No space left")));
      outcome.add("committed before: " + (committed > 0));
      w.rollback();
      int seen;
      try (DirectoryReader r = DirectoryReader.open(d)) {
        seen = r.numDocs();
      }
      outcome.add("the last commit opens whole: " + (seen == committed));
      Files.delete(spare);
      try (CheckIndex check = new CheckIndex(d)) {
        check.setInfoStream(null);
        outcome.add("CheckIndex clean: " + check.checkIndex().clean);
      }
      try (IndexWriter again = new IndexWriter(d, new IndexWriterConfig(new StandardAnalyzer())
          .setOpenMode(IndexWriterConfig.OpenMode.APPEND)
          .setMergePolicy(NoMergePolicy.INSTANCE))) {
        for (int i = 0; i < 10; i++) {
          Document doc = new Document();
          doc.add(new StringField("id", "after-" + i, Field.Store.YES));
          again.addDocument(doc);
        }
        again.commit();
      }
      try (DirectoryReader r = DirectoryReader.open(d)) {
        outcome.add("once there is space, a new commit: " + (r.numDocs() == committed + 10));
        return new LuceneRun(outcome, r.numDocs());
      }
    }
  }

  /**
   * Removing a container is how a user frees space: on a full disk it succeeds, and the store
   * keeps no trace of it (no folder, no hold in index.json).
   */
  @Test
  void aContainerRemovalOnAFullDiskSucceedsAndFreesItsSpace() throws Exception {
    byte[] data = new byte[2 << 20];
    new Random(14).nextBytes(data);
    Path disk = mountedDisk();
    try {
      Path store = disk.resolve("store");
      ImageBuilder.create(store).layer().file("/etc/hosts", "127.0.0.1\n").build("base");
      try (Store s = Store.open(store)) {
        try (Container c = s.container("web", "base", false)) {
          write(c, "/new", data, 0, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
        fill(disk.resolve("filler"));
        s.removeContainer("web");
        assertEquals(List.of(), s.containers());
        assertTrue(Files.getFileStore(disk).getUsableSpace() >= data.length,
            "freed: " + Files.getFileStore(disk).getUsableSpace());
        try (var left = Files.list(store.resolve("layerfs/containers"))) {
          assertEquals(List.of(), left.toList());
        }
        assertEquals(java.util.Map.of(), ContentStore.open(store).readIndex().holds());
        assertEquals(List.of(), s.fsck(false, Progress.NONE).problems());
      }
    } finally {
      unmount(disk);
    }
  }

  /**
   * An export onto a full disk fails with the disk's error and leaves nothing at the
   * destination, and succeeds once space is freed.
   */
  @Test
  void anExportOntoAFullDiskLeavesNothingAndSucceedsOnceThereIsSpace() throws Exception {
    byte[] data = new byte[2 << 20];
    new Random(13).nextBytes(data);
    Path store = work.resolve("store");
    ImageBuilder.create(store).layer().file("/data", data).build("base");
    Path disk = mountedDisk();
    try (Store s = Store.open(store)) {
      Path filler = disk.resolve("filler");
      fill(filler);
      for (String kind : List.of("docker-archive:", "oci-archive:", "oci:")) {
        Path out = disk.resolve("out");
        IOException e = assertThrows(IOException.class,
            () -> s.exportImage("base", kind + out, Progress.NONE));
        assertTrue(messages(e).contains("No space left on device"), kind + messages(e));
        try (var left = Files.list(disk)) {
          assertEquals(List.of(filler), left.toList(), kind);
        }
      }
      Files.delete(filler);
      s.exportImage("base", "docker-archive:" + disk.resolve("out.tar"), Progress.NONE);
      try (Store back = Store.open(work.resolve("back"))) {
        back.importImage("docker-archive:" + disk.resolve("out.tar"), "back", Progress.NONE);
        try (FileTree view = back.view("back")) {
          assertArrayEquals(data, readTree(view, "/data"));
        }
      }
    } finally {
      unmount(disk);
    }
  }

  private static List<Path> temps(Path store) throws IOException {
    try (var all = Files.walk(store)) {
      return all.filter(p -> p.toString().endsWith(".tmp")).toList();
    }
  }

  private static byte[] readTree(FileTree tree, String path) throws IOException {
    try (FileHandle h = tree.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) > 0) {
        // reads on
      }
      return b.array();
    }
  }

  private void run(Path disk) throws IOException {
    ContentStore store = ContentStore.open(disk.resolve("store"));
    byte[] image = new byte[IMAGE_FILE];
    new Random(7).nextBytes(image);
    ImageBuilder.create(store.root()).layer().file("/etc/hosts", "127.0.0.1 localhost\n")
        .file("/img", image).file("/img2", image).build("base");
    try (LayerStore layers = new LayerStore(store)) {
      try (Container c = Container.open(store, layers, "web", "base", false)) {
        c.createDirectory("/base", 0755);
        c.createDirectory("/pad", 0755);
        for (String pass : List.of("", "2")) {
          write(c, "/base/f" + pass, "hello".getBytes(StandardCharsets.UTF_8), 0,
              StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          write(c, "/base/empty" + pass, new byte[0], 0, StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE);
        }
        read(c, "/img"); // the layer is inflated and indexed now, not on the full disk
      }
      for (Step step : Step.values()) {
        runStep(disk, store, layers, step);
      }
      for (Step step : Step.values()) {
        resumeInSession(disk, store, layers, step);
      }
    }
  }

  private void runStep(Path disk, ContentStore store, LayerStore layers, Step step)
      throws IOException {
    Path filler = disk.resolve("filler");
    List<String> before;
    Container c = Container.open(store, layers, "web", null, false);
    FileHandle h = null;
    try {
      // the log has room now
      c.setTimes("/base", false, 1_000_000_000L * step.ordinal(), FileTree.TIME_UNCHANGED);
      h = prepare(c, step, "");
      fill(filler);
      if (step.logFull) {
        exhaustLog(c);
      }
      before = describe(c);
      FileHandle handle = h;
      IOException e = assertThrows(IOException.class, () -> apply(c, step, handle, ""),
          step.name());
      String why = step.logFull ? "cannot grow the container metadata log" : "No space left";
      assertTrue(messages(e).contains(why), step + ": " + messages(e));
      assertEquals(before, describe(c), step + ": the container shows the state before");
    } finally {
      if (h != null) {
        h.close();
      }
      try {
        c.close();
      } catch (IOException e) {
        // no space for the snapshot: the log keeps every record, and the next open replays it
      }
    }
    try (Container ro = Container.open(store, layers, "web", null, true)) {
      assertEquals(before, describe(ro), step + ": after a reopen on the full disk");
    }
    Files.delete(filler);
    List<String> after;
    try (Container rw = Container.open(store, layers, "web", null, false)) {
      assertEquals(before, describe(rw), step + ": after a reopen with space");
      FileHandle again = prepare(rw, step, "");
      try {
        apply(rw, step, again, "");
      } finally {
        if (again != null) {
          again.close();
        }
      }
      after = describe(rw);
      assertNotEquals(before, after, step + " changed nothing");
    }
    try (Container rw = Container.open(store, layers, "web", null, false)) {
      assertEquals(after, describe(rw), step + ": survives a reopen");
    }
    assertEquals(List.of(), Container.check(store, "web"));
  }

  /**
   * The same failure, then space is freed and the same operation, in the same session (through
   * the same handle), succeeds: the failure left nothing half done that blocks it.
   */
  private void resumeInSession(Path disk, ContentStore store, LayerStore layers, Step step)
      throws IOException {
    Path filler = disk.resolve("filler");
    List<String> after;
    try (Container c = Container.open(store, layers, "web", null, false)) {
      c.setTimes("/base", false, 1_000_000_000L * step.ordinal(), FileTree.TIME_UNCHANGED);
      FileHandle h = prepare(c, step, "2");
      try {
        fill(filler);
        if (step.logFull) {
          exhaustLog(c);
        }
        List<String> before = describe(c);
        assertThrows(IOException.class, () -> apply(c, step, h, "2"), step.name());
        assertEquals(before, describe(c), step + ": the container shows the state before");
        Files.delete(filler);
        apply(c, step, h, "2");
        after = describe(c);
        assertNotEquals(before, after, step + " changed nothing");
      } finally {
        Files.deleteIfExists(filler);
        if (h != null) {
          h.close();
        }
      }
    }
    try (Container rw = Container.open(store, layers, "web", null, false)) {
      assertEquals(after, describe(rw), step + ": resumed in session, survives a reopen");
    }
    assertEquals(List.of(), Container.check(store, "web"));
  }

  /** A handle the step uses, opened while there is space (so the step itself must fail). */
  private static FileHandle prepare(Container c, Step step, String pass) throws IOException {
    switch (step) {
      case WRITE_IMAGE_FILE_LOG_FULL:
        return c.open("/img2", Set.of(StandardOpenOption.WRITE), 0644);
      case TRUNCATE:
        return c.open("/base/f" + pass, Set.of(StandardOpenOption.WRITE), 0644);
      default:
        return null;
    }
  }

  /** The step's operation; {@code pass} ("" or "2") picks names and chunks not used before. */
  private static void apply(Container c, Step step, FileHandle h, String pass)
      throws IOException {
    byte[] ten = "0123456789".getBytes(StandardCharsets.UTF_8);
    // inside a chunk not copied yet, not covering it: the chunk is copied up first
    long chunk = pass.isEmpty() ? 1 : 3;
    switch (step) {
      case MKDIR -> c.createDirectory("/m" + pass, 0755);
      case CREATE -> c.open("/created" + pass, Set.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE), 0644).close();
      case WRITE_NEW_FILE -> write(c, "/base/empty" + pass, new byte[200_000], 0,
          StandardOpenOption.WRITE);
      case WRITE_IMAGE_FILE -> write(c, "/img", ten, chunk * 65536 + 4000,
          StandardOpenOption.WRITE);
      case WRITE_IMAGE_FILE_LOG_FULL -> writeFully(h, ten, (chunk + 1) * 65536 + 4000);
      case TRUNCATE -> h.truncate(2);
      case RENAME -> c.move("/base/f" + pass, "/base/g" + pass, false);
      default -> throw new AssertionError(step);
    }
  }

  /** Fills the disk: a file grows until no block is left. */
  private static void fill(Path filler) throws IOException {
    try (FileChannel f = FileChannel.open(filler, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(64 << 10);
      for (int size = b.capacity(); size > 0; size /= 2) {
        try {
          while (true) {
            b.clear().limit(size);
            f.write(b);
          }
        } catch (IOException full) {
          // smaller writes take the last blocks
        }
      }
    }
  }

  /**
   * Logs 48 KiB records until the log cannot grow: setxattr (which reserves room for the
   * attributes on top), then touch (a plain change's record carries the attribute too); the last
   * of each fails and changes nothing.
   */
  private static void exhaustLog(Container c) throws IOException {
    byte[] value = new byte[48 << 10];
    boolean xattrs = true;
    for (int i = 0; i < 1000; i++) {
      value[0] = (byte) i;
      List<String> before = describe(c);
      long mtime = c.lookup("/pad", false).mtimeNanos();
      byte[] old = c.lookup("/pad", false).xattrs().get("user.pad");
      try {
        if (xattrs) {
          c.setXattr("/pad", false, "user.pad", value);
        } else {
          c.setTimes("/pad", false, mtime + 1, FileTree.TIME_UNCHANGED);
        }
      } catch (IOException e) {
        assertTrue(messages(e).contains("cannot grow the container metadata log"), messages(e));
        assertEquals(before, describe(c));
        Node now = c.lookup("/pad", false);
        assertTrue(old == null ? now.xattrs().get("user.pad") == null
            : java.util.Arrays.equals(old, now.xattrs().get("user.pad")), "a failed setxattr");
        assertEquals(mtime, now.mtimeNanos(), "a failed touch");
        if (!xattrs) {
          return;
        }
        xattrs = false;
      }
    }
    fail("the metadata log never ran out of space");
  }

  private static String messages(Throwable e) {
    StringBuilder s = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      s.append(t).append(" / ");
    }
    return s.toString();
  }

  /** Every entry: path, type, mode, size, digest of the content or link target, xattr names. */
  private static List<String> describe(Container c) throws IOException {
    List<String> out = new ArrayList<>();
    describe(c, "/", out);
    return out;
  }

  private static void describe(Container c, String dir, List<String> out) throws IOException {
    for (String name : c.list(dir)) {
      String p = dir.equals("/") ? "/" + name : dir + "/" + name;
      Node n = c.lookup(p, false);
      String line = p + " " + n.type() + " " + Integer.toOctalString(n.mode()) + " " + n.size()
          + " " + n.xattrs().keySet();
      if (n.isDirectory()) {
        out.add(line);
        describe(c, p, out);
      } else {
        out.add(line + " " + Digest.sha256(read(c, p)).hex().substring(0, 16));
      }
    }
  }

  private static byte[] read(Container c, String path) throws IOException {
    try (FileHandle h = c.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) > 0) {
        // reads on
      }
      return b.array();
    }
  }

  private static void write(Container c, String path, byte[] data, long pos, OpenOption... o)
      throws IOException {
    try (FileHandle h = c.open(path, Set.of(o), 0644)) {
      writeFully(h, data, pos);
    }
  }

  private static void writeFully(FileHandle h, byte[] data, long pos) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(data);
    while (b.hasRemaining()) {
      h.write(b, pos + b.position());
    }
  }

  /** The test's small disk, mounted (a tmpfs), which the test unmounts. */
  private Path mountedDisk() throws IOException, InterruptedException {
    Path disk = Files.createDirectories(work.resolve("disk"));
    mount(disk);
    return disk;
  }

  private static void mount(Path dir) throws IOException, InterruptedException {
    String out = exec("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir.toString());
    if (out != null) {
      fail("cannot mount a tmpfs on " + dir + " (the full-disk suite needs root): " + out);
    }
  }

  /**
   * Unmounts lazily: a metadata log's memory mapping lives until the garbage collector frees
   * it, which keeps a plain unmount busy; the tmpfs goes when the last mapping does.
   */
  private static void unmount(Path dir) throws IOException, InterruptedException {
    String out = exec("umount", "-l", dir.toString());
    if (out != null) {
      fail("cannot unmount " + dir + ": " + out);
    }
  }

  /** Runs a command: null on success, else its exit code and output. */
  private static String exec(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return String.join(" ", command) + ": timed out";
    }
    return p.exitValue() == 0 ? null : String.join(" ", command) + ": exit " + p.exitValue()
        + ": " + out.strip();
  }
}
