package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;

class TarIndexerTest {

  private static LayerIndex index(byte[] tar) throws IOException {
    return TarIndexer.index(new ByteArrayInputStream(tar));
  }

  private static int find(LayerIndex x, String path) {
    int i = x.find(path);
    assertTrue(i >= 0, "missing " + path);
    return i;
  }

  @Test
  void dataOffsetsPointAtFileBytes() throws IOException {
    Random r = new Random(42);
    TestTars t = new TestTars();
    String longName = "d/" + "x".repeat(150) + "/" + "y".repeat(120);
    String[] names = {"a", "d/b", longName, "d/c", "e"};
    byte[][] data = new byte[names.length][];
    for (int i = 0; i < names.length; i++) {
      data[i] = new byte[i == 3 ? 0 : r.nextInt(3000) + 1];
      r.nextBytes(data[i]);
      t.file(names[i], data[i], 0640);
    }
    byte[] tar = t.bytes();
    LayerIndex x = index(tar);
    for (int i = 0; i < names.length; i++) {
      int e = find(x, "/" + names[i]);
      assertEquals(data[i].length, x.size(e));
      long off = x.dataOffset(e);
      assertArrayEquals(data[i], Arrays.copyOfRange(tar, (int) off, (int) off + data[i].length),
          names[i]);
      assertEquals(EntryType.FILE, x.type(e));
      assertEquals(0640, x.mode(e));
    }
    // implied parents
    assertTrue(x.isImplied(find(x, "/d")));
    assertTrue(x.isDirectory(find(x, "/d/" + "x".repeat(150))));
  }

  @Test
  void gnuLongNamesAndLinks() throws IOException {
    String longName = "g/" + "n".repeat(200);
    String longTarget = "/" + "t".repeat(180);
    byte[] tar = new TestTars().gnuLongNames().file(longName, "hello")
        .symlink("g/ln", longTarget).bytes();
    LayerIndex x = index(tar);
    int e = find(x, "/" + longName);
    assertEquals("hello",
        new String(tar, (int) x.dataOffset(e), 5, StandardCharsets.UTF_8));
    assertEquals(longTarget, x.linkTarget(find(x, "/g/ln")));
    assertEquals(longTarget.length(), x.size(find(x, "/g/ln")));
  }

  @Test
  void paxTimesWithNanosecondsAndNamesAndXattrs() throws IOException {
    // raw PAX records: Commons Compress's writer would round the times through a double
    String path = "pax/ü/" + "p".repeat(120);
    byte[] pax = TestTars.concat(
        TestTars.paxRecord("path", path.getBytes(StandardCharsets.UTF_8)),
        TestTars.paxRecord("mtime", "1700000000.123456789".getBytes(StandardCharsets.US_ASCII)),
        TestTars.paxRecord("atime", "1700000001.5".getBytes(StandardCharsets.US_ASCII)),
        TestTars.paxRecord("ctime", "1700000002.000000001".getBytes(StandardCharsets.US_ASCII)),
        TestTars.paxRecord("SCHILY.xattr.user.k", "v1".getBytes(StandardCharsets.UTF_8)));
    byte[] content = "data".getBytes(StandardCharsets.US_ASCII);
    byte[] tar = TestTars.concat(
        TestTars.rawHeader("PaxHeaders/x", (byte) 'x', pax.length, false), TestTars.pad(pax),
        TestTars.rawHeader("short", (byte) '0', content.length, false), TestTars.pad(content),
        new TestTars().withPax("second", "more", Map.of("mtime", "12.5")).bytes());
    LayerIndex x = index(tar);
    int e = find(x, "/" + path);
    assertEquals(1700000000_123456789L, x.mtimeNanos(e));
    assertEquals(1700000001_500000000L, x.atimeNanos(e));
    assertEquals(1700000002_000000001L, x.ctimeNanos(e));
    assertArrayEquals("v1".getBytes(StandardCharsets.UTF_8), x.xattrs(e).get("user.k"));
    assertEquals("data", new String(tar, (int) x.dataOffset(e), 4, StandardCharsets.UTF_8));
    int s = find(x, "/second");
    assertEquals(12_500_000_000L, x.mtimeNanos(s));
    assertEquals(LayerIndex.ABSENT_TIME, x.atimeNanos(s));
    assertTrue(x.xattrs(s).isEmpty(), "PAX values do not leak to the next entry");
    assertEquals("more", new String(tar, (int) x.dataOffset(s), 4, StandardCharsets.UTF_8));
  }

  @Test
  void binaryXattrValuesSurviveByteExact() throws IOException {
    byte[] cap = {0x01, 0x00, 0x00, 0x02, (byte) 0xff, (byte) 0x80, (byte) 0xc3, 0x00};
    byte[] pax = TestTars.concat(TestTars.paxRecord("SCHILY.xattr.security.capability", cap),
        TestTars.paxRecord("mtime", "5.25".getBytes(StandardCharsets.US_ASCII)));
    byte[] content = "ping".getBytes(StandardCharsets.US_ASCII);
    byte[] tar = TestTars.concat(
        TestTars.rawHeader("PaxHeaders/ping", (byte) 'x', pax.length, false), TestTars.pad(pax),
        TestTars.rawHeader("bin/ping", (byte) '0', content.length, false),
        TestTars.pad(content), new byte[1024]);
    LayerIndex x = index(tar);
    int e = find(x, "/bin/ping");
    assertArrayEquals(cap, x.xattrs(e).get("security.capability"));
    assertEquals(5_250_000_000L, x.mtimeNanos(e));
    assertEquals("ping", new String(tar, (int) x.dataOffset(e), 4, StandardCharsets.US_ASCII));
  }

  @Test
  void namesAreNormalizedAndClampedAtRoot() throws IOException {
    byte[] tar = new TestTars().file("./a/./b", "1").file("/abs/c", "2")
        .file("../../../etc/passwd", "3").file("x/../../y", "4").file("q//r", "5")
        .dir("./", 0700).bytes();
    LayerIndex x = index(tar);
    find(x, "/a/b");
    find(x, "/abs/c");
    find(x, "/etc/passwd");
    find(x, "/y");
    find(x, "/q/r");
    assertEquals(0700, x.mode(0));
    assertFalse(x.isImplied(0));
  }

  @Test
  void whiteoutsAndOpaqueMarkers() throws IOException {
    byte[] tar = new TestTars().file("a/.wh.gone", "").file("b/.wh..wh..opq", "")
        .file("c/.wh..wh.plnk", "").file("d/.wh.", "").file("e/.wh.same", "")
        .file("e/same", "kept").bytes();
    LayerIndex x = index(tar);
    assertTrue(x.isWhiteout(find(x, "/a/gone")));
    assertEquals(-1, x.find("/a/.wh.gone"));
    assertTrue(x.isOpaque(find(x, "/b")));
    assertEquals(-1, x.find("/b/.wh..wh..opq"));
    assertEquals(-1, x.childDir(find(x, "/c")), "other specials are ignored");
    assertEquals(-1, x.childDir(find(x, "/d")));
    int same = find(x, "/e/same");
    assertEquals(EntryType.FILE, x.type(same));
    assertTrue(x.isFresh(same), "whiteout plus entry in one layer hides the lower path");
  }

  @Test
  void freshMarksEntriesThatHideTheirLowerPath() throws IOException {
    byte[] tar = new TestTars().file(".wh.after", "").file("after", "1")
        .file(".wh.kept", "").file("kept", "1").file("kept", "2")
        .file("twice", "1").file("twice", "2")
        .file("retyped", "1").dir("retyped", 0700)
        .dir("undone", 0700).file(".wh.undone", "")
        .file(".wh.gone", "").file(".wh.gone", "")
        .dir("plain", 0700).file("plain/x", "1").bytes();
    LayerIndex x = index(tar);
    assertTrue(x.isFresh(find(x, "/after")), "an entry after its whiteout");
    assertTrue(x.isFresh(find(x, "/kept")), "a fresh entry replaced again in the layer");
    assertFalse(x.isFresh(find(x, "/twice")), "a file replaced by a file");
    assertTrue(x.isFresh(find(x, "/retyped")), "a directory where the layer had a file");
    assertTrue(x.isDirectory(find(x, "/retyped")));
    assertTrue(x.isFresh(find(x, "/undone")), "a directory before its whiteout");
    assertTrue(x.isDirectory(find(x, "/undone")));
    assertTrue(x.isWhiteout(find(x, "/gone")));
    assertFalse(x.isFresh(find(x, "/gone")), "a whiteout twice is a whiteout");
    assertFalse(x.isFresh(find(x, "/plain")));
  }

  @Test
  void impliedDirectoriesAndWhiteoutsHaveFixedModes() throws IOException {
    LayerIndex x = index(new TestTars().file("usr/bin/f", "1").file("usr/.wh.old", "")
        .bytes());
    assertTrue(x.isImplied(find(x, "/usr/bin")));
    assertEquals(0755, x.mode(find(x, "/usr/bin")));
    assertEquals(0755, x.mode(find(x, "/usr")));
    assertEquals(0, x.mode(find(x, "/usr/old")));
    assertEquals("", x.linkTarget(find(x, "/usr/old")));
  }

  @Test
  void interleavedHardLinksKeepTheirOwnNames() throws IOException {
    // entries 0first, alpha, beta, c-alpha, d-beta: the name pairs are sorted by inode, not by
    // entry; z-lower is a hard link into a lower layer, a name of its own
    byte[] tar = new TestTars().file("0first", "").file("alpha", "").file("beta", "")
        .hardlink("c-alpha", "alpha").hardlink("d-beta", "beta")
        .hardlink("z-lower", "/lower/x").bytes();
    LayerIndex x = index(tar);
    int a = find(x, "/alpha");
    int b = find(x, "/beta");
    assertArrayEquals(new int[] {a, find(x, "/c-alpha")}, x.namesOfInode(x.inode(a)));
    assertArrayEquals(new int[] {b, find(x, "/d-beta")}, x.namesOfInode(x.inode(b)));
    assertTrue(x.hasSeveralNames(x.inode(a)));
    assertTrue(x.hasSeveralNames(x.inode(b)));
    for (String one : new String[] {"/0first", "/z-lower"}) {
      int e = find(x, one);
      assertFalse(x.hasSeveralNames(x.inode(e)), one + ": one name, no pair");
      assertArrayEquals(new int[] {e}, x.namesOfInode(x.inode(e)), one);
    }
    MergedTree t = MergedTree.of(List.of(x), List.of(Digest.sha256(tar)));
    for (String p : new String[] {"/alpha", "/beta", "/c-alpha", "/d-beta"}) {
      assertEquals(2, t.lookup(p, false).linkCount(), p);
    }
    assertEquals(1, t.lookup("/0first", false).linkCount());
    // a layer without hard links has no pairs at all
    LayerIndex plain = index(new TestTars().file("f", "1").bytes());
    assertFalse(plain.hasSeveralNames(plain.inode(find(plain, "/f"))));
    assertEquals(1, MergedTree.of(List.of(plain), List.of(Digest.sha256(tar)))
        .lookup("/f", false).linkCount());
  }

  @Test
  void entriesBelowANonDirectoryNameItsType() {
    IOException e = assertThrows(IOException.class, () -> index(new TestTars()
        .symlink("l", "d").file("l/x", "1").bytes()));
    assertTrue(e.getMessage().contains("below 'l', which this layer made a SYMLINK"),
        e.getMessage());
    e = assertThrows(IOException.class, () -> index(new TestTars()
        .file("f", "1").file("f/x", "1").bytes()));
    assertTrue(e.getMessage().contains("below 'f', which this layer made a FILE"),
        e.getMessage());
  }

  @Test
  void laterEntriesWinAndHardLinksShareInodes() throws IOException {
    byte[] tar = new TestTars().file("f", "one").hardlink("h", "f").file("f", "two")
        .hardlink("g", "./f").hardlink("lower", "/not/here").bytes();
    LayerIndex x = index(tar);
    int f = find(x, "/f");
    int h = find(x, "/h");
    int g = find(x, "/g");
    assertEquals("two", new String(tar, (int) x.dataOffset(f), 3, StandardCharsets.UTF_8));
    assertEquals("one", new String(tar, (int) x.dataOffset(h), 3, StandardCharsets.UTF_8));
    assertEquals(EntryType.FILE, x.type(h));
    assertEquals(x.inode(f), x.inode(g));
    assertNotEquals(x.inode(f), x.inode(h));
    int low = find(x, "/lower");
    assertEquals(EntryType.HARDLINK, x.type(low));
    assertEquals("/not/here", x.linkTarget(low));
    assertArrayEquals(new int[] {low}, x.unresolvedHardLinks());
    assertEquals(2, x.namesOfInode(x.inode(f)).length);
  }

  @Test
  void devicesAndFifos() throws IOException {
    byte[] tar = new TestTars().device("dev/null", TarConstants.LF_CHR, 1, 3)
        .device("dev/sda", TarConstants.LF_BLK, 8, 0).device("p", TarConstants.LF_FIFO, 0, 0)
        .bytes();
    LayerIndex x = index(tar);
    int n = find(x, "/dev/null");
    assertEquals(EntryType.CHAR_DEVICE, x.type(n));
    assertEquals(1, x.devMajor(n));
    assertEquals(3, x.devMinor(n));
    assertEquals(EntryType.BLOCK_DEVICE, x.type(find(x, "/dev/sda")));
    assertEquals(8, x.devMajor(find(x, "/dev/sda")));
    assertEquals(EntryType.FIFO, x.type(find(x, "/p")));
  }

  @Test
  void readsTheStreamToItsEnd() throws IOException {
    byte[] tar = TestTars.concat(new TestTars().file("a", "b").bytes(), new byte[4096]);
    long[] read = {0};
    InputStream counting = new FilterInputStream(new ByteArrayInputStream(tar)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
          read[0] += n;
        }
        return n;
      }

      @Override
      public long skip(long n) {
        throw new AssertionError("must read, not skip, so a digest below sees every byte");
      }
    };
    TarIndexer.index(counting);
    assertEquals(tar.length, read[0]);
  }

  @Test
  void truncatedTarIsAnIoException() {
    byte[] tar = new TestTars().file("a", "x".repeat(5000)).file("b", "y").bytes();
    for (int cut : new int[] {100, 512, 2000, 5600}) {
      byte[] t = Arrays.copyOf(tar, cut);
      assertThrows(IOException.class, () -> index(t), "cut at " + cut);
    }
  }

  @Test
  void absurdSizesAreIoExceptions() {
    byte[] huge = TestTars.concat(TestTars.rawHeader("big", (byte) '0', Long.MAX_VALUE / 2, true),
        new byte[2048]);
    assertThrows(IOException.class, () -> index(huge));
    byte[] negative = TestTars.rawHeader("neg", (byte) '0', 0, true);
    negative[124] = (byte) 0xff;
    assertThrows(IOException.class, () -> index(TestTars.concat(negative, new byte[1024])));
  }

  @Test
  void metaEntryBombsAreRejectedBeforeBuffering() {
    // claims 2 GiB of PAX header / GNU long name; the stream would supply it lazily
    for (byte type : new byte[] {'x', 'L', 'g'}) {
      byte[] h = TestTars.rawHeader("bomb", type, 2L << 30, false);
      InputStream endless = new InputStream() {
        int pos;

        @Override
        public int read() {
          return pos < 512 ? h[pos++] & 0xff : '1';
        }

        @Override
        public int read(byte[] b, int off, int len) {
          for (int i = 0; i < len; i++) {
            b[off + i] = (byte) read();
          }
          return len;
        }
      };
      IOException e = assertThrows(IOException.class, () -> TarIndexer.index(endless));
      assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }
  }

  @Test
  void sparseFilesAreRejected() {
    byte[] oldGnu = TestTars.concat(TestTars.rawHeader("s", (byte) 'S', 0, false),
        new byte[1024]);
    IOException e = assertThrows(IOException.class, () -> index(oldGnu));
    assertTrue(e.getMessage().contains("sparse"), e.getMessage());
    byte[] pax = TestTars.concat(
        TestTars.paxRecord("GNU.sparse.major", "1".getBytes(StandardCharsets.US_ASCII)),
        TestTars.paxRecord("GNU.sparse.minor", "0".getBytes(StandardCharsets.US_ASCII)),
        TestTars.paxRecord("GNU.sparse.name", "p".getBytes(StandardCharsets.US_ASCII)),
        TestTars.paxRecord("GNU.sparse.realsize", "10".getBytes(StandardCharsets.US_ASCII)));
    byte[] paxSparse = TestTars.concat(TestTars.rawHeader("x", (byte) 'x', pax.length, false),
        TestTars.pad(pax), TestTars.rawHeader("p", (byte) '0', 512, false), new byte[512],
        new byte[1024]);
    e = assertThrows(IOException.class, () -> index(paxSparse));
    assertTrue(e.getMessage().contains("sparse"), e.getMessage());
  }

  @Test
  void hardLinkToDirectoryIsRejected() {
    byte[] tar = new TestTars().dir("d", 0755).hardlink("h", "d").bytes();
    assertThrows(IOException.class, () -> index(tar));
  }

  @Test
  void ownersByNumberAndName() throws IOException {
    TarArchiveEntry e = new TarArchiveEntry("owned");
    e.setUserId(1000);
    e.setGroupId(50);
    e.setUserName("alice");
    e.setGroupName("staff");
    TarArchiveEntry anonymous = new TarArchiveEntry("anonymous");
    anonymous.setUserName("");
    anonymous.setGroupName("");
    LayerIndex x = index(new TestTars().entry(e, null).entry(anonymous, null).bytes());
    int o = find(x, "/owned");
    assertEquals(1000, x.uid(o));
    assertEquals(50, x.gid(o));
    assertEquals("alice", x.userName(o));
    assertEquals("staff", x.groupName(o));
    int a = find(x, "/anonymous");
    assertEquals("", x.userName(a));
    assertEquals("", x.groupName(a));
  }

  @Test
  void longNamesAreShortenedInMessagesOnly() {
    String n200 = "a".repeat(100) + "b".repeat(100);
    assertEquals(n200, TarIndexer.shorten(n200));
    String n201 = "a".repeat(100) + "c" + "b".repeat(100);
    assertEquals("a".repeat(100) + "..." + "b".repeat(100), TarIndexer.shorten(n201));
    // depth bounds the components from above: ".." counts, "" and "." do not
    assertEquals(4, TarIndexer.depth("a//./b/../c/"));
    assertEquals(0, TarIndexer.depth("/./"));
  }

  @Test
  void mtimeFromUstarHeader() throws IOException {
    TarArchiveEntry e = new TarArchiveEntry("m");
    e.setModTime(java.nio.file.attribute.FileTime.from(Instant.ofEpochSecond(1234567)));
    LayerIndex x = index(new TestTars().entry(e, null).bytes());
    assertEquals(1234567_000_000_000L, x.mtimeNanos(find(x, "/m")));
  }
}
