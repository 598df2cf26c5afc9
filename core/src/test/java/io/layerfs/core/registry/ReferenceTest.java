package io.layerfs.core.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import io.layerfs.testing.Props;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;

class ReferenceTest {
  private static final Props P = Props.tries(500);
  private static final String HEX = "a".repeat(64);
  private static final Gen<String> COMPONENT = P.combine(
      P.strings("abcdefghijklmnopqrstuvwxyz0123456789", 1, 8),
      P.choose("", ".", "_", "__", "-", "--"),
      P.strings("abcdefghijklmnopqrstuvwxyz0123456789", 1, 8),
      (a, sep, b) -> sep.isEmpty() ? a : a + sep + b);
  private static final Gen<String> DOMAIN = P.choose("", "localhost/", "127.0.0.1:5000/",
      "registry.example.com/", "docker.io/", "index.docker.io/", "Host.Example:443/",
      "[::1]:5000/");
  private static final Gen<String> TAG = P.choose("", ":latest", ":1.2.3", ":_x", ":A-b.c",
      ":" + "t".repeat(128));
  private static final Gen<String> DIGEST = P.choose("", "@sha256:" + HEX);

  /** Docker's documented examples: name, then the parts Docker derives. */
  @ParameterizedTest
  @CsvSource({
      "debian, docker.io, library/debian, latest,",
      "debian:12, docker.io, library/debian, 12,",
      "docker.io/library/debian:12, docker.io, library/debian, 12,",
      "index.docker.io/library/debian, docker.io, library/debian, latest,",
      "bitnami/redis:7, docker.io, bitnami/redis, 7,",
      "localhost/app, localhost, app, latest,",
      "localhost:5000/team/app:v1, localhost:5000, team/app, v1,",
      "127.0.0.1:5000/a/b/c:x, 127.0.0.1:5000, a/b/c, x,",
      "ghcr.io/owner/img, ghcr.io, owner/img, latest,",
      "Registry/app, Registry, app, latest,",
      "docker://quay.io/x/y:z, quay.io, x/y, z,",
      "[::1]:5000/app:1, [::1]:5000, app, 1,"})
  void parsesAsDocker(String s, String domain, String path, String tag, String digest) {
    Reference r = Reference.parse(s);
    assertEquals(domain, r.domain());
    assertEquals(path, r.path());
    assertEquals(tag, r.tag());
    assertNull(r.digest());
  }

  @Test
  void digestWithAndWithoutTag() {
    Reference both = Reference.parse("app:1@sha256:" + HEX);
    assertEquals("1", both.tag());
    assertEquals(Digest.parse("sha256:" + HEX), both.digest());
    assertEquals("sha256:" + HEX, both.manifestReference());
    Reference only = Reference.parse("host:5000/app@sha256:" + HEX);
    assertNull(only.tag());
    assertEquals("host:5000/app@sha256:" + HEX, only.storeTag());
  }

  @Test
  void endpointsAndFamiliarNames() {
    assertEquals("index.docker.io", Reference.parse("debian").endpoint());
    assertEquals("debian:latest", Reference.parse("docker.io/library/debian").storeTag());
    assertEquals("bitnami/redis:7", Reference.parse("bitnami/redis:7").storeTag());
    assertEquals("library/a/b:1", Reference.parse("docker.io/library/a/b:1").storeTag());
    assertEquals("localhost:5000/app:1", Reference.parse("localhost:5000/app:1").storeTag());
    assertEquals("host:5000", Reference.parse("host:5000/app").endpoint());
    // docker pull keeps the tag when a digest pins it too
    assertEquals("app:1", Reference.parse("app:1@sha256:" + HEX).storeTag());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "UPPER", "docker.io/Library/x", "app:", "app:-x", "app:.x",
      "app@sha256:abc", "app@md5:a", "/app", "app/", "a//b", "host:5000/", "a..b",
      "a_-b", "-app", "app-", "host:port:1/app", ":tag",
      "@sha256:aaaa"})
  void refusesWhatDockerRefuses(String s) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Reference.parse(s));
    assertTrue(e.getMessage().contains("invalid image reference '" + s + "'"), e.getMessage());
  }

  @Test
  void aBadNameIsShownAsGivenWithoutTheLibraryPrefix() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Reference.parse("Bad Ref"));
    assertTrue(e.getMessage().contains("repository name 'Bad Ref' must be lowercase"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Reference.parse("a..b"));
    assertTrue(e.getMessage().contains("component 'a..b'"), e.getMessage());
  }

  @Test
  void refusesTagsLongerThan128() {
    String s = "app:" + "t".repeat(129);
    assertThrows(IllegalArgumentException.class, () -> Reference.parse(s));
  }

  @Test
  void refusesNamesLongerThan255() {
    String name = "host.example/" + "a/".repeat(130) + "b";
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Reference.parse(name));
    assertTrue(e.getMessage().contains("255"), e.getMessage());
  }

  @Test
  void fullFormRoundTrips() {
    P.qt().forAll(DOMAIN, P.lists(COMPONENT, 1, 4), TAG)
        .checkAssert((domain, components, tag) -> {
          for (String digest : List.of("", "@sha256:" + HEX)) {
            String s = domain + String.join("/", components) + tag + digest;
            Reference r = Reference.parse(s);
            assertEquals(r, Reference.parse(r.toString()), s);
            assertEquals(r, Reference.parse("docker://" + s), s);
            // the familiar form names the same image
            assertEquals(r, Reference.parse(r.familiar()), s);
            assertEquals(tag.isEmpty() ? (digest.isEmpty() ? "latest" : null)
                : tag.substring(1), r.tag(), s);
            assertTrue(r.path().endsWith(components.get(components.size() - 1)), s);
          }
        });
  }

  @Test
  void dockerHubGetsLibraryOnlyForOneComponent() {
    P.qt().forAll(P.lists(COMPONENT, 1, 3)).checkAssert(components -> {
      Reference r = Reference.parse(String.join("/", components));
      String expected = components.size() == 1
          ? "library/" + components.get(0) : String.join("/", components);
      // a first component with a dot is a registry host when more follow
      if (!components.get(0).contains(".") || components.size() == 1) {
        assertEquals("docker.io", r.domain());
        assertEquals(expected, r.path());
      }
    });
  }

  @Test
  void platforms() {
    assertEquals(new Platform("linux", "arm", "v7"), Platform.parse("linux/arm/v7"));
    assertEquals(Platform.DEFAULT, Platform.parse("linux/amd64"));
    assertEquals("linux/arm64", Platform.parse("Linux/ARM64").toString());
    for (String bad : new String[] {"linux", "linux/", "a/b/c/d", "linux amd64", ""}) {
      assertThrows(IllegalArgumentException.class, () -> Platform.parse(bad), bad);
    }
  }
}
