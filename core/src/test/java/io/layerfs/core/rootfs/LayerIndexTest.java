package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.EntryType;
import io.layerfs.core.internal.PathNames;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

class LayerIndexTest {

  record Spec(String name, EntryType type, int mode, int uid, String uname, long mtime,
      long atime, long size, long offset, String link, int major, Map<String, byte[]> xattrs) {}

  static Gen<List<Spec>> specs(Props p) {
    Gen<String> comp = p.oneOf(p.choose("a", "b", "é", "日本", "x y"),
        p.strings(p.charRanges("AZaz"), 1, 12));
    Gen<String> name = p.map(p.lists(comp, 1, 4), l -> String.join("/", l));
    Gen<EntryType> type = p.choose(EntryType.FILE, EntryType.DIRECTORY, EntryType.SYMLINK,
        EntryType.CHAR_DEVICE, EntryType.FIFO, EntryType.HARDLINK);
    Gen<Integer> mode = p.ints(0, 07777);
    Gen<Integer> uid = p.ints(Integer.MIN_VALUE, Integer.MAX_VALUE);
    Gen<String> uname = p.choose("", "root", "nobody");
    Gen<Long> mtime = p.longs();
    Gen<Long> atime = p.longs(-5, 5);
    Gen<Long> size = p.longs(0, Long.MAX_VALUE);
    Gen<Spec> plain = p.combine(List.of(name, type, mode, uid, uname, mtime, atime, size), l -> {
      long at = (Long) l.get(6);
      long sz = (Long) l.get(7);
      return new Spec((String) l.get(0), (EntryType) l.get(1), (Integer) l.get(2),
          (Integer) l.get(3), (String) l.get(4), (Long) l.get(5),
          at == 0 ? LayerIndex.ABSENT_TIME : at, sz, sz / 3, "", 0, Map.of());
    });
    Gen<Spec> spec = p.combine(plain, name, p.ints(0, 300), xattrs(p),
        (s, link, major, xa) -> new Spec(s.name(), s.type(), s.mode(), s.uid(), s.uname(),
            s.mtime(), s.atime(), s.size(), s.offset(),
            s.type() == EntryType.SYMLINK || s.type() == EntryType.HARDLINK ? link : "",
            s.type() == EntryType.CHAR_DEVICE ? major : 0, xa));
    return p.lists(spec, 0, 60);
  }

  /** jqwik's maps(of("user.a", "security.capability"), byte arrays of up to 20).ofMaxSize(2). */
  private static Gen<Map<String, byte[]>> xattrs(Props p) {
    List<String> keys = List.of("user.a", "security.capability");
    Gen<Integer> sizes = p.sizes(0, 2);
    Gen<Boolean> swap = p.booleans();
    Props.Arb<byte[]> values = p.byteArrays(0, 20);
    Gen<Map<String, byte[]>> maps = in -> {
      int n = sizes.generate(in);
      List<String> order = swap.generate(in) ? List.of(keys.get(1), keys.get(0)) : keys;
      Map<String, byte[]> m = new LinkedHashMap<>();
      for (String k : order.subList(0, n)) {
        m.put(k, values.generate(in));
      }
      return m;
    };
    // edge cases: no xattr, or one with an edge-case value
    return p.arb(maps, n -> {
      List<Map<String, byte[]>> edgeCases = new ArrayList<>(List.of(Map.of()));
      for (String k : keys) {
        values.edgeCases(n).forEach(v -> edgeCases.add(Map.of(k, v)));
      }
      return edgeCases.subList(0, Math.min(n, edgeCases.size()));
    });
  }

  static LayerIndex build(List<Spec> specs) {
    return build(specs, new java.util.ArrayList<>());
  }

  /** Builds the index; specs the builder refuses are skipped and added to {@code refused}. */
  static LayerIndex build(List<Spec> specs, List<Spec> refused) {
    LayerIndexBuilder b = new LayerIndexBuilder();
    for (Spec s : specs) {
      LayerIndexBuilder.Inode ino = new LayerIndexBuilder.Inode();
      ino.type = s.type();
      ino.mode = s.mode();
      ino.uid = s.uid();
      ino.gid = s.uid() + 1;
      ino.uname = s.uname();
      ino.gname = s.uname() + "g";
      ino.mtimeNanos = s.mtime();
      ino.atimeNanos = s.atime();
      ino.size = s.size();
      ino.dataOffset = s.offset();
      ino.link = s.link();
      ino.devMajor = s.major();
      ino.devMinor = s.major() * 2;
      ino.xattrs = s.xattrs();
      try {
        b.add(s.name(), ino);
      } catch (IOException e) {
        // a hard link to a directory, or an entry below a non-directory: skipped, as the
        // indexer would reject the tar
        refused.add(s);
      }
    }
    try {
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void assertSameIndex(LayerIndex a, LayerIndex b) {
    assertEquals(a.size(), b.size());
    assertEquals(a.dirTableSize(), b.dirTableSize());
    for (int i = 0; i < a.size(); i++) {
      String p = a.path(i);
      assertEquals(p, b.path(i));
      assertEquals(i, b.find(p), p);
      assertEquals(a.typeCode(i), b.typeCode(i));
      assertEquals(a.isImplied(i), b.isImplied(i));
      assertEquals(a.isOpaque(i), b.isOpaque(i));
      assertEquals(a.isFresh(i), b.isFresh(i));
      assertEquals(a.mode(i), b.mode(i));
      assertEquals(a.uid(i), b.uid(i));
      assertEquals(a.gid(i), b.gid(i));
      assertEquals(a.userName(i), b.userName(i));
      assertEquals(a.groupName(i), b.groupName(i));
      assertEquals(a.inode(i), b.inode(i));
      assertEquals(a.mtimeNanos(i), b.mtimeNanos(i));
      assertEquals(a.atimeNanos(i), b.atimeNanos(i));
      assertEquals(a.ctimeNanos(i), b.ctimeNanos(i));
      assertEquals(a.size(i), b.size(i));
      assertEquals(a.dataOffset(i), b.dataOffset(i));
      assertEquals(a.linkTarget(i), b.linkTarget(i));
      assertEquals(a.devMajor(i), b.devMajor(i));
      assertEquals(a.devMinor(i), b.devMinor(i));
      assertEquals(a.childDir(i), b.childDir(i));
      Map<String, byte[]> xa = a.xattrs(i);
      Map<String, byte[]> xb = b.xattrs(i);
      assertEquals(xa.keySet(), xb.keySet());
      xa.forEach((k, v) -> assertArrayEquals(v, xb.get(k)));
    }
    assertArrayEquals(a.unresolvedHardLinks(), b.unresolvedHardLinks());
  }

  @Test
  void writeReadRoundTrip() {
    Props p = Props.tries(100);
    p.qt()
        .withShrinkCycles(1000) // about 10 ms each
        .forAll(specs(p))
        .checkAssert(Props.io(LayerIndexTest::roundTrips));
  }

  private static void roundTrips(List<Spec> specs) throws IOException {
    List<Spec> refused = new java.util.ArrayList<>();
    LayerIndex built = build(specs, refused);
    Path dir = Files.createTempDirectory("layeridx");
    try {
      Path f = dir.resolve("index");
      built.write(f);
      LayerIndex read = LayerIndex.read(f);
      assertSameIndex(built, read);
      // the last entry added is always there, with its own type
      if (!specs.isEmpty() && specs.get(specs.size() - 1).type() != EntryType.HARDLINK
          && !refused.contains(specs.get(specs.size() - 1))) {
        Spec s = specs.get(specs.size() - 1);
        int e = read.find(PathNames.normalize(s.name()));
        assertTrue(e >= 0, s.name());
        assertEquals(s.type(), read.type(e));
        assertEquals(s.mode(), read.mode(e));
      }
    } finally {
      try (var s = Files.list(dir)) {
        for (Path p : s.toList()) {
          Files.delete(p);
        }
      }
      Files.delete(dir);
    }
  }

  @Test
  void recordsWhatWasAdded(@TempDir Path dir) throws IOException {
    LayerIndex x = build(List.of(
        new Spec("usr/bin/tool", EntryType.FILE, 04755, 7, "bin", 123, 456, 99, 1536, "", 0,
            Map.of("user.k", new byte[] {1, 2, (byte) 0xff})),
        new Spec("dev/tty", EntryType.CHAR_DEVICE, 0620, 0, "", 1, LayerIndex.ABSENT_TIME, 0, 0,
            "", 5, Map.of())));
    Path f = dir.resolve("i");
    x.write(f);
    LayerIndex r = LayerIndex.read(f);
    int e = r.find("/usr/bin/tool");
    assertEquals(EntryType.FILE, r.type(e));
    assertEquals(04755, r.mode(e));
    assertEquals(7, r.uid(e));
    assertEquals("bin", r.userName(e));
    assertEquals("bing", r.groupName(e));
    assertEquals(8, r.gid(e));
    assertEquals(123, r.mtimeNanos(e));
    assertEquals(456, r.atimeNanos(e));
    assertEquals(99, r.size(e));
    assertEquals(1536, r.dataOffset(e));
    assertArrayEquals(new byte[] {1, 2, (byte) 0xff}, r.xattrs(e).get("user.k"));
    int t = r.find("/dev/tty");
    assertEquals(5, r.devMajor(t));
    assertEquals(10, r.devMinor(t));
    assertEquals(1, r.gid(t));
    assertEquals("", r.userName(t));
    assertEquals("g", r.groupName(t));
    assertTrue(r.isImplied(r.find("/usr/bin")));
    assertEquals(-1, r.find("/usr/bin/other"));
    assertEquals(-1, r.find("/nope/x"));
  }

  @Test
  void userAndGroupNamesAreSharedStrings() throws IOException {
    LayerIndexBuilder b = new LayerIndexBuilder();
    for (String f : new String[] {"a", "b"}) {
      LayerIndexBuilder.Inode ino = new LayerIndexBuilder.Inode();
      ino.uname = "root";
      ino.gname = f.equals("a") ? "wheel" : "root";
      b.add(f, ino);
    }
    LayerIndex x = b.build();
    // the first string of the table is a name too
    assertEquals("root", x.userName(x.find("/a")));
    assertEquals("wheel", x.groupName(x.find("/a")));
    assertEquals("root", x.userName(x.find("/b")));
    assertEquals("root", x.groupName(x.find("/b")));
    assertEquals("", x.userName(0), "the implied root has none");
  }

  @Test
  void eachExtraAloneIsKept() throws IOException {
    // atime, ctime, device numbers and xattrs live in the extras section: any one needs it
    LayerIndexBuilder b = new LayerIndexBuilder();
    LayerIndexBuilder.Inode atime = new LayerIndexBuilder.Inode();
    atime.atimeNanos = 11;
    b.add("atime", atime);
    LayerIndexBuilder.Inode ctime = new LayerIndexBuilder.Inode();
    ctime.ctimeNanos = 22;
    b.add("ctime", ctime);
    LayerIndexBuilder.Inode major = new LayerIndexBuilder.Inode();
    major.type = EntryType.BLOCK_DEVICE;
    major.devMajor = 8;
    b.add("major", major);
    LayerIndexBuilder.Inode minor = new LayerIndexBuilder.Inode();
    minor.type = EntryType.CHAR_DEVICE;
    minor.devMinor = 3;
    b.add("minor", minor);
    LayerIndexBuilder.Inode xattr = new LayerIndexBuilder.Inode();
    xattr.xattrs = Map.of("user.k", new byte[] {7});
    b.add("xattr", xattr);
    b.add("none", new LayerIndexBuilder.Inode());
    LayerIndex x = b.build();
    assertEquals(11, x.atimeNanos(x.find("/atime")));
    assertEquals(LayerIndex.ABSENT_TIME, x.ctimeNanos(x.find("/atime")));
    assertEquals(22, x.ctimeNanos(x.find("/ctime")));
    assertEquals(LayerIndex.ABSENT_TIME, x.atimeNanos(x.find("/ctime")));
    assertEquals(8, x.devMajor(x.find("/major")));
    assertEquals(0, x.devMinor(x.find("/major")));
    assertEquals(3, x.devMinor(x.find("/minor")));
    assertEquals(0, x.devMajor(x.find("/minor")));
    assertArrayEquals(new byte[] {7}, x.xattrs(x.find("/xattr")).get("user.k"));
    int none = x.find("/none");
    assertEquals(LayerIndex.ABSENT_TIME, x.atimeNanos(none));
    assertEquals(LayerIndex.ABSENT_TIME, x.ctimeNanos(none));
    assertEquals(Map.of(), x.xattrs(none));
  }

  @Test
  void corruptionIsDetectedAndNamesTheFile(@TempDir Path dir) throws IOException {
    LayerIndex x = build(List.of(new Spec("a/b", EntryType.FILE, 0644, 0, "", 1, 2, 3, 4, "", 0,
        Map.of())));
    Path f = dir.resolve("good");
    x.write(f);
    byte[] good = Files.readAllBytes(f);
    for (int pos : new int[] {0, 9, 70, good.length / 2, good.length - 10, good.length - 1}) {
      byte[] bad = good.clone();
      bad[pos] ^= 0x10;
      Path p = dir.resolve("flip" + pos);
      Files.write(p, bad);
      IOException e = assertThrows(IOException.class, () -> LayerIndex.read(p), "flip " + pos);
      assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }
    for (int len : new int[] {0, 10, 64, good.length - 1}) {
      Path p = dir.resolve("cut" + len);
      Files.write(p, java.util.Arrays.copyOf(good, len));
      IOException e = assertThrows(IOException.class, () -> LayerIndex.read(p), "cut " + len);
      assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }
    // version 1 (no DiffID, no checksums), 2 (names that are not UTF-8 lost) and a later
    // version are refused, never misread
    for (int version : new int[] {1, 2, LayerIndex.VERSION + 1}) {
      byte[] other = good.clone();
      ByteBuffer.wrap(other).order(ByteOrder.LITTLE_ENDIAN).putInt(8, version);
      Path p = dir.resolve("v" + version);
      Files.write(p, other);
      IOException e = assertThrows(IOException.class, () -> LayerIndex.read(p));
      assertTrue(e.getMessage().contains("version " + version), e.getMessage());
    }
  }

  @Test
  void typeCodesAreEntryTypeCodesOrTheWhiteout(@TempDir Path dir) throws IOException {
    for (EntryType t : EntryType.values()) {
      assertTrue(t.code() != LayerIndex.T_WHITEOUT, t.name());
    }
    LayerIndex x = build(List.of(new Spec("a/b", EntryType.FIFO, 0644, 0, "", 1, 2, 3, 4, "", 0,
        Map.of())));
    Path f = dir.resolve("good");
    x.write(f);
    byte[] good = Files.readAllBytes(f);
    int b = LayerIndex.read(f).find("/a/b");
    int at = LayerIndex.HEADER_SIZE + b * LayerIndex.ENTRY_SIZE + 8;
    assertEquals(EntryType.FIFO.code(), good[at], "the type byte of the entry");
    // a checksum that matches: an index of a later format, not a torn file
    byte[] later = good.clone();
    later[at] = 42;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(later, 0, later.length - 4);
    ByteBuffer.wrap(later).order(ByteOrder.LITTLE_ENDIAN)
        .putInt(later.length - 4, (int) crc.getValue());
    Path p = dir.resolve("later");
    Files.write(p, later);
    IOException e = assertThrows(IOException.class, () -> LayerIndex.read(p));
    assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("unknown entry type code 42"), e.getMessage());
  }

  @Test
  void writeReplacesAtomicallyAndLeavesNoTempFiles(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("sub/idx");
    build(List.of()).write(f);
    LayerIndex two = build(List.of(new Spec("z", EntryType.FIFO, 0600, 0, "", 0, 0, 0, 0, "", 0,
        Map.of())));
    two.write(f);
    assertEquals(2, LayerIndex.read(f).size());
    try (var s = Files.list(dir.resolve("sub"))) {
      assertEquals(List.of(f), s.toList());
    }
  }

  /** Above 64 KiB an index is read into direct memory, above READ_WHOLE_MAX mapped. */
  @Test
  void largeIndexesAreReadOrMappedAndStillVerified(@TempDir Path dir) throws IOException {
    for (int entries : new int[] {3000, 40_000}) {
      List<Spec> many = new java.util.ArrayList<>();
      for (int i = 0; i < entries; i++) {
        many.add(new Spec("d" + (i % 17) + "/f" + i, EntryType.FILE, 0644, i, "u", i, 0, i, i,
            "", 0, Map.of()));
      }
      LayerIndex x = build(many);
      Path f = dir.resolve("big" + entries);
      x.write(f);
      long size = Files.size(f);
      assertTrue(entries == 3000 ? size > 64 * 1024 && size <= LayerIndex.READ_WHOLE_MAX
          : size > LayerIndex.READ_WHOLE_MAX, entries + " entries: " + size + " bytes");
      assertSameIndex(x, LayerIndex.read(f));
      byte[] b = Files.readAllBytes(f);
      b[b.length / 3] ^= 1;
      Files.write(f, b);
      assertThrows(IOException.class, () -> LayerIndex.read(f));
    }
  }
}
