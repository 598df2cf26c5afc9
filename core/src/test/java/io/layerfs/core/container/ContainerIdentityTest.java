package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container's identity: {@code container.json} carries a random id and so do the headers of
 * its metadata log and snapshot, so that another container's file put in their place is refused
 * naming the file (and reported by the check fsck runs), however well it reads; a container an
 * older layerfs made (no id anywhere, version 3 files) still opens, and takes an id on its first
 * writable open.
 */
class ContainerIdentityTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private ContentStore store;
  private LayerStore layers;
  private Path web;
  private Path other;

  @BeforeEach
  void setUp() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    ContainerFixture.build(store);
    web = ContainerDirectory.containers(store).resolve("web");
    other = ContainerDirectory.containers(store).resolve("other");
  }

  @AfterEach
  void tearDown() throws IOException {
    layers.close();
  }

  @Test
  void eachContainerRecordsItsOwnId() throws IOException {
    open("web", false).close();
    open("other", false).close();
    UUID a = ContainerRecord.read(web.resolve(ContainerDirectory.JSON)).id();
    UUID b = ContainerRecord.read(other.resolve(ContainerDirectory.JSON)).id();
    assertNotNull(a);
    assertNotNull(b);
    assertFalse(a.equals(b));
  }

  @Test
  void anotherContainersUncompactedLogOfTheSameGenerationIsRefusedNamingIt() throws IOException {
    // the same history but for which file got which data file: the other's log fits this
    // container's data files byte for byte, and would serve /a with /b's bytes
    Path webCrash = tmp.resolve("web-crash");
    Path otherCrash = tmp.resolve("other-crash");
    try (Container w = open("web", false); Container o = open("other", false)) {
      ContainerFixture.write(w, "/a", "web a");
      ContainerFixture.write(w, "/b", "web b");
      ContainerFixture.write(o, "/b", "oth b");
      ContainerFixture.write(o, "/a", "oth a");
      ContainerFixture.copyState(web, webCrash); // as a kill -9 leaves them: not compacted
      ContainerFixture.copyState(other, otherCrash);
    }
    ContainerFixture.replaceState(web, webCrash);
    Files.copy(otherCrash.resolve("meta.log"), web.resolve("meta.log"),
        StandardCopyOption.REPLACE_EXISTING);

    assertRefusedNaming(web.resolve("meta.log"));
  }

  @Test
  void anotherContainersSnapshotIsRefusedNamingIt() throws IOException {
    try (Container w = open("web", false); Container o = open("other", false)) {
      ContainerFixture.write(w, "/a", "web a");
      ContainerFixture.write(w, "/b", "web b");
      ContainerFixture.write(o, "/b", "oth b");
      ContainerFixture.write(o, "/a", "oth a");
    }
    Files.copy(other.resolve("meta.snap"), web.resolve("meta.snap"),
        StandardCopyOption.REPLACE_EXISTING);

    assertRefusedNaming(web.resolve("meta.snap"));
  }

  @Test
  void aContainerOfAnOlderLayerfsOpensAndTakesAnIdWhenOpenedForWriting() throws IOException {
    Path crash = tmp.resolve("crash");
    try (Container w = open("web", false)) {
      ContainerFixture.write(w, "/a", "in the snapshot");
    }
    try (Container w = open("web", false)) {
      ContainerFixture.write(w, "/b", "in the log");
      ContainerFixture.copyState(web, crash);
    }
    ContainerFixture.replaceState(web, crash);
    ContainerFixture.olderFormat(web, 3);

    try (Container r = open("web", true)) {
      assertEquals("in the snapshot", ContainerFixture.readString(r, "/a"));
      assertEquals("in the log", ContainerFixture.readString(r, "/b"));
    }
    assertEquals(List.of(), Container.check(store, "web"));
    assertEquals(null, ContainerRecord.read(web.resolve(ContainerDirectory.JSON)).id(),
        "a read-only open writes nothing");

    try (Container w = open("web", false)) {
      UUID id = ContainerRecord.read(web.resolve(ContainerDirectory.JSON)).id();
      assertNotNull(id, "given an id by the first writable open");
      // both files rewritten at once, carrying it: another container's are told apart from now
      ByteBuffer log = ByteBuffer.wrap(Files.readAllBytes(web.resolve("meta.log")));
      ByteBuffer snap = ByteBuffer.wrap(Files.readAllBytes(web.resolve("meta.snap")));
      assertEquals(5, log.getInt(8), "the current version");
      assertEquals(5, snap.getInt(8), "the current version");
      assertEquals(id, new UUID(log.getLong(20), log.getLong(28)));
      assertEquals(id, new UUID(snap.getLong(20), snap.getLong(28)));
      assertEquals("in the snapshot", ContainerFixture.readString(w, "/a"));
      assertEquals("in the log", ContainerFixture.readString(w, "/b"));
      ContainerFixture.write(w, "/c", "after");
    }
    try (Container r = open("web", true)) {
      assertEquals("in the log", ContainerFixture.readString(r, "/b"));
      assertEquals("after", ContainerFixture.readString(r, "/c"));
    }
    assertEquals(List.of(), Container.check(store, "web"));
  }

  @Test
  void aRecordWithABadIdIsRefusedNamingTheField() throws IOException {
    open("web", false).close();
    Path json = web.resolve(ContainerDirectory.JSON);
    ObjectNode root = (ObjectNode) JSON.readTree(json.toFile());
    root.put("id", "not-a-uuid");
    JSON.writeValue(json.toFile(), root);
    IOException e = assertThrows(IOException.class, () -> ContainerRecord.read(json));
    assertTrue(e.getMessage().contains(json.toString()) && e.getMessage().contains("'id'"),
        e.getMessage());
  }

  private Container open(String name, boolean readOnly) throws IOException {
    return Container.open(store, layers, name, readOnly ? null : ContainerFixture.IMAGE,
        readOnly);
  }

  private void assertRefusedNaming(Path file) throws IOException {
    for (boolean readOnly : new boolean[] {true, false}) {
      IOException e = assertThrows(IOException.class, () -> open("web", readOnly).close());
      assertTrue(e.getMessage().contains(file.toString())
          && e.getMessage().contains("another container"), e.getMessage());
    }
    List<String> problems = Container.check(store, "web");
    assertTrue(problems.stream().anyMatch(p -> p.contains(file.toString())
        && p.contains("another container")), problems.toString());
    try (Container o = open("other", true)) {
      assertEquals("oth a", ContainerFixture.readString(o, "/a"), "the other is whole");
    }
  }

}
