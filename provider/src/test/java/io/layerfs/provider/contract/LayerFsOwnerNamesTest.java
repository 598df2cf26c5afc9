package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Owners are named from the container's own {@code /etc/passwd} and {@code /etc/group}, as
 * {@code ls -l} shows them inside {@code docker exec}, never from the host's: {@code data/one}
 * of the fixture belongs to 1000:1000, which the host may name otherwise or not at all.
 */
class LayerFsOwnerNamesTest {
  @TempDir static Path store;
  private static int count;
  private FileSystem fs;

  @BeforeAll
  static void buildImage() throws IOException {
    FixtureImages.build(store);
  }

  @BeforeEach
  void open() throws IOException {
    fs = FileSystems.newFileSystem(URI.create("layerfs://owners-" + ++count),
        Map.of("store", store, "image", FixtureImages.TAG));
  }

  @AfterEach
  void close() throws IOException {
    fs.close();
  }

  @Test
  void withoutAccountFilesOwnersAreNumbers() throws IOException {
    Files.deleteIfExists(fs.getPath("/etc/passwd"));
    Files.deleteIfExists(fs.getPath("/etc/group"));
    assertEquals("1000", Files.getOwner(fs.getPath("/data/one")).getName());
    UserPrincipalLookupService lookup = fs.getUserPrincipalLookupService();
    assertEquals(Files.getOwner(fs.getPath("/data/one")), lookup.lookupPrincipalByName("1000"));
    assertThrows(UserPrincipalNotFoundException.class, () -> lookup.lookupPrincipalByName("root"));
  }

  @Test
  void namesComeFromTheContainersOwnAccountFilesAndFollowTheirChanges() throws IOException {
    Files.writeString(fs.getPath("/etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\n# a comment\nbroken line\napp:x:1000:1000::/app:/bin/sh\n");
    Files.writeString(fs.getPath("/etc/group"), "root:x:0:\nstaff:x:1000:app\n");
    Path one = fs.getPath("/data/one");
    PosixFileAttributes a = Files.readAttributes(one, PosixFileAttributes.class);
    assertEquals("app", a.owner().getName());
    assertEquals("staff", a.group().getName());

    UserPrincipalLookupService lookup = fs.getUserPrincipalLookupService();
    UserPrincipal root = lookup.lookupPrincipalByName("root");
    GroupPrincipal staff = lookup.lookupPrincipalByGroupName("staff");
    assertEquals(a.owner(), lookup.lookupPrincipalByName("app"));
    assertEquals(a.group(), staff);
    assertEquals(root, lookup.lookupPrincipalByName("0"));
    assertThrows(UserPrincipalNotFoundException.class, () -> lookup.lookupPrincipalByName("nobody"));

    Files.setOwner(one, root);
    assertEquals(0, Files.getAttribute(one, "unix:uid"));
    assertEquals("root", Files.getOwner(one).getName());

    // the container renames its user: the next read shows the new name
    Files.writeString(fs.getPath("/etc/passwd"), "admin:x:0:0::/:/bin/sh\n");
    assertEquals("admin", Files.getOwner(one).getName());
    assertEquals(root, lookup.lookupPrincipalByName("admin"));
  }
}
