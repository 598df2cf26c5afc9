package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.estargz.FileRangedBlob;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The partial blob under concurrent readers and prefetches: fetches run outside its monitor, so
 * these check that every read still gets the blob's bytes, that no byte is fetched twice (a
 * reader waits for the fetch under way rather than asking again), that the saved ranges name
 * only bytes that arrived, and that a failed prefetch leaves the reader to fetch for itself.
 */
class PartialBlobTest {
  @TempDir static Path tmp;
  private static byte[] bytes;
  private static Path file;
  private static Digest digest;

  @BeforeAll
  static void data() throws IOException {
    bytes = new byte[2 << 20];
    new Random(17).nextBytes(bytes);
    file = tmp.resolve("blob");
    Files.write(file, bytes);
    digest = Digest.sha256(bytes);
  }

  @Test
  void concurrentReadersAndPrefetchesGetTheBlobsBytesFetchingEachOnce() throws Exception {
    for (int round = 0; round < 5; round++) {
      Path dir = Files.createTempDirectory(tmp, "concurrent");
      PartialBlob blob = PartialBlob.open(dir, new Slow(new FileRangedBlob(file, digest)),
          bytes.length);
      ExecutorService pool = Executors.newFixedThreadPool(4);
      CountDownLatch start = new CountDownLatch(1);
      try {
        List<Future<?>> readers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          long seed = round * 10L + t;
          readers.add(pool.submit(() -> {
            start.await();
            Random r = new Random(seed);
            for (int i = 0; i < 30; i++) {
              int off = r.nextInt(bytes.length);
              int len = r.nextInt(Math.min(96 << 10, bytes.length - off)) + 1;
              if (r.nextInt(3) == 0) {
                blob.prefetch(off, off + len);
                continue;
              }
              byte[] got;
              try (InputStream in = blob.open(off, len)) {
                got = in.readAllBytes();
              }
              assertArrayEquals(Arrays.copyOfRange(bytes, off, off + len), got,
                  "bytes " + off + "+" + len);
            }
            return null;
          }));
        }
        start.countDown();
        for (Future<?> f : readers) {
          f.get();
        }
        long fetched = blob.fetchedBytes(); // waits for prefetches still under way
        assertEquals(blob.localBytes(), fetched, "a byte was fetched twice");
        blob.close();
        PartialBlob again = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
        try {
          assertEquals(fetched, again.localBytes(), "the saved ranges differ from the held ones");
          try (InputStream in = again.open(0, bytes.length)) {
            assertArrayEquals(bytes, in.readAllBytes());
          }
          assertEquals(bytes.length - fetched, again.fetchedBytes(), "held bytes fetched again");
        } finally {
          again.close();
        }
      } finally {
        pool.shutdownNow();
        blob.close();
      }
    }
  }

  @Test
  void aReaderWaitsForThePrefetchOfItsBytesInsteadOfAskingAgain() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "wait");
    Slow remote = new Slow(new FileRangedBlob(file, digest));
    PartialBlob blob = PartialBlob.open(dir, remote, bytes.length);
    try {
      blob.prefetch(1000, 300_000);
      try (InputStream in = blob.open(2000, 1000)) {
        assertArrayEquals(Arrays.copyOfRange(bytes, 2000, 3000), in.readAllBytes());
      }
      assertEquals(299_000, blob.fetchedBytes());
      assertEquals(1, remote.opens.get(), "the reader asked for bytes being prefetched");
    } finally {
      blob.close();
    }
  }

  @Test
  void aFailedPrefetchIsFetchedByTheReader() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "failed");
    Slow remote = new Slow(new FileRangedBlob(file, digest));
    remote.failFirst = true;
    PartialBlob blob = PartialBlob.open(dir, remote, bytes.length);
    try {
      blob.prefetch(0, 100_000);
      try (InputStream in = blob.open(0, 100_000)) {
        assertArrayEquals(Arrays.copyOf(bytes, 100_000), in.readAllBytes());
      }
      assertEquals(2, remote.opens.get());
      assertEquals(100_000, blob.fetchedBytes(), "what arrived before the failure was kept");
      assertEquals(100_000, blob.localBytes());
    } finally {
      blob.close();
    }
  }

  /** An unchecked exception in a prefetch still releases its claim: the reader fetches. */
  @Test
  @Timeout(60) // a claim left behind would make the reader wait forever
  void aPrefetchFailingUncheckedReleasesItsClaim() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "unchecked");
    Slow remote = new Slow(new FileRangedBlob(file, digest));
    remote.failFirst = true;
    remote.unchecked = true;
    PartialBlob blob = PartialBlob.open(dir, remote, bytes.length);
    try {
      blob.prefetch(0, 100_000);
      try (InputStream in = blob.open(0, 100_000)) {
        assertArrayEquals(Arrays.copyOf(bytes, 100_000), in.readAllBytes());
      }
      assertEquals(2, remote.opens.get());
    } finally {
      blob.close();
    }
  }

  /**
   * A remote blob whose streams trickle (a pause each 16 KiB), so fetches overlap, and whose
   * first stream can be made to fail half-way.
   */
  /**
   * A reader whose chunk check fails forgets the chunk's range and ensures it again; once the
   * blob is stored and verified, that fetched into the store's read-only blob and failed with
   * {@code NonWritableChannelException} (seen when a read met the completion of a background
   * fetch). The verified bytes are read instead, with no request.
   */
  @Test
  void aStoredBlobIsNeverFetchedIntoAgain() throws IOException {
    byte[] bytes = new byte[200_000];
    new Random(5).nextBytes(bytes);
    Path dir = Files.createTempDirectory(tmp, "stored");
    Path file = Files.write(dir.resolve("remote"), bytes);
    PartialBlob blob = PartialBlob.open(dir.resolve("lazy"),
        new FileRangedBlob(file, Digest.sha256(bytes)), bytes.length);
    try {
      blob.complete(ContentStore.open(dir.resolve("store")));
      long requests = blob.requests();
      blob.forget(1000, 2000);
      blob.ensure(1000, 2000);
      try (InputStream in = blob.open(1000, 1000)) {
        assertArrayEquals(Arrays.copyOfRange(bytes, 1000, 2000), in.readAllBytes());
      }
      assertEquals(requests, blob.requests(), "requests after the blob was stored");
    } finally {
      blob.close();
    }
  }

  /**
   * A held byte damaged on disk (or a range the list names that never reached the disk) fails
   * the digest check of a completion: the piece that fails its sum is fetched again, and only
   * it, in the same completion, which then stores the remote's verified bytes.
   */
  @Test
  void aCompletionOverDamagedHeldBytesFetchesThemAgainAndStoresTheRightBlob() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "damaged");
    PartialBlob before = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
    try {
      before.ensure(0, bytes.length);
    } finally {
      before.close();
    }
    Path part = dir.resolve(PartialBlob.DATA);
    byte[] held = Files.readAllBytes(part);
    held[held.length / 3] ^= 0x40;
    Files.write(part, held);

    ContentStore store = ContentStore.open(dir.resolve("store"));
    PartialBlob blob = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
    try {
      blob.complete(store);
      assertEquals(PartialBlob.PIECE, blob.fetchedBytes(), "the damaged piece fetched again");
      assertArrayEquals(bytes, Files.readAllBytes(store.blobPath(digest)));
    } finally {
      blob.close();
    }
  }

  /**
   * Held bytes damaged on disk, in every way a disk or a careless hand damages them (a flipped
   * byte, a zeroed block, the file cut short), are never served: each damaged piece is dropped
   * and fetched again, and only it.
   */
  @Test
  void heldBytesDamagedOnDiskAreFetchedAgainNotServed() throws IOException {
    record Damage(String name, int at, java.util.function.UnaryOperator<byte[]> apply) {}
    int at = 700_000; // inside a piece, not at its start
    List<Damage> damages = List.of(
        new Damage("flipped byte", at, b -> {
          b[at] ^= 0x20;
          return b;
        }),
        new Damage("zeroed block", at, b -> {
          Arrays.fill(b, at - at % 4096, at - at % 4096 + 4096, (byte) 0);
          return b;
        }),
        new Damage("last byte flipped", bytes.length - 1, b -> {
          b[b.length - 1] ^= 0x01;
          return b;
        }),
        new Damage("cut short", bytes.length - 10, b -> Arrays.copyOf(b, b.length - 10)));
    for (Damage d : damages) {
      Path dir = Files.createTempDirectory(tmp, "held");
      PartialBlob before = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
      try {
        before.ensure(0, bytes.length);
      } finally {
        before.close();
      }
      Path part = dir.resolve(PartialBlob.DATA);
      Files.write(part, d.apply().apply(Files.readAllBytes(part)));
      PartialBlob blob = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
      try {
        int from = Math.max(0, d.at() - 100_000);
        int to = Math.min(bytes.length, d.at() + 100_000);
        assertArrayEquals(Arrays.copyOfRange(bytes, from, to), read(blob, from, to - from),
            d.name());
        assertEquals(PartialBlob.PIECE, blob.fetchedBytes(), d.name() + ": one piece again");
        assertArrayEquals(bytes, read(blob, 0, bytes.length), d.name());
      } finally {
        blob.close();
      }
    }
  }

  /**
   * A disk that keeps losing what is written (here {@code /dev/zero}: writes vanish, reads give
   * zeros) makes the read fail, naming the blob, the bytes and the file, after one fetch again:
   * the zeros are never served.
   */
  @Test
  void aPieceDamagedAgainAfterItsFetchIsAnErrorNamingTheBlobTheBytesAndTheFile()
      throws IOException {
    Path zero = Path.of("/dev/zero");
    Assumptions.assumeTrue(Files.isWritable(zero), "needs /dev/zero (Linux)");
    Path dir = Files.createTempDirectory(tmp, "lossy");
    Files.createSymbolicLink(dir.resolve(PartialBlob.DATA), zero);
    PartialBlob blob = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
    try {
      IOException e = assertThrows(IOException.class, () -> read(blob, 70_000, 1000));
      assertTrue(e.getMessage().contains(digest.toString())
          && e.getMessage().contains("bytes 70000-71000")
          && e.getMessage().contains(dir.resolve(PartialBlob.DATA).toString())
          && e.getMessage().contains("CRC32C"), e.getMessage());
      assertEquals(2000, blob.fetchedBytes(), "fetched again once");
    } finally {
      blob.close();
    }
  }

  /**
   * A ranges list of version 1 ({@code START END} lines, no sums) is still read: its bytes are
   * not fetched again, and the list is saved in version 2, with their sums, once they were read.
   */
  @Test
  void aListWithoutSumsIsReadAndSavedWithThem() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "v1");
    Files.write(dir.resolve(PartialBlob.DATA), Arrays.copyOf(bytes, 300_000));
    Files.writeString(dir.resolve(PartialBlob.RANGES), "0 300000\n");
    PartialBlob blob = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
    try {
      assertEquals(300_000, blob.localBytes());
      assertArrayEquals(Arrays.copyOfRange(bytes, 0, 300_000), read(blob, 0, 300_000));
      assertEquals(0, blob.fetchedBytes(), "held bytes not fetched again");
    } finally {
      blob.close();
    }
    List<String> saved = Files.readAllLines(dir.resolve(PartialBlob.RANGES));
    assertEquals(RangeList.HEADER, saved.get(0));
    assertEquals(2, saved.size(), saved.toString());
    assertTrue(saved.get(1).matches("0 300000( [0-9a-f]{8}){5}"), saved.get(1));
    assertEquals(300_000, PartialBlob.heldBytes(dir));

    byte[] damaged = Files.readAllBytes(dir.resolve(PartialBlob.DATA));
    damaged[200_000] ^= 0x01;
    Files.write(dir.resolve(PartialBlob.DATA), damaged);
    PartialBlob again = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
    try {
      assertArrayEquals(Arrays.copyOfRange(bytes, 0, 300_000), read(again, 0, 300_000));
      assertEquals(PartialBlob.PIECE, again.fetchedBytes(), "the damaged piece fetched again");
    } finally {
      again.close();
    }
  }

  /**
   * Held bytes of a list without sums (version 1) damaged on disk: no piece can be told apart,
   * so the completion drops them all and fetches the whole blob again.
   */
  @Test
  void aCompletionOverDamagedBytesWithoutSumsFetchesTheWholeBlobAgain() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "damaged-v1");
    byte[] held = bytes.clone();
    held[held.length / 3] ^= 0x40;
    Files.write(dir.resolve(PartialBlob.DATA), held);
    Files.writeString(dir.resolve(PartialBlob.RANGES), "0 " + bytes.length + "\n");
    ContentStore store = ContentStore.open(dir.resolve("store"));
    PartialBlob blob = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
    try {
      blob.complete(store);
      assertEquals(bytes.length, blob.fetchedBytes(), "the whole blob fetched again");
      assertArrayEquals(bytes, Files.readAllBytes(store.blobPath(digest)));
    } finally {
      blob.close();
    }
  }

  /** Wrong bytes from the remote itself fail the completion after one fetch, and store nothing. */
  @Test
  void aRemoteServingWrongBytesFailsTheCompletionAndStoresNothing() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "wrong");
    byte[] wrong = bytes.clone();
    wrong[wrong.length / 2] ^= 0x01;
    Path wrongFile = Files.write(dir.resolve("remote"), wrong);
    ContentStore store = ContentStore.open(dir.resolve("store"));
    PartialBlob blob = PartialBlob.open(dir.resolve("lazy"),
        new FileRangedBlob(wrongFile, digest), bytes.length);
    try {
      IOException e = assertThrows(IOException.class, () -> blob.complete(store));
      assertTrue(e.getMessage().contains("do not verify"), e.getMessage());
      assertEquals(bytes.length, blob.fetchedBytes(), "fetched once: nothing was held before");
      assertFalse(store.contains(digest));
    } finally {
      blob.close();
    }
  }

  /**
   * A completion whose store cannot take the blob (here its rename fails: {@code blobs/sha256} is
   * a file; a full disk fails the commit's last write or fsync the same way) is the store's error,
   * naming the blob and the file, not a digest mismatch: the held bytes are kept, not fetched
   * again, and the next completion stores them.
   */
  @Test
  void aStoreFailingTheCompletionsCommitIsNoMismatchAndKeepsTheHeldBytes() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "unstorable");
    Path lazy = dir.resolve("lazy");
    PartialBlob before = PartialBlob.open(lazy, new FileRangedBlob(file, digest), bytes.length);
    try {
      before.ensure(0, bytes.length);
    } finally {
      before.close();
    }
    ContentStore store = ContentStore.open(dir.resolve("store"));
    Path algorithmDir = store.blobsDir().resolve(digest.algorithm());
    Files.createDirectories(algorithmDir.getParent());
    io.layerfs.core.internal.FileTrees.deleteTree(algorithmDir);
    Files.write(algorithmDir, new byte[0]);
    PartialBlob blob = PartialBlob.open(lazy, new FileRangedBlob(file, digest), bytes.length);
    try {
      IOException e = assertThrows(IOException.class, () -> blob.complete(store));
      assertFalse(e.getMessage().contains("verify"), e.getMessage());
      assertTrue(e.getMessage().contains(digest.toString())
          && e.getMessage().contains(lazy.resolve(PartialBlob.DATA).toString()), e.getMessage());
      assertEquals(0, blob.fetchedBytes(), "nothing fetched again");
      assertEquals(bytes.length, blob.localBytes(), "the held bytes kept");

      Files.delete(algorithmDir);
      blob.complete(store);
      assertEquals(0, blob.fetchedBytes());
      assertArrayEquals(bytes, Files.readAllBytes(store.blobPath(digest)));
    } finally {
      blob.close();
    }
  }

  /**
   * A full disk while fetched bytes are kept is an IOException naming the blob and the file
   * ({@code /dev/full} stands for the disk: every write to it fails with ENOSPC), and nothing
   * is taken as held.
   */
  @Test
  void aFullDiskWhileFetchingNamesTheBlobAndTheFile() throws IOException {
    Path full = Path.of("/dev/full");
    Assumptions.assumeTrue(Files.isWritable(full), "needs /dev/full (Linux)");
    Path dir = Files.createTempDirectory(tmp, "full");
    Files.createSymbolicLink(dir.resolve(PartialBlob.DATA), full);
    PartialBlob blob = PartialBlob.open(dir, new FileRangedBlob(file, digest), bytes.length);
    try {
      IOException e = assertThrows(IOException.class, () -> blob.ensure(0, 1000));
      assertTrue(e.getMessage().contains(digest.toString())
          && e.getMessage().contains(dir.resolve(PartialBlob.DATA).toString())
          && e.getMessage().contains("No space left on device"), e.getMessage());
      assertEquals(0, blob.localBytes());
    } finally {
      blob.close();
    }
  }

  /**
   * Another process completed the blob (a pull) and gc removed the lazy folder while this one
   * still reads through its partial blob: its reads go on, with the blob's bytes, though the
   * list of held ranges can no longer be saved (it only spares later processes a fetch).
   */
  @Test
  void readsGoOnWhenAnotherProcessCompletedTheBlobAndGcRemovedTheFolder() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "gone");
    Path lazy = dir.resolve("lazy");
    PartialBlob reader = PartialBlob.open(lazy, new FileRangedBlob(file, digest), bytes.length);
    try {
      assertArrayEquals(Arrays.copyOfRange(bytes, 0, 1000), read(reader, 0, 1000));
      PartialBlob other = PartialBlob.open(lazy, new FileRangedBlob(file, digest), bytes.length);
      try {
        other.complete(ContentStore.open(dir.resolve("store")));
      } finally {
        other.close();
      }
      io.layerfs.core.internal.FileTrees.deleteTree(lazy);
      assertArrayEquals(Arrays.copyOfRange(bytes, 500_000, 600_000),
          read(reader, 500_000, 100_000));
    } finally {
      reader.close();
    }
  }

  private static byte[] read(PartialBlob blob, long offset, int length) throws IOException {
    try (InputStream in = blob.open(offset, length)) {
      return in.readAllBytes();
    }
  }

  private static final class Slow implements RangedBlob {
    final RangedBlob inner;
    final AtomicInteger opens = new AtomicInteger();
    volatile boolean failFirst;
    volatile boolean unchecked;

    Slow(RangedBlob inner) {
      this.inner = inner;
    }

    @Override
    public Digest digest() {
      return inner.digest();
    }

    @Override
    public long size() throws IOException {
      return inner.size();
    }

    @Override
    public InputStream open(long offset, long length) throws IOException {
      boolean fail = opens.incrementAndGet() == 1 && failFirst;
      InputStream in = inner.open(offset, length);
      return new InputStream() {
        long read;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (fail && read >= length / 2) {
            if (unchecked) {
              throw new IllegalStateException("a bug in a client (test)");
            }
            throw new IOException("connection reset (test)");
          }
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
          }
          int n = in.read(b, off, Math.min(len, 16 << 10));
          read += Math.max(0, n);
          return n;
        }

        @Override
        public void close() throws IOException {
          in.close();
        }
      };
    }
  }
}
