package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.estargz.FileRangedBlob;
import io.layerfs.core.estargz.RawTarReader;
import io.layerfs.core.estargz.Toc;
import io.layerfs.testing.Props;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.zip.DataFormatException;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.generators.Generate;

/**
 * Lookups in plain gzip layers that search the compressed stream ({@link GzipSeek} through
 * {@link LazyLayer#lookup}): random tars sorted in either order image tools write, gzipped at
 * levels 1, 6 and 9 and by gzip(1) when it is installed, read every file right and fetch far less
 * than the stream up to a deep file; unsorted tars read right (from the start); a damaged
 * compressed byte gives an error, or the bytes a read from the start gives, or the right ones;
 * never others.
 */
class GzipSeekTest {
  @TempDir static Path tmp;

  /** One tar entry of a generated layer. */
  record Item(String name, char type, byte[] data, String link) {}

  @Test
  void everyFileOfARandomSortedTarReadsRight() {
    AtomicInteger sought = new AtomicInteger();
    Props.tries(10).qt().withShrinkCycles(2)
        .forAll(Generate.longRange(0, Long.MAX_VALUE), Generate.range(0, 7))
        .checkAssert(Props.io((seed, variant) -> {
          Random r = new Random(seed);
          List<Item> items = sortedItems(r, variant % 2 == 0 ? TarNames.Order.PATH
              : TarNames.Order.WALK, 3 << 20);
          byte[] tar = tar(items);
          Fixture f = new Fixture(gzip(tar, variant / 2), tar);
          try {
            for (Item item : sample(r, items, 25)) {
              check(f, items, item);
            }
            sought.addAndGet((int) f.layer.seekProbes());
          } finally {
            f.close();
          }
        }));
    assertTrue(sought.get() > 0, "no lookup searched the stream");
  }

  @Test
  void aDeepFileOfASortedTarFetchesFarLessThanTheStreamUpToIt() throws IOException {
    Random r = new Random(26);
    List<Item> items = sortedItems(r, TarNames.Order.PATH, 24 << 20);
    byte[] tar = tar(items);
    byte[] gz = gzip(tar, 2);
    Item deep = items.get(items.size() * 9 / 10);
    while (deep.type() != '0') {
      deep = items.get(items.indexOf(deep) - 1);
    }
    Fixture f = new Fixture(gz, tar);
    try {
      LazyLayer.Lookup found = f.layer.lookup("/" + deep.name());
      assertArrayEquals(deep.data(), found.data());
      long fetched = f.layer.fetchedBytes();
      assertTrue(fetched < gz.length / 4, fetched + " of " + gz.length + " bytes fetched");
      assertTrue(f.layer.seekProbes() > 0);
    } finally {
      f.close();
    }
  }

  /**
   * While a probe inflates, the search fetches both places its next probe may go to (left or
   * right of it): those requests are made ahead, on other threads, and the lookup waits for
   * fewer round trips to a registry.
   */
  @Test
  void aSearchFetchesItsNextProbesAhead() throws IOException {
    Random r = new Random(26);
    List<Item> items = sortedItems(r, TarNames.Order.PATH, 24 << 20);
    byte[] tar = tar(items);
    byte[] gz = gzip(tar, 2);
    Item deep = items.get(items.size() * 9 / 10);
    while (deep.type() != '0') {
      deep = items.get(items.indexOf(deep) - 1);
    }
    Thread reader = Thread.currentThread();
    AtomicInteger requests = new AtomicInteger();
    AtomicInteger byReader = new AtomicInteger();
    Fixture f = new Fixture(gz, tar, blob -> new RangedBlob() {
      @Override
      public Digest digest() {
        return blob.digest();
      }

      @Override
      public long size() throws IOException {
        return blob.size();
      }

      @Override
      public InputStream open(long offset, long length) throws IOException {
        requests.incrementAndGet();
        if (Thread.currentThread() == reader) {
          byReader.incrementAndGet();
        }
        return blob.open(offset, length);
      }
    });
    try {
      LazyLayer.Lookup found = f.layer.lookup("/" + deep.name());
      assertArrayEquals(deep.data(), found.data());
      long fetched = f.layer.fetchedBytes(); // after the fetches ahead have ended
      assertTrue(f.layer.seekProbes() > 2, f.layer.seekProbes() + " probes");
      // the search's first probes fetched ahead (before, only a read from the start did)
      assertTrue(requests.get() - byReader.get() >= 3, "the lookup made " + byReader.get()
          + " of " + requests.get() + " requests itself");
      assertTrue(fetched < gz.length / 4, fetched + " of " + gz.length + " bytes fetched");
    } finally {
      f.close();
    }
  }

  @Test
  void anUnsortedTarReadsRightFromTheStart() {
    Props.tries(6).qt().withShrinkCycles(2)
        .forAll(Generate.longRange(0, Long.MAX_VALUE), Generate.range(0, 2))
        .checkAssert(Props.io((seed, level) -> {
          Random r = new Random(seed);
          List<Item> items = new ArrayList<>(sortedItems(r, TarNames.Order.PATH, 3 << 20));
          Collections.shuffle(items, r);
          byte[] tar = tar(items);
          Fixture f = new Fixture(gzip(tar, level), tar);
          try {
            for (Item item : sample(r, items, 15)) {
              check(f, items, item);
            }
          } finally {
            f.close();
          }
        }));
  }

  /**
   * One damaged byte: before the boundary a search starts from, it changes nothing the search
   * reads; after it, the search inflates the same bits a read from the start does (which is in
   * step up to the damage), so it serves the same bytes, or fails. (Two damaged places can give a
   * searched file damaged bytes a read from the start never reaches, as it fails at the first:
   * damage the stream's CRC and the DiffID catch only at its end, either way.)
   */
  @Test
  void aDamagedByteGivesAnErrorOrTheBytesAReadFromTheStartGives() {
    Props.tries(20).qt().withShrinkCycles(2)
        .forAll(Generate.longRange(0, Long.MAX_VALUE))
        .checkAssert(Props.io(seed -> {
          Random r = new Random(seed);
          List<Item> items = sortedItems(r, TarNames.Order.PATH, 3 << 20);
          byte[] tar = tar(items);
          byte[] gz = gzip(tar, 1);
          int at = 20 + r.nextInt(gz.length - 40);
          gz[at] ^= (byte) (1 + r.nextInt(255));
          Map<String, byte[]> fromStart = readFromStart(gz);
          for (Item item : sample(r, items, 6)) {
            if (item.type() != '0') {
              continue;
            }
            Fixture f = new Fixture(gz, tar);
            try {
              LazyLayer.Lookup l = f.layer.lookup("/" + item.name());
              byte[] original = items.stream().filter(i -> i.name().equals(item.name()))
                  .findFirst().orElseThrow().data(); // a name given twice: its first entry
              if (l != null && l.data() != null && !Arrays.equals(l.data(), original)) {
                assertArrayEquals(fromStart.get(item.name()), l.data(),
                    "neither the file's bytes nor the bytes a read from the start gives");
              }
            } catch (IOException expected) {
              // damage found: reported
            } finally {
              f.close();
            }
          }
        }));
  }

  /**
   * The lookup of {@code item} gives its entry's bytes, or link. A name given twice gives its
   * first entry, also after earlier lookups of the same layer read past both.
   */
  private static void check(Fixture f, List<Item> items, Item item) throws IOException {
    check(f.layer, items.stream().filter(i -> i.name().equals(item.name())).findFirst()
        .orElseThrow());
  }

  private static void check(LazyLayer layer, Item expected) throws IOException {
    LazyLayer.Lookup l = layer.lookup("/" + expected.name());
    assertNotNull(l, expected.name());
    switch (expected.type()) {
      case '0' -> assertArrayEquals(expected.data(), l.data(), expected.name());
      case '1', '2' -> assertEquals("/" + Toc.cleanName(expected.link()), l.linkTarget(),
          expected.name());
      default -> throw new AssertionError(expected.type());
    }
  }

  /** A lazy layer of a gzip in a folder of its own, read from a local file by range. */
  private static final class Fixture {
    final LazyLayers lazy;
    final LazyLayer layer;
    final byte[] gz;
    final byte[] tar;

    Fixture(byte[] gz, byte[] tar) throws IOException {
      this(gz, tar, blob -> blob);
    }

    /** A layer read through {@code wrap} of the file's ranged blob. */
    Fixture(byte[] gz, byte[] tar, UnaryOperator<RangedBlob> wrap) throws IOException {
      this.gz = gz;
      this.tar = tar;
      Path dir = Files.createTempDirectory(tmp, "seek");
      Path file = dir.resolve("layer.tar.gz");
      Files.write(file, gz);
      Digest digest = Digest.sha256(gz);
      lazy = new LazyLayers(ContentStore.open(dir.resolve("store")));
      Layer l = new Layer("application/vnd.oci.image.layer.v1.tar+gzip", digest, gz.length,
          Digest.sha256(tar));
      layer = lazy.attach(l, wrap.apply(new FileRangedBlob(file, digest)), null);
    }

    void close() throws IOException {
      lazy.close();
    }
  }

  /**
   * Random entries, sorted in {@code order}, about {@code total} bytes of data: names from a
   * small alphabet (so that '-', '.' and '/' decide orders), some long (PAX headers), regular
   * files of random bytes, text, or a copy of the file before (back references across files),
   * directories, symbolic and hard links, and now and then a name given twice in a row.
   */
  static List<Item> sortedItems(Random r, TarNames.Order order, int total) {
    String[] parts = {"a", "b", "a-b", "a.b", "ab", "lib", "x_1", "share", "z"};
    Set<String> names = new LinkedHashSet<>();
    int size = 0;
    List<Item> items = new ArrayList<>();
    byte[] previous = new byte[0];
    while (size < total) {
      int depth = 1 + r.nextInt(4);
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < depth; i++) {
        b.append(i == 0 ? "" : "/").append(parts[r.nextInt(parts.length)]);
        if (r.nextInt(4) == 0) {
          b.append(r.nextInt(1000));
        }
      }
      if (r.nextInt(20) == 0) {
        b.append("/").append("long-name-".repeat(12)).append(r.nextInt(100));
      }
      String name = b.toString();
      if (!names.add(name)) {
        continue;
      }
      int kind = r.nextInt(20);
      if (kind == 0) {
        items.add(new Item(name, '5', null, null));
      } else if (kind == 1) {
        items.add(new Item(name, '2', null, "/target/" + r.nextInt(50)));
      } else {
        byte[] data = content(r, previous);
        previous = data;
        size += data.length;
        items.add(new Item(name, '0', data, null));
      }
    }
    Comparator<Item> byName = (x, y) -> TarNames.compare(order, x.name(), y.name());
    items.sort(byName);
    // a directory's entries may not come before it in a tar: keep it simple, names only
    List<Item> out = new ArrayList<>();
    String lastFile = null;
    for (Item i : items) {
      out.add(i);
      if (i.type() == '0' && r.nextInt(15) == 0) {
        out.add(new Item(i.name(), '0', content(r, i.data()), null)); // the same name again
      }
      if (i.type() == '0' && lastFile != null && r.nextInt(15) == 0) {
        // a hard link to an earlier file, sorted right after that one's name in either order
        out.add(new Item(i.name() + "/~hl", '1', null, lastFile));
      }
      if (i.type() == '0') {
        lastFile = i.name();
      }
    }
    out.sort(byName); // stable: a name given twice keeps its order
    return out;
  }

  private static byte[] content(Random r, byte[] previous) {
    int kind = r.nextInt(5);
    int len = r.nextInt(8) == 0 ? r.nextInt(1 << 20) : r.nextInt(40_000);
    byte[] b = new byte[len];
    if (kind == 0) {
      r.nextBytes(b); // incompressible: stored blocks
    } else if (kind == 1 && previous.length > 0) {
      return previous.clone(); // the same bytes again: back references into the window
    } else {
      String[] words = {"alpha ", "beta ", "gamma\n", "delta ", "x=1;", "\t", "lib", "0x7f "};
      StringBuilder s = new StringBuilder();
      while (s.length() < len) {
        s.append(words[r.nextInt(words.length)]);
      }
      return s.substring(0, len).getBytes(StandardCharsets.UTF_8);
    }
    return b;
  }

  static byte[] tar(List<Item> items) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream t = new TarArchiveOutputStream(out)) {
      t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      t.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      for (Item i : items) {
        TarArchiveEntry e;
        switch (i.type()) {
          case '5' -> e = new TarArchiveEntry(i.name() + "/", TarConstants.LF_DIR);
          case '2' -> {
            e = new TarArchiveEntry(i.name(), TarConstants.LF_SYMLINK);
            e.setLinkName(i.link());
          }
          case '1' -> {
            e = new TarArchiveEntry(i.name(), TarConstants.LF_LINK);
            e.setLinkName(i.link());
          }
          default -> {
            e = new TarArchiveEntry(i.name());
            e.setSize(i.data().length);
          }
        }
        t.putArchiveEntry(e);
        if (i.type() == '0') {
          t.write(i.data());
        }
        t.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  /**
   * The tar gzipped: {@code how} 0, 1, 2 at levels 1, 6, 9 through {@code GZIPOutputStream};
   * 3 by {@code gzip -9} when it is installed (else level 9).
   */
  static byte[] gzip(byte[] tar, int how) throws IOException {
    if (how == 3) {
      byte[] external = gzipTool(tar);
      if (external != null) {
        return external;
      }
    }
    int level = how == 0 ? 1 : how == 1 ? 6 : 9;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out, 64 << 10) {
      {
        def.setLevel(level);
      }
    }) {
      z.write(tar);
    }
    return out.toByteArray();
  }

  private static byte[] gzipTool(byte[] tar) throws IOException {
    Path in = Files.createTempFile(tmp, "tar", ".tar");
    Files.write(in, tar);
    try {
      Process p = new ProcessBuilder("gzip", "-9", "-c", "-n", in.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      byte[] out;
      try (InputStream s = p.getInputStream()) {
        out = s.readAllBytes();
      }
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
    } catch (IOException notInstalled) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      Files.delete(in);
    }
  }

  /**
   * What a read from the start of the gzip gives for each name's first entry: inflated byte by
   * byte as far as it inflates (a read from the start serves those bytes before any check
   * fails), the tar read from that as far as it goes.
   */
  private static Map<String, byte[]> readFromStart(byte[] gz) {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    Inflater inflater = new Inflater(true);
    try {
      inflater.setInput(gz, 10, gz.length - 10); // GZIPOutputStream's header has 10 bytes
      byte[] one = new byte[1];
      while (!inflater.finished() && !inflater.needsInput()) {
        if (inflater.inflate(one) == 1) {
          tar.write(one[0]);
        }
      }
    } catch (DataFormatException damaged) {
      // as far as it inflates
    } finally {
      inflater.end();
    }
    Map<String, byte[]> first = new HashMap<>();
    try {
      RawTarReader t = new RawTarReader(new ByteArrayInputStream(tar.toByteArray()));
      RawTarReader.Entry e;
      while ((e = t.next()) != null) {
        byte[] data = new byte[(int) e.size];
        int n = 0;
        while (n < data.length) {
          n += t.readPayload(data, n, data.length - n);
        }
        first.putIfAbsent(Toc.cleanName(e.name), data);
        t.readPadding(e.size);
      }
    } catch (IOException | RuntimeException damaged) {
      // as far as the tar reads
    }
    return first;
  }

  private static List<Item> sample(Random r, List<Item> items, int n) {
    List<Item> files = new ArrayList<>();
    for (Item i : items) {
      if (i.type() != '5') {
        files.add(i);
      }
    }
    Collections.shuffle(files, r);
    return files.subList(0, Math.min(n, files.size()));
  }

  @Test
  void namesCompareInBothOrders() throws TarNames.Ambiguous {
    assertTrue(TarNames.compare(TarNames.Order.PATH, "etc/a-b", "etc/a/b") < 0);
    assertTrue(TarNames.compare(TarNames.Order.WALK, "etc/a-b", "etc/a/b") > 0);
    assertTrue(TarNames.compare(TarNames.Order.WALK, "etc", "etc/a") < 0);
    assertEquals(0, TarNames.compare(TarNames.Order.PATH, "a/b", "a/b"));
    TarNames names = new TarNames();
    assertTrue(names.admit(List.of("usr/share/doc", "usr/share/doc-base/x", "usr/share/doc/a")));
    assertTrue(names.compare("etc/a-b", "etc/a/b") < 0, "only the path order is left");
    assertFalse(names.admit(List.of("b", "a")), "no order left");
  }
}
