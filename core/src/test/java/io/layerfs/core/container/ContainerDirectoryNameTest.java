package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Container names: the loop that replaced the regex says what Docker's regex says. */
class ContainerDirectoryNameTest {
  private static final Pattern DOCKER = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]*");

  @Test
  void isNameAgreesWithDockersRegex() {
    Props p = Props.tries(2000);
    p.qt()
        .forAll(p.strings("aZ09_.-/ é:", 0, 6))
        .checkAssert(name -> assertEquals(DOCKER.matcher(name).matches(),
            ContainerDirectory.isName(name), "'" + name + "'"));
  }

  @Test
  void namesAtTheEdges() {
    assertTrue(ContainerDirectory.isName("a"));
    assertTrue(ContainerDirectory.isName("9.-_x"));
    assertFalse(ContainerDirectory.isName(""));
    assertFalse(ContainerDirectory.isName("-a"));
    assertFalse(ContainerDirectory.isName(".a"));
    assertFalse(ContainerDirectory.isName("a/b"));
    assertThrows(IllegalArgumentException.class, () -> ContainerDirectory.checkName("_x"));
  }

  @Test
  void existsOnlyForAContainerJsonUnderAValidName(@TempDir Path dir) throws IOException {
    ContentStore store = ContentStore.open(dir);
    Path containers = ContainerDirectory.containers(store);
    Files.createDirectories(containers.resolve("web"));
    Files.createDirectories(containers.resolve("half"));
    Files.createDirectories(containers.resolve("-bad"));
    Files.writeString(containers.resolve("web").resolve(ContainerDirectory.JSON), "{}");
    Files.writeString(containers.resolve("-bad").resolve(ContainerDirectory.JSON), "{}");
    assertTrue(ContainerDirectory.exists(store, "web"));
    assertFalse(ContainerDirectory.exists(store, "half"), "no container.json");
    assertFalse(ContainerDirectory.exists(store, "-bad"), "not a container name");
    assertFalse(ContainerDirectory.exists(store, "missing"));
    assertFalse(ContainerDirectory.exists(store, null));
    assertEquals(java.util.List.of("web"), ContainerDirectory.list(store));
  }
}
