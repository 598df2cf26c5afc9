package io.layerfs.core.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.ClosedDirectoryStreamException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The table of kept-open directories: reuse by file identity, and never closing one in use. */
class OpenDirsTest {
  @TempDir Path tmp;

  private SecureDirectoryStream<Path> stream() throws IOException {
    return (SecureDirectoryStream<Path>) Files.newDirectoryStream(tmp);
  }

  private static boolean isOpen(SecureDirectoryStream<Path> s) throws IOException {
    try {
      s.getFileAttributeView(BasicFileAttributeView.class).readAttributes();
      return true;
    } catch (ClosedDirectoryStreamException e) {
      return false;
    }
  }

  @Test
  void anEntryKeepsItsFileKeyAndNameAndADiscardedOneGoes() throws IOException {
    try (OpenDirs dirs = new OpenDirs(4)) {
      SecureDirectoryStream<Path> s = stream();
      Path name = Path.of("a");
      dirs.release(dirs.offer("/a", name, "key-1", s));
      OpenDirs.Entry again = dirs.acquire("/a");
      assertSame(s, again.stream);
      assertSame(name, again.name, "the relative name, made once");
      assertEquals("key-1", again.fileKey);
      dirs.release(again);
      assertNull(dirs.acquire("/b"));
      OpenDirs.Entry stale = dirs.acquire("/a");
      OpenDirs.Entry alsoHeld = dirs.acquire("/a");
      dirs.discard(stale); // another file now has the name
      assertNull(dirs.acquire("/a"), "gone from the table at once");
      assertEquals(true, isOpen(s), "but open while another caller holds it");
      dirs.release(alsoHeld);
      assertEquals(false, isOpen(s), "and closed once given back");
    }
  }

  @Test
  void discardingAStaleEntryLeavesItsSuccessorAlone() throws IOException {
    try (OpenDirs dirs = new OpenDirs(4)) {
      SecureDirectoryStream<Path> old = stream();
      SecureDirectoryStream<Path> now = stream();
      dirs.release(dirs.offer("/a", Path.of("a"), 1, old));
      OpenDirs.Entry stale = dirs.acquire("/a");
      dirs.release(dirs.offer("/a", Path.of("a"), 2, now)); // another caller reopened it
      dirs.discard(stale);
      assertEquals(false, isOpen(old));
      OpenDirs.Entry kept = dirs.acquire("/a");
      assertSame(now, kept.stream);
      dirs.release(kept);
    }
  }

  @Test
  void theLeastRecentlyUsedGoOnceFullButNotWhileHeld() throws IOException {
    try (OpenDirs dirs = new OpenDirs(2)) {
      SecureDirectoryStream<Path> a = stream();
      SecureDirectoryStream<Path> b = stream();
      SecureDirectoryStream<Path> c = stream();
      OpenDirs.Entry heldA = dirs.offer("/a", Path.of("a"), 1, a);
      dirs.release(dirs.offer("/b", Path.of("b"), 2, b));
      // evicts /a, the eldest, which is still held
      dirs.release(dirs.offer("/c", Path.of("c"), 3, c));
      assertEquals(2, dirs.size());
      assertEquals(true, isOpen(a), "held: still open");
      a.getFileAttributeView(BasicFileAttributeView.class).readAttributes();
      dirs.release(heldA);
      assertEquals(false, isOpen(a), "closed once given back");
      assertNull(dirs.acquire("/a"));
      assertEquals(true, isOpen(b));
      assertEquals(true, isOpen(c));
    }
  }

  @Test
  void forgetDropsAPathAndWhatIsBelowItOnly() throws IOException {
    try (OpenDirs dirs = new OpenDirs(8)) {
      SecureDirectoryStream<Path> ab = stream();
      SecureDirectoryStream<Path> abc = stream();
      SecureDirectoryStream<Path> abx = stream();
      dirs.release(dirs.offer("/a/b", Path.of("b"), 1, ab));
      dirs.release(dirs.offer("/a/b/c", Path.of("c"), 2, abc));
      dirs.release(dirs.offer("/a/bx", Path.of("bx"), 3, abx));
      dirs.forget("/a/b");
      assertNull(dirs.acquire("/a/b"));
      assertNull(dirs.acquire("/a/b/c"));
      assertEquals(false, isOpen(ab));
      assertEquals(false, isOpen(abc));
      OpenDirs.Entry kept = dirs.acquire("/a/bx");
      assertSame(abx, kept.stream, "a sibling whose name only starts alike stays");
      dirs.release(kept);
    }
  }

  @Test
  void aChainIsHeldWholeAndOnlyWhileEveryDirectoryAboveIsKept() throws IOException {
    try (OpenDirs dirs = new OpenDirs(8)) {
      SecureDirectoryStream<Path> a = stream();
      SecureDirectoryStream<Path> ab = stream();
      SecureDirectoryStream<Path> loose = stream();
      OpenDirs.Entry top = dirs.offer("/a", Path.of("a"), 1, a, null, true);
      OpenDirs.Entry below = dirs.offer("/a/b", Path.of("b"), 2, ab, top, false);
      dirs.release(below);
      dirs.release(top);
      dirs.release(dirs.offer("/x/y", Path.of("y"), 3, loose, null, false));
      assertNull(dirs.acquireChain("/x/y"), "opened in a directory not kept: no chain");
      assertNull(dirs.acquireChain("/a/c"));
      OpenDirs.Entry held = dirs.acquireChain("/a/b");
      assertSame(below, held);
      assertSame(top, held.parent);
      dirs.forget("/a"); // renamed through the tree: both leave the table
      assertEquals(true, isOpen(a), "the chain holds the directory above too");
      assertEquals(true, isOpen(ab));
      dirs.releaseChain(held);
      assertEquals(false, isOpen(a), "closed once the chain is given back");
      assertEquals(false, isOpen(ab));

      SecureDirectoryStream<Path> a2 = stream();
      SecureDirectoryStream<Path> ab2 = stream();
      OpenDirs.Entry top2 = dirs.offer("/a", Path.of("a"), 1, a2, null, true);
      dirs.release(dirs.offer("/a/b", Path.of("b"), 2, ab2, top2, false));
      dirs.release(top2);
      OpenDirs.Entry stale = dirs.acquire("/a");
      dirs.discard(stale); // /a replaced on the host; /a/b is still in the table
      assertNull(dirs.acquireChain("/a/b"), "a chain through a discarded directory is none");
      OpenDirs.Entry alone = dirs.acquire("/a/b");
      assertSame(ab2, alone.stream, "the directory itself is still kept");
      dirs.release(alone);
    }
  }

  @Test
  void closingClosesEverythingAndKeepsNothingAfter() throws IOException {
    OpenDirs dirs = new OpenDirs(8);
    SecureDirectoryStream<Path> a = stream();
    dirs.release(dirs.offer("/a", Path.of("a"), 1, a));
    dirs.close();
    assertEquals(false, isOpen(a));
    SecureDirectoryStream<Path> b = stream();
    assertNull(dirs.offer("/b", Path.of("b"), 2, b),
        "a closed table keeps nothing: the caller closes it");
    assertEquals(true, isOpen(b));
    b.close();
    assertThrows(ClosedDirectoryStreamException.class,
        () -> b.newDirectoryStream(tmp.getFileName(), LinkOption.NOFOLLOW_LINKS));
  }
}
