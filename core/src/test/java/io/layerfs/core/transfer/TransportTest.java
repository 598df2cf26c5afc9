package io.layerfs.core.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;

class TransportTest {

  @Test
  void parsesOciWithAndWithoutTag() {
    assertEquals(new Transport(Transport.Kind.OCI, Path.of("some/dir"), null),
        Transport.parse("oci:some/dir"));
    assertEquals(new Transport(Transport.Kind.OCI, Path.of("/abs/dir"), "demo:1"),
        Transport.parse("oci:/abs/dir:demo:1"));
  }

  @Test
  void parsesArchives() {
    Transport oci = Transport.parse("oci-archive:img.tar:latest");
    assertEquals(Transport.Kind.OCI_ARCHIVE, oci.kind());
    assertEquals(Path.of("img.tar"), oci.path());
    assertEquals("latest", oci.reference());

    Transport docker = Transport.parse("docker-archive:/abs/x.tar:example.com:5000/team/app:1.2");
    assertEquals(Transport.Kind.DOCKER_ARCHIVE, docker.kind());
    assertEquals(Path.of("/abs/x.tar"), docker.path());
    assertEquals("example.com:5000/team/app:1.2", docker.reference());
    assertFalse(docker.isIndexReference());

    Transport indexed = Transport.parse("docker-archive:x.tar:@2");
    assertTrue(indexed.isIndexReference());
    assertNull(Transport.parse("docker-archive:x.tar").reference());
  }

  @Test
  void unknownTransportNamesTheStringAndListsTheSupportedOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Transport.parse("dir:/some/where"));
    assertTrue(e.getMessage().contains("dir:/some/where"), e.getMessage());
    assertTrue(e.getMessage().contains("oci:DIR[:TAG]"), e.getMessage());
    assertTrue(e.getMessage().contains("oci-archive:FILE[:TAG]"), e.getMessage());
    assertTrue(e.getMessage().contains("docker-archive:FILE[:REF]"), e.getMessage());
  }

  @Test
  void registryTransportIsAReference() {
    assertEquals(io.layerfs.core.registry.Reference.parse("busybox"),
        Transport.registryReference("docker://docker.io/library/busybox:latest"));
    assertEquals(null, Transport.registryReference("oci:dir"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Transport.registryReference("docker:busybox"));
    assertTrue(e.getMessage().contains("docker://REF"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Transport.parse("docker://docker.io/library/busybox:latest"));
    assertTrue(e.getMessage().contains("docker://docker.io/library/busybox:latest"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "img.tar", ":x", "oci:", "oci::tag", "oci:dir:", "oci:dir:bad tag",
      "oci-archive:f.tar:-x", "docker-archive:f.tar:UPPER/case", "docker-archive:f.tar:a@sha256:00",
      "docker-archive:f.tar:@-1", "docker-archive:f.tar:@01", "OCI:dir"})
  void rejectsMalformedStrings(String s) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Transport.parse(s));
    assertTrue(e.getMessage().contains("'" + s + "'"), e.getMessage());
  }

  @Test
  void rejectsNull() {
    assertThrows(IllegalArgumentException.class, () -> Transport.parse(null));
  }

  @Test
  void dockerReferences() {
    assertTrue(Transport.isDockerReference("busybox"));
    assertTrue(Transport.isDockerReference("library/busybox:1.36"));
    assertTrue(Transport.isDockerReference("localhost:5000/a/b:c"));
    assertFalse(Transport.isDockerReference("Busybox"));
    assertFalse(Transport.isDockerReference("a:b:c"));
    assertFalse(Transport.isDockerReference("a/"));
    assertFalse(Transport.isDockerReference("a:" + "t".repeat(129)));
  }

  private static final Props P = Props.tries(1000);

  @Test
  void toStringParsesBack() {
    P.qt().forAll(transports()).checkAssert(t -> assertEquals(t, Transport.parse(t.toString())));
  }

  @Test
  void pathEndsAtTheFirstColon() {
    P.qt().forAll(paths(), tags()).checkAssert((path, tag) -> {
      Transport t = Transport.parse("oci-archive:" + path + ":" + tag);
      assertEquals(Path.of(path), t.path());
      assertEquals(tag, t.reference());
    });
  }

  @Test
  void unknownTransportsAreRejected() {
    P.qt().forAll(names(), paths()).checkAssert((name, path) -> {
      if (name.equals("oci") || name.equals("oci-archive") || name.equals("docker-archive")) {
        return;
      }
      String s = name + ":" + path;
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Transport.parse(s));
      assertTrue(e.getMessage().contains(s), e.getMessage());
    });
  }

  private static Gen<String> paths() {
    Gen<String> part = P.strings("abcXYZ019._- ", 1, 8);
    Gen<String> relative = P.map(P.lists(part, 1, 4), parts -> String.join("/", parts));
    return P.combine(relative, P.booleans(), (p, absolute) -> absolute ? "/" + p : p);
  }

  private static Gen<String> tags() {
    Gen<String> component = P.strings("abcXYZ0129", 1, 6);
    Gen<String> separator = P.choose(".", "_", "-", ":", "@", "+", "--", "/");
    return P.combine(component, separator, component, P.booleans(),
        (a, s, b, both) -> both ? a + s + b : a);
  }

  private static Gen<String> dockerRefs() {
    Gen<String> component = P.strings("abcz019", 1, 6);
    Gen<String> name = P.map(P.lists(component, 1, 3), parts -> String.join("/", parts));
    Gen<String> tag = P.filter(P.strings("aZ09_.-", 1, 10),
        t -> t.charAt(0) != '.' && t.charAt(0) != '-');
    return P.combine(name, tag, P.booleans(), (n, t, tagged) -> tagged ? n + ":" + t : n);
  }

  private static Gen<Transport> transports() {
    Gen<Transport> oci = P.combine(P.choose(Transport.Kind.OCI, Transport.Kind.OCI_ARCHIVE),
        paths(), orNull(tags()), (k, p, r) -> new Transport(k, Path.of(p), r));
    Gen<Transport> docker = P.combine(paths(), orNull(dockerRefs()),
        (p, r) -> new Transport(Transport.Kind.DOCKER_ARCHIVE, Path.of(p), r));
    return P.oneOf(oci, docker);
  }

  /** jqwik's injectNull(0.3). */
  private static Gen<String> orNull(Gen<String> gen) {
    return P.frequency(List.of(Pair.of(3, P.constant((String) null)), Pair.of(7, gen)));
  }

  private static Gen<String> names() {
    return P.strings("abcdeiklnoprst-", 1, 15);
  }
}
