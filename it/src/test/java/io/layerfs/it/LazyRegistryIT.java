package io.layerfs.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.Progress;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.store.Store;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lazy reads of the Debian image ({@link DebianImage}) from a real registry ({@code
 * docker-registry} of {@code it/scripts/with-tools.sh}, {@code LAYERFS_TEST_REGISTRY}): skopeo
 * pushes the plain gzip image and its eStargz form (converted by layerfs); layerfs reads {@code
 * /etc/os-release} lazily from each, counting the bytes the registry sends for its range
 * requests, and the lazily read eStargz image equals {@code umoci unpack} of the original, file
 * by file. Prints the figures the README quotes (bytes fetched, time to the first read against a
 * full {@code skopeo copy} of the image).
 */
final class LazyRegistryIT {
  private static final String REPO = "lazy/debian";

  @TempDir static Path work;
  private static DebianImage image;
  private static String registry;
  private static long fullPullNanos;
  private static long pullAndReadNanos;

  @BeforeAll
  static void pushImages() throws IOException {
    registry = System.getenv("LAYERFS_TEST_REGISTRY");
    assertNotNull(registry, "LAYERFS_TEST_REGISTRY is not set: run through "
        + "it/scripts/with-tools.sh, which starts the registry");
    Tools.require("skopeo", "umoci");
    image = DebianImage.build(work);
    image.rootfs(DebianImage.BASE);
    Path layout = work.resolve("converted");
    Tools.run("cp", "-a", image.layout().toString(), layout.toString());
    try (Store store = Store.open(layout)) {
      store.convertToEStargz(DebianImage.BASE, "esgz", Progress.NONE);
    }
    skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":" + DebianImage.BASE,
        "docker://" + registry + "/" + REPO + ":plain");
    skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":esgz",
        "docker://" + registry + "/" + REPO + ":esgz");
    long start = System.nanoTime();
    skopeo("copy", "--src-tls-verify=false", "docker://" + registry + "/" + REPO + ":plain",
        "oci:" + work.resolve("pulled") + ":plain");
    fullPullNanos = System.nanoTime() - start;
    // the first read after a full pull: the layer is inflated and indexed first
    try (Store store = Store.open(work.resolve("pulled"));
        FileTree view = store.view("plain")) {
      read(view, "/etc/os-release");
    }
    pullAndReadNanos = System.nanoTime() - start;
    report("full pull: skopeo copy " + ms(fullPullNanos) + "; with layerfs' first read of "
        + "/etc/os-release after it (inflate and index the layer) " + ms(pullAndReadNanos));
  }

  @AfterAll
  static void deleteWork() throws IOException {
    try (Stream<Path> children = Files.list(work)) {
      for (Path child : children.toList()) {
        DebianImage.deleteTree(child);
      }
    }
  }

  @Test
  void eStargzReadsOsReleaseWithUnderOnePercentOfTheImage() throws IOException {
    eStargzFirstRead("lazy-esgz-1", "first");
    eStargzFirstRead("lazy-esgz-2", "again, in a new store");
  }

  private void eStargzFirstRead(String dir, String when) throws IOException {
    Registry reg = new Registry();
    long start = System.nanoTime();
    try (Store store = Store.open(work.resolve(dir))) {
      Image img = reg.metadataInto(store, "esgz");
      store.attachLazy("esgz", reg::blob);
      byte[] osRelease;
      try (FileTree view = store.view("esgz")) {
        osRelease = read(view, "/etc/os-release");
      }
      long first = System.nanoTime() - start;
      long imageBytes = img.layers().stream().mapToLong(Layer::size).sum();
      assertArrayEquals(Files.readAllBytes(image.rootfs(DebianImage.BASE)
          .resolve("usr/lib/os-release")), osRelease);
      report("eStargz (" + when + "): first read of /etc/os-release fetched " + reg.layerBytes.get()
          + " bytes of the layers' " + imageBytes + " (" + percent(reg.layerBytes.get(),
              imageBytes) + ") in " + reg.requests.get() + " requests, plus "
          + reg.metadataBytes.get() + " bytes of manifest and config; " + ms(first)
          + " (a full pull and first read: " + ms(pullAndReadNanos) + ")");
      assertTrue(reg.layerBytes.get() < imageBytes / 100, "over 1% fetched");
      // time is printed, not asserted: a shared 2-core machine makes it vary by a factor of 3
    }
  }

  /**
   * The file sits at 11.1% of this tar (umoci writes entries in path order; /etc/os-release
   * links to /usr/lib/os-release, after /usr/bin), 10.02% into the gzip stream: a gzip reader
   * must inflate everything before it, so under 10% is out of reach for this image. The test
   * asserts the bound that is reachable: within one fetch block of that minimum.
   */
  @Test
  void plainGzipReadsOsReleaseFetchingOnlyTheStreamUpToIt() throws IOException {
    plainFirstRead("lazy-plain-1", "first");
    plainFirstRead("lazy-plain-2", "again, in a new store");
  }

  private void plainFirstRead(String dir, String when) throws IOException {
    Registry reg = new Registry();
    long start = System.nanoTime();
    try (Store store = Store.open(work.resolve(dir))) {
      Image img = reg.metadataInto(store, "plain");
      store.attachLazy("plain", reg::blob);
      byte[] osRelease = store.readLazily("plain", "/etc/os-release");
      long first = System.nanoTime() - start;
      long imageBytes = img.layers().stream().mapToLong(Layer::size).sum();
      assertArrayEquals(Files.readAllBytes(image.rootfs(DebianImage.BASE)
          .resolve("usr/lib/os-release")), osRelease);
      long minimum = compressedBytesBefore(store, img, "usr/lib/os-release");
      report("plain gzip (" + when + "): first read of /etc/os-release fetched "
          + reg.layerBytes.get() + " bytes of the layers' " + imageBytes + " ("
          + percent(reg.layerBytes.get(), imageBytes) + "; the gzip stream up to the file's "
          + "end is " + minimum + ", " + percent(minimum, imageBytes) + ") in "
          + reg.requests.get() + " requests; " + ms(first) + " (a full pull and first read: "
          + ms(pullAndReadNanos) + ")");
      assertTrue(reg.layerBytes.get() <= minimum + (256 << 10), "fetched past the file");
      // time is printed, not asserted: a shared 2-core machine makes it vary by a factor of 3
    }
  }

  @Test
  void lazyEStargzViewEqualsUmociUnpack() throws IOException {
    Registry reg = new Registry();
    Path rootfs = image.rootfs(DebianImage.BASE);
    try (Store store = Store.open(work.resolve("lazy-compare"))) {
      reg.metadataInto(store, "esgz");
      store.attachLazy("esgz", reg::blob);
      int files = 0;
      try (FileTree view = store.view("esgz"); Stream<Path> walk = Files.walk(rootfs)) {
        for (Path host : walk.toList()) {
          String p = "/" + rootfs.relativize(host);
          p = p.equals("/") ? "/" : p;
          Node n = view.lookup(p, false);
          Map<String, Object> a = Files.readAttributes(host, "unix:*", LinkOption.NOFOLLOW_LINKS);
          assertEquals(((Integer) a.get("mode")) & 07777, n.mode(), "mode of " + p);
          assertEquals(a.get("uid"), n.uid(), "uid of " + p);
          assertEquals(a.get("gid"), n.gid(), "gid of " + p);
          if (Files.isSymbolicLink(host)) {
            assertTrue(n.isSymbolicLink(), p);
          } else if (Files.isRegularFile(host, LinkOption.NOFOLLOW_LINKS)) {
            assertArrayEquals(Files.readAllBytes(host), read(view, p), "content of " + p);
            files++;
          } else if (Files.isDirectory(host, LinkOption.NOFOLLOW_LINKS)) {
            List<String> names = new ArrayList<>();
            try (Stream<Path> list = Files.list(host)) {
              list.forEach(c -> names.add(c.getFileName().toString()));
            }
            names.sort(null);
            assertEquals(names, view.list(p), "listing of " + p);
          }
        }
      }
      report("lazy eStargz view equals umoci unpack: " + files + " files compared; "
          + reg.requests.get() + " range requests, " + reg.layerBytes.get() + " bytes");
      assertTrue(files > 1000);
      store.completeLazy("esgz");
      assertTrue(store.fsck(false, Progress.NONE).problems().isEmpty());
    }
  }

  // --- helpers

  /** How much of the layer's gzip stream must be inflated to reach the end of {@code path}. */
  private static long compressedBytesBefore(Store lazy, Image img, String path)
      throws IOException {
    Path blob = work.resolve("pulled/blobs/sha256/" + img.layers().get(0).digest().hex());
    long dataEnd = -1;
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        new java.util.zip.GZIPInputStream(Files.newInputStream(blob)))) {
      var counting = tar;
      org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
      while ((e = counting.getNextEntry()) != null) {
        if (e.getName().replaceFirst("^\\./", "").equals(path)) {
          dataEnd = counting.getBytesRead() + e.getSize();
          break;
        }
      }
    }
    assertTrue(dataEnd > 0, path + " not in the layer");
    java.util.zip.Inflater inf = new java.util.zip.Inflater(true);
    byte[] gz = Files.readAllBytes(blob);
    int header = 10; // umoci's gzip header has no optional fields
    inf.setInput(gz, header, gz.length - header);
    byte[] out = new byte[1 << 16];
    long produced = 0;
    try {
      while (produced < dataEnd) {
        produced += inf.inflate(out);
      }
    } catch (java.util.zip.DataFormatException x) {
      throw new IOException(x);
    }
    return header + inf.getBytesRead();
  }

  /** The registry's blob and manifest endpoints over plain HTTP, counting what it sends. */
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static final class Registry {
    final HttpClient http = HTTP;
    final AtomicLong layerBytes = new AtomicLong();
    final AtomicLong metadataBytes = new AtomicLong();
    final AtomicLong requests = new AtomicLong();

    /** Copies the manifest and config of {@code tag} into the store and tags it. */
    Image metadataInto(Store store, String tag) throws IOException {
      byte[] manifest = get("/manifests/" + tag, null,
          "application/vnd.oci.image.manifest.v1+json");
      String config = new com.fasterxml.jackson.databind.ObjectMapper().readTree(manifest)
          .path("config").path("digest").asText();
      byte[] configJson = get("/blobs/" + config, null, null);
      metadataBytes.addAndGet(manifest.length + configJson.length);
      io.layerfs.core.content.ContentStore cs =
          io.layerfs.core.content.ContentStore.open(store.root());
      cs.write(configJson);
      Digest m = cs.write(manifest);
      cs.tag(tag, m);
      return store.image(tag);
    }

    RangedBlob blob(Layer layer) {
      return new RangedBlob() {
        @Override
        public Digest digest() {
          return layer.digest();
        }

        @Override
        public long size() {
          return layer.size();
        }

        @Override
        public InputStream open(long offset, long length) throws IOException {
          String range = "bytes=" + offset + "-" + (length < 0 ? "" : offset + length - 1);
          requests.incrementAndGet();
          HttpResponse<InputStream> r = send("/blobs/" + layer.digest(), range, null);
          return new FilterInputStream(r.body()) {
            @Override
            public int read() throws IOException {
              int b = super.read();
              if (b >= 0) {
                layerBytes.incrementAndGet();
              }
              return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              int n = super.read(b, off, len);
              if (n > 0) {
                layerBytes.addAndGet(n);
              }
              return n;
            }
          };
        }
      };
    }

    private byte[] get(String path, String range, String accept) throws IOException {
      try (InputStream in = send(path, range, accept).body()) {
        return in.readAllBytes();
      }
    }

    private HttpResponse<InputStream> send(String path, String range, String accept)
        throws IOException {
      HttpRequest.Builder b = HttpRequest.newBuilder(
          URI.create("http://" + registry + "/v2/" + REPO + path));
      if (range != null) {
        b.header("Range", range);
      }
      if (accept != null) {
        b.header("Accept", accept);
      }
      try {
        HttpResponse<InputStream> r = http.send(b.build(),
            HttpResponse.BodyHandlers.ofInputStream());
        int want = range != null ? 206 : 200;
        if (r.statusCode() != want) {
          r.body().close();
          throw new IOException("GET " + path + " (" + range + "): HTTP " + r.statusCode());
        }
        return r;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException();
      }
    }
  }

  private static byte[] read(FileTree tree, String path) throws IOException {
    try (FileHandle h = tree.open(path, Set.of(), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      while (b.hasRemaining() && h.read(b, b.position()) >= 0) {
        // fill
      }
      return b.array();
    }
  }

  private static void skopeo(String... args) {
    List<String> command = new ArrayList<>(List.of("skopeo"));
    command.addAll(List.of(args));
    Tools.run(null, command, 600);
  }

  private static String percent(long part, long whole) {
    return String.format("%.3f%%", 100.0 * part / whole);
  }

  private static String ms(long nanos) {
    return String.format("%.0f ms", nanos / 1e6);
  }

  private static void report(String line) {
    System.out.println("LazyRegistryIT: " + line);
  }
}
