package io.layerfs.core.lazy;

import static io.layerfs.core.lazy.LazyReadTest.read;
import static io.layerfs.core.lazy.LazyReadTest.storeWithMetadataOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.FileTree;
import io.layerfs.core.Layer;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.store.BackgroundFetch;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Store.completeLazyInBackground}: an eStargz image of about 11 MiB (three fetch steps)
 * served by a loopback range server is completed on a daemon thread while a view reads it;
 * closing the fetch or the store stops it between steps; a tampered blob never reaches {@code
 * blobs/}; and a JVM killed in the middle of a fetch leaves only verified blobs, from which the
 * next completion goes on. The server holds its responses at a chosen byte ({@link
 * RangeServer#holdAfter}) where a test needs the fetch at a known point, so that no result
 * depends on how fast the threads run (they once failed on a loaded machine).
 */
class BackgroundFetchTest {
  private static final String TAG = "app-esgz";

  /** Where a held fetch stops: in the middle of its second step of the large layer. */
  private static final long MID_SECOND_STEP = PartialBlob.STEP + PartialBlob.STEP / 2;

  @TempDir Path tmp;

  /** The files of the image, by path. */
  private static Map<String, byte[]> files() {
    Map<String, byte[]> files = new TreeMap<>();
    Random r = new Random(11);
    byte[] big1 = new byte[6 << 20];
    byte[] big2 = new byte[5 << 20];
    r.nextBytes(big1); // incompressible: the layer is as large as its files
    r.nextBytes(big2);
    files.put("/etc/hosts", "127.0.0.1 localhost\n".getBytes());
    files.put("/srv/big1", big1);
    files.put("/srv/big2", big2);
    return files;
  }

  /** The image in one layer, or with {@code /etc} in a small layer below the large one. */
  private Path remote(boolean etcApart) throws IOException {
    Path remote = tmp.resolve("remote");
    ImageBuilder b = ImageBuilder.create(remote).add(ImageBuilder.Entry.dir("etc"));
    files().forEach((p, data) -> {
      if (p.startsWith("/etc/")) {
        b.add(ImageBuilder.Entry.file(p.substring(1), data));
      }
    });
    if (etcApart) {
      b.layer();
    }
    b.add(ImageBuilder.Entry.dir("srv"));
    files().forEach((p, data) -> {
      if (!p.startsWith("/etc/")) {
        b.add(ImageBuilder.Entry.file(p.substring(1), data));
      }
    });
    b.build("app");
    try (Store store = Store.open(remote)) {
      store.convertToEStargz("app", TAG, Progress.NONE);
    }
    return remote;
  }

  @Test
  void readsDuringTheFetchAreRightAndTheImageEndsUpComplete() throws Exception {
    Path remote = remote(true);
    Path local = tmp.resolve("local");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, TAG, local)) {
      lazy.attachLazy(TAG, l -> server.blob(l.digest(), l.size()));
      server.reset();
      server.holdAfter(MID_SECOND_STEP); // the small layer done, the large one in its steps
      try (FileTree view = lazy.view(TAG)) {
        BackgroundFetch fetch = lazy.completeLazyInBackground(TAG);
        server.awaitHeld();
        // a read while the fetch is held (a read of the layer it fetches would wait for the
        // step: at most a minute here, or the test fails rather than hangs)
        byte[] hosts = assertTimeoutPreemptively(Duration.ofSeconds(60),
            () -> read(view, "/etc/hosts"));
        assertArrayEquals(files().get("/etc/hosts"), hosts);
        assertFalse(fetch.done().isDone(), "the fetch is held: " + fetch.done());
        server.release();
        for (var e : files().entrySet()) { // these interleave with the rest of the fetch
          assertArrayEquals(e.getValue(), read(view, e.getKey()), e.getKey());
        }
        fetch.done().get(120, TimeUnit.SECONDS);
        for (Layer l : lazy.image(TAG).layers()) {
          assertTrue(Files.isRegularFile(local.resolve("blobs/sha256/" + l.digest().hex())),
              "layer " + l.digest() + " stored");
          assertFalse(Files.exists(LazyLayers.dir(ContentStore.open(local), l.digest())
              .resolve(PartialBlob.DATA)), "partial blob removed");
        }
        server.reset();
        for (var e : files().entrySet()) {
          assertArrayEquals(e.getValue(), read(view, e.getKey()), e.getKey());
        }
        assertEquals(0, server.requests(), "reads after completion are local");
      }
      assertEquals(List.of(), lazy.fsck(false, Progress.NONE).problems());
    }
    assertOnlyVerifiedBlobs(local);
  }

  @Test
  void closeStopsTheFetchBetweenStepsAndTheNextCompletionGoesOn() throws Exception {
    Path remote = remote(false);
    Path local = tmp.resolve("local");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, TAG, local)) {
      List<Layer> attached = lazy.attachLazy(TAG, l -> server.blob(l.digest(), l.size()));
      Layer big = largest(attached);
      server.reset();
      server.holdAfter(MID_SECOND_STEP);
      BackgroundFetch fetch = lazy.completeLazyInBackground(TAG);
      server.awaitHeld();
      closeWhileHeld(server, fetch::close);
      assertTrue(fetch.done().isCancelled(), "stopped, not finished: " + fetch.done());
      assertTrue(fetchThreads().isEmpty(), "the thread outlived close: " + fetchThreads());
      long served = server.bytesServed();
      // the step in flight at close ended; no other began
      assertTrue(served <= 2 * PartialBlob.STEP, served + " bytes fetched by two steps");
      assertTrue(served < big.size(), served + " of " + big.size() + " bytes fetched");
      assertFalse(Files.exists(local.resolve("blobs/sha256/" + big.digest().hex())),
          "an incomplete layer reached blobs/");
      assertOnlyVerifiedBlobs(local);
      Thread.sleep(500); // a step still running after close would show here
      assertEquals(served, server.bytesServed(), "fetched after close returned");
      server.reset();
      lazy.completeLazy(TAG);
      // the footer and TOC were held before the fetch began: nothing is fetched twice
      assertTrue(served + server.bytesServed() <= big.size(),
          "fetched again what the stopped fetch held: " + served + " + " + server.bytesServed()
              + " of " + big.size());
      assertTrue(Files.isRegularFile(local.resolve("blobs/sha256/" + big.digest().hex())));
      assertEquals(List.of(), lazy.fsck(false, Progress.NONE).problems());
    }
    assertOnlyVerifiedBlobs(local);
  }

  @Test
  void closingTheStoreStopsItsFetches() throws Exception {
    Path remote = remote(false);
    Path local = tmp.resolve("local");
    BackgroundFetch fetch;
    try (RangeServer server = new RangeServer(remote)) {
      try (Store lazy = storeWithMetadataOf(remote, TAG, local)) {
        lazy.attachLazy(TAG, l -> server.blob(l.digest(), l.size()));
        server.reset();
        server.holdAfter(MID_SECOND_STEP);
        fetch = lazy.completeLazyInBackground(TAG);
        server.awaitHeld();
        closeWhileHeld(server, lazy::close);
      }
      assertTrue(fetch.done().isCancelled(), "" + fetch.done());
      assertTrue(fetchThreads().isEmpty(), "the thread outlived the store: " + fetchThreads());
    }
    assertOnlyVerifiedBlobs(local);
  }

  @Test
  void aTamperedBlobNeverReachesBlobs() throws Exception {
    Path remote = remote(false);
    Path local = tmp.resolve("local");
    try (RangeServer server = new RangeServer(remote);
        Store lazy = storeWithMetadataOf(remote, TAG, local)) {
      List<Layer> attached = lazy.attachLazy(TAG, l -> server.blob(l.digest(), l.size()));
      server.tamper(b -> {
        byte[] c = b.clone();
        c[c.length / 2] ^= 0x01;
        return c;
      });
      BackgroundFetch fetch = lazy.completeLazyInBackground(TAG);
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> fetch.done().get(120, TimeUnit.SECONDS));
      assertInstanceOf(IOException.class, e.getCause());
      assertTrue(e.getCause().getMessage().contains("do not verify"), e.getCause().getMessage());
      for (Layer l : attached) {
        assertFalse(Files.exists(local.resolve("blobs/sha256/" + l.digest().hex())),
            "a tampered layer reached blobs/");
      }
      // the bad bytes were dropped: once the registry serves the right ones, reads work
      server.tamper(b -> b);
      try (FileTree view = lazy.view(TAG)) {
        for (var file : files().entrySet()) {
          assertArrayEquals(file.getValue(), read(view, file.getKey()), file.getKey());
        }
      }
    }
    assertOnlyVerifiedBlobs(local);
  }

  /** The child of {@link #aJvmKilledDuringTheFetchLeavesOnlyVerifiedBlobs}: STORE BASE-URI. */
  public static void main(String[] args) throws Exception {
    Store store = Store.open(Path.of(args[0]));
    URI base = URI.create(args[1]);
    store.attachLazy(TAG, l -> RangeServer.blob(base, l.digest(), l.size()));
    store.completeLazyInBackground(TAG);
    System.out.println("fetching");
    System.out.flush();
    Thread.sleep(600_000); // until killed
  }

  @Test
  void aJvmKilledDuringTheFetchLeavesOnlyVerifiedBlobs() throws Exception {
    Path remote = remote(false);
    Path local = tmp.resolve("local");
    try (RangeServer server = new RangeServer(remote)) {
      Layer big;
      try (Store lazy = storeWithMetadataOf(remote, TAG, local)) {
        big = largest(lazy.image(TAG).layers());
      }
      // the footer and TOC, the first step, then the middle of the second, until killed
      server.holdAfter(MID_SECOND_STEP);
      Process child = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
          System.getProperty("java.class.path"), BackgroundFetchTest.class.getName(),
          local.toString(), server.base().toString())
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      try {
        assertEquals("fetching", new String(child.getInputStream().readNBytes(8)));
        server.awaitHeld(); // in the middle of a step's response
      } finally {
        child.destroyForcibly(); // SIGKILL
        assertTrue(child.waitFor(60, TimeUnit.SECONDS));
      }
      assertFalse(Files.exists(local.resolve("blobs/sha256/" + big.digest().hex())),
          "killed before the big layer was whole, yet it is in blobs/");
      assertOnlyVerifiedBlobs(local);
      server.release();
      try (Store again = Store.open(local)) {
        assertEquals(List.of(), again.fsck(false, Progress.NONE).problems());
        again.attachLazy(TAG, l -> server.blob(l.digest(), l.size()));
        again.completeLazyInBackground(TAG).done().get(120, TimeUnit.SECONDS);
        try (FileTree view = again.view(TAG)) {
          for (var e : files().entrySet()) {
            assertArrayEquals(e.getValue(), read(view, e.getKey()), e.getKey());
          }
        }
        assertEquals(List.of(), again.fsck(false, Progress.NONE).problems());
      }
    }
    assertOnlyVerifiedBlobs(local);
  }

  // --- helpers

  private static Layer largest(List<Layer> layers) {
    return layers.stream().max((a, b) -> Long.compare(a.size(), b.size())).orElseThrow();
  }

  /**
   * Runs {@code close} (which stops a fetch and waits for it) on another thread while the
   * fetch is held in a step, and releases the server only once that thread waits for the fetch
   * to end: the stop is then asked for before the step ends, on any machine.
   */
  private static void closeWhileHeld(RangeServer server, Closing close) throws Exception {
    Thread closer = new Thread(() -> {
      try {
        close.run();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "closer");
    closer.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!waitsForAThread(closer)) {
      assertTrue(System.nanoTime() < deadline, "close did not wait for the fetch in 60 s");
      Thread.sleep(5);
    }
    server.release();
    closer.join(TimeUnit.SECONDS.toMillis(60));
    assertFalse(closer.isAlive(), "close did not return once the step ended");
  }

  /** Whether {@code t} is in {@link Thread#join}. */
  private static boolean waitsForAThread(Thread t) {
    if (t.getState() != Thread.State.WAITING) {
      return false;
    }
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().equals(Thread.class.getName()) && e.getMethodName().equals("join")) {
        return true;
      }
    }
    return false;
  }

  private interface Closing {
    void run() throws Exception;
  }

  private static List<String> fetchThreads() {
    List<String> names = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith("layerfs-lazy-fetch-")) {
        names.add(t.getName());
      }
    }
    return names;
  }

  /** Every file under {@code blobs/} hashes to its name. */
  private static void assertOnlyVerifiedBlobs(Path store) throws IOException {
    try (Stream<Path> walk = Files.walk(store.resolve("blobs"))) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        Digest expected = Digest.parse(p.getParent().getFileName() + ":" + p.getFileName());
        MessageDigest md = expected.newMessageDigest();
        try (InputStream in = Files.newInputStream(p)) {
          byte[] buf = new byte[1 << 16];
          int n;
          while ((n = in.read(buf)) > 0) {
            md.update(buf, 0, n);
          }
        }
        assertEquals(expected, Digest.of(expected.algorithm(), md.digest()), p.toString());
      }
    }
  }
}
