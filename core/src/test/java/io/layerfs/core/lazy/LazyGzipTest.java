package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.estargz.FileRangedBlob;
import io.layerfs.testing.Props;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.Generate;

/**
 * The lazy inflater of plain gzip layers against a local gzip: random reads equal the same
 * bytes of a full inflate, the compressed blob is fetched only as far as the reads reach, and
 * damage is an error, never other bytes passed as verified.
 */
class LazyGzipTest {
  @TempDir static Path tmp;
  private static byte[] plain;
  private static Path gz;
  private static Digest digest;

  @BeforeAll
  static void data() throws IOException {
    Random r = new Random(11);
    plain = new byte[3 << 20];
    for (int i = 0; i < plain.length; i++) {
      plain[i] = (byte) (r.nextInt(3) == 0 ? r.nextInt() : 'a' + i % 7);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(plain);
    }
    gz = tmp.resolve("layer.gz");
    Files.write(gz, out.toByteArray());
    digest = Digest.sha256(out.toByteArray());
  }

  @Test
  void randomReadsEqualAFullInflate() {
    Props.tries(40).qt()
        .forAll(Generate.longRange(0, Long.MAX_VALUE), Generate.range(1, 12))
        .checkAssert(Props.io((seed, reads) -> {
          Path dir = Files.createTempDirectory(tmp, "lazy");
          RangedBlob remote = new FileRangedBlob(gz, digest);
          PartialBlob blob = PartialBlob.open(dir, remote, remote.size());
          try (LazyGzip lazy = new LazyGzip(dir, blob, Digest.sha256(plain))) {
            Random r = new Random(seed);
            long furthest = 0;
            for (int i = 0; i < reads; i++) {
              int pos = r.nextInt(plain.length + 100);
              int len = r.nextInt(200_000);
              ByteBuffer b = ByteBuffer.allocate(len);
              int n = lazy.read(pos, b);
              int expected = Math.max(0, Math.min(len, plain.length - pos));
              if (pos >= plain.length && len > 0) {
                assertEquals(-1, n);
              } else {
                assertEquals(expected, n);
                assertArrayEquals(Arrays.copyOfRange(plain, pos, pos + expected),
                    Arrays.copyOf(b.array(), expected));
              }
              furthest = Math.max(furthest, Math.min(plain.length, (long) pos + len));
            }
            assertTrue(lazy.frontier() >= furthest);
            if (!lazy.verified()) {
              // not at the end: the fetch stopped short of the blob's end
              assertTrue(blob.localBytes() <= remote.size());
            }
          } finally {
            blob.close();
          }
        }));
  }

  @Test
  void aReadNearTheStartFetchesOnlyTheStart() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "start");
    RangedBlob remote = new FileRangedBlob(gz, digest);
    PartialBlob blob = PartialBlob.open(dir, remote, remote.size());
    try (LazyGzip lazy = new LazyGzip(dir, blob, Digest.sha256(plain))) {
      lazy.read(1000, ByteBuffer.allocate(100));
      assertEquals(LazyGzip.FIRST_BLOCK, blob.fetchedBytes());
      assertTrue(remote.size() > 2 * LazyGzip.FIRST_BLOCK, "the test needs a larger blob");
      lazy.inflateAll();
      assertTrue(lazy.verified());
      assertEquals(remote.size(), blob.fetchedBytes(), "each byte fetched once");
    } finally {
      blob.close();
    }
  }

  /**
   * Reads inflate without hashing; the DiffID is still checked over every byte when the stream
   * ends, whether a read reaches the end or {@link LazyGzip#inflateAll} does.
   */
  @Test
  void theDiffIdCoversBytesInflatedByReads() throws IOException {
    for (boolean byRead : new boolean[] {true, false}) {
      for (boolean right : new boolean[] {true, false}) {
        Path dir = Files.createTempDirectory(tmp, "hash");
        RangedBlob remote = new FileRangedBlob(gz, digest);
        PartialBlob blob = PartialBlob.open(dir, remote, remote.size());
        Digest diffId = right ? Digest.sha256(plain) : Digest.sha256(new byte[1]);
        try (LazyGzip lazy = new LazyGzip(dir, blob, diffId)) {
          lazy.read(plain.length / 3, ByteBuffer.allocate(1000));
          lazy.read(plain.length / 2, ByteBuffer.allocate(1000));
          if (right) {
            if (byRead) {
              assertEquals(10, lazy.read(plain.length - 10, ByteBuffer.allocate(100)));
              assertEquals(-1, lazy.read(plain.length, ByteBuffer.allocate(100)));
            } else {
              lazy.inflateAll();
            }
            assertTrue(lazy.verified());
            assertEquals(Digest.sha256(plain),
                Digest.sha256(lazy.openPrefix().readAllBytes()));
          } else {
            IOException e = assertThrows(IOException.class, byRead
                ? () -> lazy.read(plain.length, ByteBuffer.allocate(100)) : lazy::inflateAll);
            assertTrue(e.getMessage().contains("DiffID"), e.getMessage());
          }
        } finally {
          blob.close();
        }
      }
    }
  }

  /**
   * Two processes reading one layer by path each inflate it with their own inflater: the second
   * must never truncate or overwrite the first one's inflated prefix, which the first reads back
   * unverified (two instances over one folder stand for the two processes).
   */
  @Test
  void twoProcessesReadingOneLayerKeepTheirOwnPrefix() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "two");
    RangedBlob remote = new FileRangedBlob(gz, digest);
    PartialBlob first = PartialBlob.open(dir, remote, remote.size());
    PartialBlob second = PartialBlob.open(dir, remote, remote.size());
    int at = 1 << 20;
    try (LazyGzip a = new LazyGzip(dir, first, Digest.sha256(plain))) {
      assertArrayEquals(slice(at, 4096), read(a, at, 4096));
      try (LazyGzip b = new LazyGzip(dir, second, Digest.sha256(plain))) {
        assertArrayEquals(slice(0, 4096), read(b, 0, 4096));
        assertArrayEquals(slice(2 * at, 4096), read(a, 2 * at, 4096));
        assertArrayEquals(slice(at / 2, 4096), read(a, at / 2, 4096),
            "bytes behind the first reader's frontier");
        assertArrayEquals(slice(at / 2, 4096), read(b, at / 2, 4096));
      }
      a.inflateAll();
      assertTrue(a.verified());
    } finally {
      first.close();
      second.close();
    }
  }

  private static byte[] slice(int from, int length) {
    return Arrays.copyOfRange(plain, from, from + length);
  }

  private static byte[] read(LazyGzip lazy, long position, int length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(length);
    while (b.hasRemaining()) {
      if (lazy.read(position + b.position(), b) < 0) {
        break;
      }
    }
    return Arrays.copyOf(b.array(), b.position());
  }

  /**
   * Held compressed bytes damaged on disk make the stream fail a check: they are fetched again
   * and the layer inflated from its start, so the read gets the layer's bytes.
   */
  @Test
  void damagedHeldBytesHealFromTheRemote() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "heal");
    RangedBlob remote = new FileRangedBlob(gz, digest);
    PartialBlob before = PartialBlob.open(dir, remote, remote.size());
    try {
      before.ensure(0, remote.size());
    } finally {
      before.close();
    }
    Path part = dir.resolve(PartialBlob.DATA);
    byte[] held = Files.readAllBytes(part);
    held[held.length / 2] ^= 0x10;
    Files.write(part, held);
    PartialBlob blob = PartialBlob.open(dir, remote, remote.size());
    try (LazyGzip lazy = new LazyGzip(dir, blob, Digest.sha256(plain))) {
      lazy.inflateAll();
      assertTrue(lazy.verified());
      assertArrayEquals(plain, lazy.openPrefix().readAllBytes());
      assertArrayEquals(slice(plain.length - 4096, 4096), read(lazy, plain.length - 4096, 4096));
    } finally {
      blob.close();
    }
  }

  /**
   * Held compressed bytes damaged on disk behind the read, before the end of the gzip member
   * (whose CRC-32 would refuse them only after their bytes were served): the piece's CRC32C
   * refuses them first, that piece alone is fetched again, and the read gets the layer's bytes.
   */
  @Test
  void heldBytesDamagedOnDiskAreFetchedAgainBeforeAByteOfThemIsServed() throws IOException {
    RangedBlob remote = new FileRangedBlob(gz, digest);
    for (int eighth = 1; eighth < 7; eighth++) {
      Path dir = Files.createTempDirectory(tmp, "damaged-" + eighth);
      PartialBlob before = PartialBlob.open(dir, remote, remote.size());
      try {
        before.ensure(0, remote.size());
      } finally {
        before.close();
      }
      Path part = dir.resolve(PartialBlob.DATA);
      byte[] held = Files.readAllBytes(part);
      held[(int) (held.length * eighth / 8)] ^= 0x04;
      Files.write(part, held);
      PartialBlob blob = PartialBlob.open(dir, remote, remote.size());
      try (LazyGzip lazy = new LazyGzip(dir, blob, Digest.sha256(plain))) {
        int upTo = plain.length * 7 / 8;
        assertArrayEquals(slice(0, upTo), read(lazy, 0, upTo), "damage at " + eighth + "/8");
        assertTrue(blob.fetchedBytes() <= 2 * PartialBlob.PIECE,
            "only the damaged piece fetched again: " + blob.fetchedBytes());
      } finally {
        blob.close();
      }
    }
  }

  @Test
  void damageIsDetected() throws IOException {
    byte[] bad = Files.readAllBytes(gz);
    bad[bad.length / 2] ^= 0x10;
    Path badFile = tmp.resolve("bad.gz");
    Files.write(badFile, bad);
    Path dir = Files.createTempDirectory(tmp, "bad");
    RangedBlob remote = new FileRangedBlob(badFile, digest);
    PartialBlob blob = PartialBlob.open(dir, remote, remote.size());
    try (LazyGzip lazy = new LazyGzip(dir, blob, Digest.sha256(plain))) {
      IOException e = assertThrows(IOException.class, lazy::inflateAll);
      assertTrue(e.getMessage().contains(digest.toString()), e.getMessage());
    } finally {
      blob.close();
    }
  }

  @Test
  void aWrongDiffIdIsDetectedAtTheEnd() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "diffid");
    RangedBlob remote = new FileRangedBlob(gz, digest);
    PartialBlob blob = PartialBlob.open(dir, remote, remote.size());
    try (LazyGzip lazy = new LazyGzip(dir, blob, Digest.sha256(new byte[1]))) {
      IOException e = assertThrows(IOException.class, lazy::inflateAll);
      assertTrue(e.getMessage().contains("DiffID"), e.getMessage());
    } finally {
      blob.close();
    }
  }
}
