package io.layerfs.core.overlay;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.DELETE_ON_CLOSE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.FileHandle;
import io.layerfs.core.Node;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's answers where Linux decides something beyond the tree: the group a new entry
 * takes in a set-group-ID directory, the set-user-ID and set-group-ID bits a chown clears
 * (checked against a host file), the option combinations {@code FileChannel.open} refuses
 * (checked against the JDK), and a closed or read-only container.
 */
class OverlayTest {
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
  void aSetGroupIdDirectoryGivesNewEntriesItsGroup() throws IOException {
    ov.createDirectory("/sg", 0775);
    ov.setMode("/sg", false, 02775);
    ov.setOwner("/sg", false, -1, 50);
    assertEquals(02775, ov.lookup("/sg", false).mode(), "a directory keeps its bits on chown");
    ov.open("/sg/f", Set.of(WRITE, CREATE), 0644).close();
    ov.createDirectory("/sg/d", 0755);
    ov.createSymbolicLink("/sg/l", "f");
    for (String name : new String[] {"f", "d", "l"}) {
      assertEquals(50, ov.lookup("/sg/" + name, false).gid(), name);
      assertEquals("", ov.lookup("/sg/" + name, false).groupName(), name);
    }
    assertEquals(02755, ov.lookup("/sg/d", false).mode(), "a new directory takes the bit");
    assertEquals(0644, ov.lookup("/sg/f", false).mode(), "a file does not");

    ov.createDirectory("/plain", 0755);
    ov.createDirectory("/plain/d", 0755);
    assertEquals(0755, ov.lookup("/plain/d", false).mode());
    assertEquals(ov.lookup("/", false).gid(), ov.lookup("/plain/d", false).gid());
  }

  @Test
  void aChownClearsTheSetIdBitsOfAFileAsOnTheHost() throws IOException {
    // the host's file is chowned to its own owner or group, or to -1 and -1 (chown(2) then
    // changes no id but still clears the bits), which needs no privilege
    int uid = hostInt(host, "uid");
    int gid = hostInt(host, "gid");
    int[] modes = {06755, 06745, 04755, 02755, 02745, 0755};
    for (int mode : modes) {
      for (String ids : new String[] {"u", "g", "none"}) {
        String name = Integer.toOctalString(mode) + ids;
        Path h = Files.createFile(host.resolve(name));
        Files.setAttribute(h, "unix:mode", mode);
        switch (ids) {
          case "u" -> Files.setAttribute(h, "unix:uid", uid);
          case "g" -> Files.setAttribute(h, "unix:gid", gid);
          default -> Files.setAttribute(h, "unix:uid", -1); // chown(path, -1, -1)
        }
        ov.open("/" + name, Set.of(WRITE, CREATE), 0644).close();
        ov.setMode("/" + name, false, mode);
        ov.setOwner("/" + name, false, ids.equals("u") ? 7 : -1, ids.equals("g") ? 7 : -1);
        Node n = ov.lookup("/" + name, false);
        assertEquals(hostInt(h, "mode") & 07777, n.mode(), name);
        assertEquals(ids.equals("u") ? 7 : 0, n.uid(), name);
        assertEquals(ids.equals("g") ? 7 : 0, n.gid(), name);
      }
    }
  }

  @Test
  void optionCombinationsTheJdkRefusesAreRefused() throws IOException {
    Path h = Files.writeString(host.resolve("f"), "x");
    for (Set<OpenOption> options : List.<Set<OpenOption>>of(Set.of(READ, APPEND),
        Set.of(APPEND, TRUNCATE_EXISTING), Set.of(WRITE, APPEND, TRUNCATE_EXISTING))) {
      IllegalArgumentException jdk = assertThrows(IllegalArgumentException.class,
          () -> FileChannel.open(h, options));
      IllegalArgumentException mine = assertThrows(IllegalArgumentException.class,
          () -> ov.open("/etc/hosts", options, 0));
      assertEquals(jdk.getMessage(), mine.getMessage(), options.toString());
    }
    // no READ or WRITE: reading; APPEND alone: writing at the end
    try (FileHandle r = ov.open("/etc/hosts", Set.of(), 0)) {
      assertTrue(r.readable());
      assertFalse(r.writable());
    }
    try (FileHandle a = ov.open("/etc/hosts", Set.of(APPEND), 0)) {
      assertTrue(a.writable());
      assertFalse(a.readable());
      assertTrue(a.append());
      a.write(ByteBuffer.wrap(new byte[] {'!'}), 0);
    }
    assertEquals(21, ov.lookup("/etc/hosts", false).size());
  }

  @Test
  void aClosedContainerRefusesEverything() throws IOException {
    ov.close();
    ov.close(); // twice: nothing more
    assertThrows(ClosedFileSystemException.class, () -> ov.lookup("/etc", false));
    assertThrows(ClosedFileSystemException.class, () -> ov.find("/etc", false));
    assertThrows(ClosedFileSystemException.class, () -> ov.list("/"));
    assertThrows(ClosedFileSystemException.class, () -> ov.open("/etc/hosts", Set.of(), 0));
    assertThrows(ClosedFileSystemException.class,
        () -> ov.open("/etc/hosts", Set.of(WRITE), 0));
    assertThrows(ClosedFileSystemException.class, () -> ov.createDirectory("/x", 0755));
    assertThrows(ClosedFileSystemException.class, () -> ov.diff());
    fx.reopen(false);
  }

  @Test
  void aReadOnlyContainerRefusesChangesAndLocks() throws IOException {
    ov.createDirectory("/kept", 0755);
    ov = fx.reopen(true);
    assertTrue(ov.readOnly());
    assertThrows(ReadOnlyFileSystemException.class, () -> ov.createDirectory("/x", 0755));
    assertThrows(ReadOnlyFileSystemException.class,
        () -> ov.open("/etc/hosts", Set.of(WRITE), 0));
    assertThrows(ReadOnlyFileSystemException.class,
        () -> ov.open("/etc/hosts", Set.of(READ, DELETE_ON_CLOSE), 0));
    assertThrows(UnsupportedOperationException.class, () -> ov.lockFile(1));
    assertTrue(ov.lookup("/kept", false).isDirectory());
    assertEquals(2, ov.layers().size());
  }

  @Test
  void findAndListAnswerAsLookupDoes() throws IOException {
    assertNull(ov.find("/nope", false));
    assertNull(ov.find("/nope/deeper", false));
    assertEquals("/etc/hosts", ov.find("/etc/hosts", false).path());
    assertThrows(NotDirectoryException.class, () -> ov.list("/etc/hosts"));
    assertThrows(NotDirectoryException.class, () -> ov.list("/etc/hosts/x"));
    assertFalse(ov.readOnly());
    try (FileChannel lock = ov.lockFile(0x2a)) {
      assertTrue(lock.isOpen());
      assertTrue(Files.exists(fx.dir.resolve("locks/2a")));
    }
  }

  private static int hostInt(Path p, String attribute) throws IOException {
    return (Integer) Files.getAttribute(p, "unix:" + attribute);
  }
}
