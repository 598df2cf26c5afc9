package io.layerfs.core.overlay;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Name resolution in a container where the merged view has edges the host has too: chains of
 * symbolic links as long as Linux follows (40) and one longer, each checked against the same
 * chain on the host.
 */
class ContainerTreeTest {
  @TempDir Path tmp;
  OverlayFixture fx;
  Overlay ov;
  Path host;

  @BeforeEach
  void setUp() throws IOException {
    fx = new OverlayFixture(tmp);
    ov = fx.ov;
    host = fx.host;
  }

  @AfterEach
  void tearDown() throws IOException {
    fx.close();
  }

  @Test
  void aChainOfFortyLinksResolvesAndOneMoreIsTooManyAsOnTheHost() throws IOException {
    Files.writeString(host.resolve("target"), "t");
    ov.createDirectory("/chain", 0755);
    ov.open("/chain/target", Set.of(CREATE, WRITE), 0644).close();
    // link i points at link i+1; the last at the file
    int links = 41;
    for (int i = links; i >= 1; i--) {
      String next = i == links ? "target" : "l" + (i + 1);
      Files.createSymbolicLink(host.resolve("l" + i), Path.of(next));
      ov.createSymbolicLink("/chain/l" + i, next);
    }
    // following from link 2 takes 40 links, from link 1 takes 41
    assertTrue(Files.isRegularFile(host.resolve("l2")), "the host follows 40");
    assertTrue(ov.lookup("/chain/l2", true).isRegularFile());
    assertEquals("/chain/target", ov.lookup("/chain/l2", true).path());
    FileSystemException hostError = assertThrows(FileSystemException.class,
        () -> Files.readAllBytes(host.resolve("l1"))); // open(2): ELOOP
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> ov.lookup("/chain/l1", true));
    // ELOOP: the JDK adds "or unable to access attributes of symbolic link" to strerror's text
    assertTrue(hostError.getReason().startsWith(e.getReason()), hostError.getReason());
    assertEquals("Too many levels of symbolic links", e.getReason());
    // not followed: the link itself
    assertTrue(ov.lookup("/chain/l1", false).isSymbolicLink());
  }

  @Test
  void aLinkWithAnEmptyTargetLeadsNowhere() throws IOException {
    ov.createSymbolicLink("/empty", "");
    assertTrue(ov.lookup("/empty", false).isSymbolicLink());
    assertThrows(NoSuchFileException.class, () -> ov.lookup("/empty", true));
    assertThrows(NoSuchFileException.class, () -> ov.lookup("/empty/x", false));
  }
}
