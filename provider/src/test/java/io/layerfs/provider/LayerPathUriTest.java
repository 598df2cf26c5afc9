package io.layerfs.provider;

import static io.layerfs.provider.JdkOracle.FS;
import static io.layerfs.provider.JdkOracle.jdk;
import static io.layerfs.provider.JdkOracle.ours;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.testing.Props;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** {@code layerfs://NAME/path} URIs: the JDK's file URI encoding, and the way back. */
class LayerPathUriTest {

  private static final Props P = Props.tries(1000);
  private static final Gen<String> PATHS = JdkOracle.pathStrings(P);
  // names the provider accepts, and a few it would not, which must still round-trip here
  private static final Gen<String> NAMES =
      P.choose("web", "my_app", "1db", "a.b-c", "x", "with space", "ü", "a:b", "a@b");

  @Test
  void pathIsEncodedLikeTheJdksFileUris() {
    P.qt().forAll(PATHS).checkAssert(s -> {
      Path jdkAbs = jdk("/").resolve(jdk(s));
      String expected = jdkAbs.toUri().getRawPath();
      // the JDK appends "/" for directories that exist on this machine; this file system has
      // paths only, so none of its names is a directory
      if (expected.length() > 1 && expected.endsWith("/") && Files.isDirectory(jdkAbs)) {
        expected = expected.substring(0, expected.length() - 1);
      }
      URI uri = ours(s).toUri();
      assertEquals(expected, uri.getRawPath());
      assertEquals("layerfs", uri.getScheme());
      assertEquals("web", uri.getAuthority());
      assertNull(uri.getRawQuery());
      assertNull(uri.getRawFragment());
      assertEquals("layerfs://web" + expected, uri.toString());
    });
  }

  @Test
  void fromUriInvertsToUri() {
    P.qt().forAll(PATHS).checkAssert(s -> {
      LayerPath p = ours(s);
      assertEquals(p.toAbsolutePath(), LayerPath.fromUri(FS, p.toUri()));
    });
  }

  @Test
  void fromUriInvertsToUriForAnyName() {
    P.qt().forAll(NAMES, PATHS).checkAssert((name, s) -> {
      LayerFileSystem fs = new LayerFileSystem(new LayerFileSystemProvider(), name);
      LayerPath p = LayerPath.parse(fs, "/" + s);
      URI uri = p.toUri();
      assertEquals(name, uri.getAuthority());
      assertEquals(p, LayerPath.fromUri(fs, uri));
    });
  }

  @Test
  void specialCharactersAreEscaped() {
    assertEquals(
        "layerfs://web/a%20b/%25/%23/%3F/%C3%A9", ours("/a b/%/#/?/é").toUri().toString());
    assertEquals("layerfs://web/", ours("/").toUri().toString());
    assertEquals("layerfs://web/a/./../b", ours("a/./../b").toUri().toString());
    assertEquals("layerfs://web/a;b=c,d$+&@:", ours("/a;b=c,d$+&@:").toUri().toString());
  }

  @Test
  void fromUriDecodes() {
    assertEquals(ours("/a b/é"), LayerPath.fromUri(FS, URI.create("layerfs://web/a%20b/%C3%A9")));
    assertEquals(ours("/dir"), LayerPath.fromUri(FS, URI.create("layerfs://web/dir/")));
    assertEquals(ours("/"), LayerPath.fromUri(FS, URI.create("LAYERFS://web/")));
    // a URI built from a string may carry raw non-ASCII characters
    assertEquals(ours("/é"), LayerPath.fromUri(FS, URI.create("layerfs://web/é")));
  }

  /**
   * Bytes that are not UTF-8 name a file as they do for the JDK's own provider ({@code
   * file:///%C3} is a path there): the name holds each as an escape, and its URI gives it back.
   */
  @Test
  void uriBytesThatAreNotUtf8AreANamesOwn() {
    LayerPath latin1 = LayerPath.fromUri(FS, URI.create("layerfs://web/caf%E9/%C3"));
    assertEquals(ours("/caf\udce9/\udcc3"), latin1);
    assertEquals(URI.create("layerfs://web/caf%E9/%C3"), latin1.toUri());
    assertEquals(latin1, LayerPath.fromUri(FS, latin1.toUri()));
  }

  @Test
  void fromUriRejectsWhatIsNotAPathOfThisFileSystem() {
    for (String bad : List.of(
        "layerfs://web",
        "layerfs://db/a",
        "file:///a",
        "layerfs://web/a?x=1",
        "layerfs://web/a#frag",
        "layerfs://web/a%00b",
        "layerfs:/a",
        "layerfs:web/a")) {
      assertThrows(
          IllegalArgumentException.class, () -> LayerPath.fromUri(FS, URI.create(bad)), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> LayerPath.fromUri(FS, URI.create("/a")));
  }
}
