package io.layerfs.core.transfer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
  void registryTransportComesLater() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Transport.parse("docker://docker.io/library/busybox:latest"));
    assertTrue(e.getMessage().contains("later version"), e.getMessage());
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

  @Property
  void toStringParsesBack(@ForAll("transports") Transport t) {
    assertEquals(t, Transport.parse(t.toString()));
  }

  @Property
  void pathEndsAtTheFirstColon(@ForAll("paths") String path, @ForAll("tags") String tag) {
    Transport t = Transport.parse("oci-archive:" + path + ":" + tag);
    assertEquals(Path.of(path), t.path());
    assertEquals(tag, t.reference());
  }

  @Property
  void unknownTransportsAreRejected(@ForAll("names") String name, @ForAll("paths") String path) {
    if (name.equals("oci") || name.equals("oci-archive") || name.equals("docker-archive")) {
      return;
    }
    String s = name + ":" + path;
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Transport.parse(s));
    assertTrue(e.getMessage().contains(s), e.getMessage());
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> part = Arbitraries.strings().withChars("abcXYZ019._- ").ofMinLength(1)
        .ofMaxLength(8);
    return part.list().ofMinSize(1).ofMaxSize(4).map(parts -> String.join("/", parts))
        .flatMap(p -> Arbitraries.of(p, "/" + p));
  }

  @Provide
  Arbitrary<String> tags() {
    Arbitrary<String> component = Arbitraries.strings().withChars("abcXYZ0129").ofMinLength(1)
        .ofMaxLength(6);
    Arbitrary<String> separator = Arbitraries.of(".", "_", "-", ":", "@", "+", "--", "/");
    return Combinators.combine(component, separator, component, Arbitraries.of(true, false))
        .as((a, s, b, both) -> both ? a + s + b : a);
  }

  @Provide
  Arbitrary<String> dockerRefs() {
    Arbitrary<String> component = Arbitraries.strings().withChars("abcz019").ofMinLength(1)
        .ofMaxLength(6);
    Arbitrary<String> name = component.list().ofMinSize(1).ofMaxSize(3)
        .map(parts -> String.join("/", parts));
    Arbitrary<String> tag = Arbitraries.strings().withChars("aZ09_.-").ofMinLength(1)
        .ofMaxLength(10).filter(t -> t.charAt(0) != '.' && t.charAt(0) != '-');
    return Combinators.combine(name, tag, Arbitraries.of(true, false))
        .as((n, t, tagged) -> tagged ? n + ":" + t : n);
  }

  @Provide
  Arbitrary<Transport> transports() {
    Arbitrary<Transport> oci = Combinators.combine(
        Arbitraries.of(Transport.Kind.OCI, Transport.Kind.OCI_ARCHIVE), paths(),
        tags().injectNull(0.3))
        .as((k, p, r) -> new Transport(k, Path.of(p), r));
    Arbitrary<Transport> docker = Combinators.combine(paths(), dockerRefs().injectNull(0.3))
        .as((p, r) -> new Transport(Transport.Kind.DOCKER_ARCHIVE, Path.of(p), r));
    return Arbitraries.oneOf(oci, docker);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withChars("abcdeiklnoprst-").ofMinLength(1).ofMaxLength(15);
  }
}
