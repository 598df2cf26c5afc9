package io.layerfs.provider;

import static io.layerfs.provider.JdkOracle.FS;
import static io.layerfs.provider.JdkOracle.OTHER_FS;
import static io.layerfs.provider.JdkOracle.describePath;
import static io.layerfs.provider.JdkOracle.jdk;
import static io.layerfs.provider.JdkOracle.ours;
import static io.layerfs.provider.JdkOracle.outcome;
import static io.layerfs.provider.JdkOracle.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.nio.file.FileSystems;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardWatchEventKinds;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** Path algebra of {@link LayerPath} against the JDK's Unix paths as the oracle. */
class LayerPathTest {

  private static final Props P = Props.tries(1000);
  private static final Gen<String> PATHS = JdkOracle.pathStrings(P);
  private static final Gen<List<String>> SEGMENTS = P.lists(PATHS, 0, 4);
  // jqwik drew 1 to 3 paths and kept the joins with a NUL: those of 2 or 3
  private static final Gen<String> WITH_NUL =
      P.map(P.lists(PATHS, 2, 3), l -> String.join("\0", l));

  // --- properties against the JDK ---

  @Test
  void parsingKeepsTheJdksStructure() {
    P.qt().forAll(PATHS).checkAssert(s -> {
      assertEquals(outcome(() -> jdk(s)), outcome(() -> ours(s)));
    });
  }

  @Test
  void parsingJoinsMoreLikeTheJdk() {
    P.qt().forAll(PATHS, SEGMENTS).checkAssert((first, more) -> {
      String[] rest = more.toArray(String[]::new);
      assertEquals(
          outcome(() -> Path.of(first, rest)), outcome(() -> LayerPath.parse(FS, first, rest)));
    });
  }

  @Test
  void nulIsRejectedLikeTheJdk() {
    P.qt().forAll(WITH_NUL).checkAssert(s -> {
      InvalidPathException expected = assertThrows(InvalidPathException.class, () -> jdk(s));
      InvalidPathException actual = assertThrows(InvalidPathException.class, () -> ours(s));
      assertEquals(expected.getReason(), actual.getReason());
      assertEquals(expected.getInput(), actual.getInput());
    });
  }

  @Test
  void loneSurrogatesAreRejectedLikeTheJdk() {
    P.qt().forAll(PATHS, PATHS, P.booleans()).checkAssert((a, b, high) -> {
      String s = a + (high ? '\uD800' : '\uDC00') + b;
      assertEquals(outcome(() -> jdk(s)), outcome(() -> ours(s)));
    });
  }

  /**
   * Where layerfs parts from the JDK: a name of an image that is not UTF-8 holds each such byte
   * as an escape (U+DC80..U+DCFF), which a path takes, unless escapes together spell UTF-8.
   */
  @Test
  void escapedBytesOfNamesThatAreNotUtf8AreTakenUnlikeTheJdk() {
    assertThrows(InvalidPathException.class, () -> jdk("/caf\udce9"));
    assertEquals("/caf\udce9/x", ours("/caf\udce9//x/").toString());
    assertEquals(ours("/caf\udce9"), ours("/").resolveName("caf\udce9"));
    InvalidPathException e =
        assertThrows(InvalidPathException.class, () -> ours("/\udcc3\udca9")); // "é"'s bytes
    assertEquals("Malformed input or input contains unmappable characters", e.getReason());
  }

  @Test
  void normalize() {
    P.qt().forAll(PATHS).checkAssert(s -> {
      assertEquals(outcome(() -> jdk(s).normalize()), outcome(() -> ours(s).normalize()));
    });
  }

  @Test
  void resolve() {
    P.qt().forAll(PATHS, PATHS).checkAssert((a, b) -> {
      assertEquals(outcome(() -> jdk(a).resolve(jdk(b))), outcome(() -> ours(a).resolve(ours(b))));
      assertEquals(outcome(() -> jdk(a).resolve(b)), outcome(() -> ours(a).resolve(b)));
    });
  }

  @Test
  void resolvingAListedNameIsResolve() {
    // names as a listing gives them, and anything else the fast path must hand on
    Gen<String> names = P.strings("ab.\u00e9/\0\uD800\uDC00", 0, 4);
    P.qt().forAll(PATHS, names).checkAssert((a, name) -> {
      String expected = outcome(() -> ours(a).resolve(name));
      assertEquals(expected, outcome(() -> ours(a).resolveName(name)));
      if (expected.startsWith("= ")) {
        assertEquals(ours(a).resolve(name), ours(a).resolveName(name));
        assertEquals(0, ours(a).resolve(name).compareTo(ours(a).resolveName(name)));
      }
    });
  }

  @Test
  void aListedNameOfAListedNameIsResolveTwice() {
    // a walk's paths: each the child of a path a listing made, their strings built on first use
    Gen<String> names = P.strings("ab.\u00e9/\0\uD800\uDC00", 0, 3);
    P.qt().forAll(PATHS, names, names).checkAssert((a, n1, n2) -> {
      String expected = outcome(() -> ours(a).resolve(n1).resolve(n2));
      assertEquals(expected, outcome(() -> ours(a).resolveName(n1).resolveName(n2)));
      if (expected.startsWith("= ")) {
        LayerPath listed = ours(a).resolveName(n1).resolveName(n2);
        // asked before anything builds its string
        assertEquals(ours(a).resolve(n1).resolve(n2).hashCode(), listed.hashCode());
        assertEquals(ours(a).resolve(n1).resolve(n2).getNameCount(),
            ours(a).resolveName(n1).resolveName(n2).getNameCount());
        assertEquals(ours(a).resolve(n1).resolve(n2).toString(),
            ours(a).resolveName(n1).resolveName(n2).toString());
      }
    });
  }

  @Test
  void resolveSibling() {
    P.qt().forAll(PATHS, PATHS).checkAssert((a, b) -> {
      assertEquals(
          outcome(() -> jdk(a).resolveSibling(jdk(b))),
          outcome(() -> ours(a).resolveSibling(ours(b))));
      assertEquals(
          outcome(() -> jdk(a).resolveSibling(b)), outcome(() -> ours(a).resolveSibling(b)));
    });
  }

  @Test
  void relativize() {
    P.qt().forAll(PATHS, PATHS).checkAssert((a, b) -> {
      assertEquals(
          outcome(() -> jdk(a).relativize(jdk(b))), outcome(() -> ours(a).relativize(ours(b))));
    });
  }

  @Test
  void relativizeAbsolutePaths() {
    P.qt().forAll(PATHS, PATHS).checkAssert((a, b) -> {
      // half the pairs of the plain property mix absolute and relative; these never do
      assertEquals(
          outcome(() -> jdk("/" + a).relativize(jdk("/" + b))),
          outcome(() -> ours("/" + a).relativize(ours("/" + b))));
    });
  }

  @Test
  void startsWithAndEndsWith() {
    P.qt().forAll(PATHS, PATHS).checkAssert((a, b) -> {
      assertEquals(jdk(a).startsWith(jdk(b)), ours(a).startsWith(ours(b)), "startsWith(Path)");
      assertEquals(jdk(a).startsWith(b), ours(a).startsWith(b), "startsWith(String)");
      assertEquals(jdk(a).endsWith(jdk(b)), ours(a).endsWith(ours(b)), "endsWith(Path)");
      assertEquals(jdk(a).endsWith(b), ours(a).endsWith(b), "endsWith(String)");
    });
  }

  @Test
  void startsWithAndEndsWithOfOwnParts() {
    P.qt().forAll(PATHS, P.ints(0, 8)).checkAssert((s, k) -> {
      // random pairs rarely share prefixes; derived ones always do
      Path j = jdk(s);
      LayerPath o = ours(s);
      int n = j.getNameCount();
      for (String part : candidates(s, k, n)) {
        assertEquals(j.startsWith(part), o.startsWith(part), "startsWith " + part);
        assertEquals(j.endsWith(part), o.endsWith(part), "endsWith " + part);
      }
    });
  }

  private static List<String> candidates(String s, int k, int n) {
    Path j = jdk(s);
    List<String> parts = new ArrayList<>();
    int i = Math.min(k, n);
    if (i > 0 && i <= n) {
      parts.add(j.subpath(0, i).toString());
      parts.add(j.subpath(n - i, n).toString());
      parts.add("/" + j.subpath(0, i));
      parts.add("/" + j.subpath(n - i, n));
      parts.add(j.subpath(0, i) + "/");
    }
    // string prefixes and suffixes, never splitting a surrogate pair
    int cps = s.codePointCount(0, s.length());
    parts.add(s.substring(0, s.offsetByCodePoints(0, Math.min(k, cps))));
    parts.add(s.substring(s.offsetByCodePoints(0, Math.max(0, cps - k))));
    return parts;
  }

  @Test
  void namesAndSubpaths() {
    P.qt().forAll(PATHS, P.ints(-1, 9), P.ints(-1, 10)).checkAssert((s, begin, end) -> {
      assertEquals(outcome(() -> jdk(s).getName(begin)), outcome(() -> ours(s).getName(begin)));
      assertEquals(
          outcome(() -> jdk(s).subpath(begin, end)), outcome(() -> ours(s).subpath(begin, end)));
      assertEquals(jdk(s).getNameCount(), ours(s).getNameCount());
    });
  }

  @Test
  void compareToAndEquals() {
    P.qt().forAll(PATHS, PATHS).checkAssert((a, b) -> {
      assertEquals(sign(jdk(a).compareTo(jdk(b))), sign(ours(a).compareTo(ours(b))), "compareTo");
      assertEquals(jdk(a).equals(jdk(b)), ours(a).equals(ours(b)), "equals");
      if (ours(a).equals(ours(b))) {
        assertEquals(ours(a).hashCode(), ours(b).hashCode(), "hashCode");
      }
    });
  }

  @Test
  void iteration() {
    P.qt().forAll(PATHS).checkAssert(s -> {
      List<String> expected = new ArrayList<>();
      jdk(s).forEach(p -> expected.add(describePath(p)));
      List<String> actual = new ArrayList<>();
      ours(s).forEach(p -> actual.add(describePath(p)));
      assertEquals(expected, actual);
    });
  }

  @Test
  void toAbsolutePathResolvesAgainstTheRoot() {
    P.qt().forAll(PATHS).checkAssert(s -> {
      assertEquals(
          outcome(() -> jdk("/").resolve(jdk(s))), outcome(() -> ours(s).toAbsolutePath()));
    });
  }

  @Test
  void absoluteIsTheAbsolutePathUnnormalized() {
    P.qt().forAll(PATHS).checkAssert(s -> {
      // ".." stays for the lookup to resolve after symbolic links, as Linux does
      assertEquals(jdk("/").resolve(jdk(s)).toString(), ours(s).absolute());
    });
  }

  @Test
  void resultsParseBackToEqualPaths() {
    P.qt().forAll(PATHS, PATHS).checkAssert((a, b) -> {
      // paths built by algebra must be indistinguishable from parsed ones
      for (LayerPath p : List.of(
          ours(a).normalize(), ours(a).resolve(ours(b)), ours(a).toAbsolutePath())) {
        LayerPath reparsed = ours(p.toString());
        assertEquals(reparsed, p);
        assertEquals(describePath(reparsed), describePath(p));
        assertEquals(reparsed.absolute(), p.absolute());
      }
    });
  }

  // --- explicit cases ---

  @Test
  void jdkExamplesOfRelativize() {
    assertEquals("../c", ours("/a/b").relativize(ours("/a/c")).toString());
    assertEquals("c/d", ours("a/b").relativize(ours("a/b/c/d")).toString());
    assertEquals("", ours("a").relativize(ours("a")).toString());
    assertEquals("a", ours("").relativize(ours("a")).toString());
    assertEquals("..", ours("a").relativize(ours("")).toString());
    assertEquals("b", ours(".").relativize(ours("a/../b")).toString());
    assertEquals("../..", ours("a").relativize(ours("..")).toString());
    assertEquals("..", ours("..").relativize(ours("../..")).toString());
    assertThrows(IllegalArgumentException.class, () -> ours("/a").relativize(ours("b")));
    assertThrows(IllegalArgumentException.class, () -> ours("a/../..").relativize(ours("b")));
    assertThrows(IllegalArgumentException.class, () -> ours("..").relativize(ours(".")));
  }

  @Test
  void emptyPathCorners() {
    LayerPath empty = ours("");
    assertEquals(1, empty.getNameCount());
    assertEquals("", empty.getFileName().toString());
    assertNull(empty.getParent());
    assertNull(empty.getRoot());
    assertTrue(empty.startsWith(""));
    assertFalse(ours("a").startsWith(""));
    assertTrue(empty.endsWith(""));
    assertEquals("/", empty.toAbsolutePath().toString());
    assertEquals("", ours(".").normalize().toString());
  }

  @Test
  void slashesCollapse() {
    assertEquals("/", ours("//").toString());
    assertEquals("/a/b", ours("//a//b//").toString());
    assertEquals("a/b", LayerPath.parse(FS, "a/", "", "/b/").toString());
    assertEquals(0, ours("/").getNameCount());
    assertNull(ours("/").getFileName());
    assertNull(ours("/").getParent());
    assertEquals("/", ours("/a").getParent().toString());
  }

  @Test
  void ordersByCodePointLikeTheJdk() {
    // U+FFFD sorts after U+1D11E in UTF-16 but before it in UTF-8
    assertTrue(ours("\uFFFD").compareTo(ours("\uD834\uDD1E")) < 0);
    assertTrue(ours("a").compareTo(ours("a/b")) < 0);
    assertTrue(ours("a/b").compareTo(ours("a b")) > 0);
  }

  @Test
  void absoluteKeepsDotsForTheLookup() {
    assertEquals("/a/../..", ours("/a/../..").absolute());
    assertEquals("/../b", ours("../b").absolute());
    assertEquals("/a/./b", ours("a/./b/").absolute());
    assertEquals("/", ours("").absolute());
    LayerPath p = ours("/x/y");
    assertSame(p.absolute(), p.absolute());
  }

  @Test
  void pathsOfDifferentFileSystemsAreNeverEqual() {
    LayerPath web = LayerPath.parse(FS, "/a");
    LayerPath db = LayerPath.parse(OTHER_FS, "/a");
    assertNotEquals(web, db);
    assertNotEquals(0, web.compareTo(db));
    assertEquals(-sign(web.compareTo(db)), sign(db.compareTo(web)));
    assertFalse(web.startsWith(db));
    assertFalse(web.endsWith(db));
    assertThrows(ProviderMismatchException.class, () -> web.resolve(db));
    assertThrows(ProviderMismatchException.class, () -> web.relativize(db));
    assertThrows(ProviderMismatchException.class, () -> web.resolveSibling(db));
  }

  @Test
  void foreignPathsAreRejected() {
    Path foreign = Path.of("a");
    LayerPath p = ours("a");
    assertThrows(ProviderMismatchException.class, () -> LayerPath.check(foreign));
    assertThrows(NullPointerException.class, () -> LayerPath.check(null));
    assertSame(p, LayerPath.check(p));
    assertThrows(ClassCastException.class, () -> p.compareTo(foreign));
    assertThrows(ProviderMismatchException.class, () -> p.resolve(foreign));
    assertThrows(ProviderMismatchException.class, () -> p.relativize(foreign));
    assertFalse(p.startsWith(foreign));
    assertFalse(p.endsWith(foreign));
    assertFalse(p.equals(foreign));
    assertThrows(NullPointerException.class, () -> p.startsWith((Path) null));
  }

  @Test
  void unsupportedConversions() throws Exception {
    LayerPath p = ours("/a");
    assertThrows(UnsupportedOperationException.class, p::toFile);
    // as a host path with another provider's watch service
    try (var watcher = FileSystems.getDefault().newWatchService()) {
      assertThrows(java.nio.file.ProviderMismatchException.class,
          () -> p.register(watcher, StandardWatchEventKinds.ENTRY_CREATE));
    }
  }

  @Test
  void iteratorIsReadOnlyAndEnds() {
    Iterator<Path> it = ours("/a/b").iterator();
    assertEquals("a", it.next().toString());
    assertThrows(UnsupportedOperationException.class, it::remove);
    assertEquals("b", it.next().toString());
    assertFalse(it.hasNext());
    assertThrows(NoSuchElementException.class, it::next);
  }

  @Test
  void fileSystemOfAPathIsItsOwn() {
    assertSame(FS, ours("a").getFileSystem());
    assertSame(FS, ours("a").resolve("b").getFileSystem());
    assertSame(FS, ours("/a").getRoot().getFileSystem());
  }

  @Test
  void oracleSeesRealDifferences() {
    // guards the comparison helpers themselves: distinct paths must have distinct outcomes
    assertNotEquals(outcome(() -> ours("a/b")), outcome(() -> ours("a/c")));
    assertNotEquals(outcome(() -> ours("/a")), outcome(() -> ours("a")));
    assertNotEquals(outcome(() -> ours("a").getName(3)), outcome(() -> ours("a").getName(0)));
  }
}
