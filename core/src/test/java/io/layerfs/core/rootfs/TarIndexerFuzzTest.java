package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import io.layerfs.testing.Props;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

/**
 * Random mutations of valid layer tars, seeded from the kinds of entries of {@link
 * HostileLayerTest}: the indexer, and the merged tree over its index, either answer or throw an
 * {@link IOException}, never another exception, never hang. A few hundred examples in CI;
 * {@code -Dlayerfs.fuzz.tries=N} runs more, and a failure prints the seed that repeats it.
 */
class TarIndexerFuzzTest {
  private static final int TRIES = Integer.getInteger("layerfs.fuzz.tries", 300);
  private static final Duration PER_EXAMPLE = Duration.ofSeconds(10);

  private static final List<byte[]> SEEDS = List.of(
      new TestTars().dir("etc", 0755).file("etc/hosts", "127.0.0.1 localhost\n")
          .symlink("lnk", "../../etc/hosts").hardlink("hl", "etc/hosts")
          .file("a/.wh.b", "").file("a/.wh..wh..opq", "").bytes(),
      new TestTars().withPax("p/" + "ü".repeat(80), "data",
              Map.of("SCHILY.xattr.user.k", "v", "mtime", "1700000000.5"))
          .device("dev/null", TarConstants.LF_CHR, 1, 3).device("f", TarConstants.LF_FIFO, 0, 0)
          .bytes(),
      new TestTars().gnuLongNames().file("g/" + "n".repeat(200), "long")
          .symlink("g/l", "/" + "t".repeat(150)).file("x", "x".repeat(70_000)).bytes(),
      TestTars.concat(TestTars.rawHeader("PaxHeaders/x", (byte) 'x', 30, false),
          TestTars.pad("30 path=../../../../etc/pw\n   ".getBytes(StandardCharsets.US_ASCII)),
          TestTars.rawHeader("x", (byte) '0', 3, false), TestTars.pad(new byte[] {1, 2, 3}),
          new byte[1024]));

  private final AtomicInteger indexed = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();

  @Test
  void mutatedTarsIndexOrFailWithAnIoException() {
    Props.tries(TRIES).qt()
        .withShrinkCycles(50)
        .forAll(Generate.longRange(0, Long.MAX_VALUE), Generate.range(0, SEEDS.size() - 1),
            Generate.range(1, 6))
        .checkAssert((seed, base, count) -> assertTimeoutPreemptively(PER_EXAMPLE,
            () -> indexOrIoException(mutate(SEEDS.get(base), count, new Random(seed)))));
    // mutations that always broke the tar, or never did, would test one path only
    assertTrue(indexed.get() > 0 && refused.get() > 0, indexed + " indexed, " + refused
        + " refused");
  }

  private void indexOrIoException(byte[] tar) {
    try {
      LayerIndex x = TarIndexer.index(new ByteArrayInputStream(tar));
      MergedTree t = MergedTree.of(List.of(x, x), List.of(Digest.sha256(tar),
          Digest.sha256(new byte[0])));
      walk(t, "/", 0);
      indexed.incrementAndGet();
    } catch (IOException expected) {
      // the one allowed failure
      refused.incrementAndGet();
    }
  }

  private static void walk(MergedTree t, String dir, int depth) throws IOException {
    for (String name : t.list(dir)) {
      String p = dir.equals("/") ? "/" + name : dir + "/" + name;
      Node n = t.lookup(p, false);
      t.find(p, true);
      if (n.type() == EntryType.DIRECTORY && depth < 50) {
        walk(t, p, depth + 1);
      }
    }
  }

  /** {@code count} random edits: byte flips, header field garbage, cuts, inserts, repeats. */
  static byte[] mutate(byte[] tar, int count, Random r) {
    byte[] b = tar.clone();
    for (int i = 0; i < count && b.length > 0; i++) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(7)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[at] = (byte) r.nextInt(256);
        case 2 -> {
          // a numeric field of a header (mode, uid, gid, size, mtime, checksum) with digits
          int header = at / 512 * 512;
          int[] fields = {100, 108, 116, 124, 136, 148};
          int f = header + fields[r.nextInt(fields.length)];
          for (int k = 0; k < 11 && f + k < b.length; k++) {
            b[f + k] = (byte) (r.nextBoolean() ? '7' : "0123456789 \0\u0080\u00ff".charAt(
                r.nextInt(14)));
          }
        }
        case 3 -> b = Arrays.copyOf(b, at);
        case 4 -> {
          ByteArrayOutputStream o = new ByteArrayOutputStream();
          o.write(b, 0, at);
          byte[] junk = new byte[1 + r.nextInt(600)];
          r.nextBytes(junk);
          o.writeBytes(junk);
          o.write(b, at, b.length - at);
          b = o.toByteArray();
        }
        case 5 -> {
          // a 512-byte record repeated: a header seen twice, data read as a header
          int rec = at / 512 * 512;
          int len = Math.min(512, b.length - rec);
          ByteArrayOutputStream o = new ByteArrayOutputStream();
          o.write(b, 0, rec + len);
          o.write(b, rec, len);
          o.write(b, rec + len, b.length - rec - len);
          b = o.toByteArray();
        }
        default -> {
          // a type flag from the whole alphabet tar readers know
          int header = at / 512 * 512 + 156;
          if (header < b.length) {
            b[header] = (byte) "0123456789LKSAxgDMNV\0".charAt(r.nextInt(21));
          }
        }
      }
    }
    return b;
  }
}
