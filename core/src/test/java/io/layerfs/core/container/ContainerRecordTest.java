package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerfs.core.Image;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** container.json: what it records, and an IOException naming the file for every bad one. */
class ContainerRecordTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private ContentStore store;
  private Image image;
  private Path json;

  @BeforeEach
  void createContainer() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    image = ContainerFixture.build(store);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "web", ContainerFixture.IMAGE, false)) {
      ContainerFixture.write(c, "/hello", "world");
    }
    json = ContainerDirectory.containers(store).resolve("web").resolve(ContainerDirectory.JSON);
  }

  @Test
  void recordsTheImageWholeAndReadsBack() throws IOException {
    ContainerRecord record = ContainerRecord.read(json);
    assertEquals("web", record.name());
    assertEquals(ContainerFixture.IMAGE, record.image());
    assertEquals(image.manifestDigest(), record.manifest());
    assertEquals(image.configDigest(), record.config());
    assertEquals(image.layers(), record.layers());
    assertTrue(record.matches(image));
    assertEquals(ContainerRecord.VERSION, JSON.readTree(json.toFile()).get("version").asInt());
  }

  @Test
  void aTruncatedFileIsAnIoExceptionNamingIt() throws IOException {
    byte[] whole = Files.readAllBytes(json);
    Files.write(json, Arrays.copyOf(whole, whole.length / 2));
    assertRefused("not valid JSON");
  }

  @Test
  void notJsonIsAnIoExceptionNamingIt() throws IOException {
    Files.writeString(json, "hello");
    assertRefused("not valid JSON");
    Files.writeString(json, "[1, 2]");
    assertRefused("expected a JSON object");
  }

  @Test
  void anOlderFileWithoutVersionIsRefusedNotMisread() throws IOException {
    edit(o -> o.remove("version"));
    assertRefused("no 'version'");
  }

  @Test
  void anUnknownVersionIsRefused() throws IOException {
    edit(o -> o.put("version", 3));
    assertRefused("version 3");
    edit(o -> o.put("version", "1"));
    assertRefused("version \"1\"");
  }

  @Test
  void mountsAreVersionTwoAndAVersionOneRecordHasNone() throws IOException {
    assertEquals(List.of(), ContainerRecord.read(json).mounts());
    ContainerRecord old = ContainerRecord.read(json);
    List<String> specs = List.of("type=volume,source=v,target=/v", "type=tmpfs,target=/t");
    new ContainerRecord(old.name(), old.image(), old.manifest(), old.config(), old.layers(),
        old.created(), specs).write(json.getParent());
    assertEquals(ContainerRecord.VERSION_MOUNTS,
        JSON.readTree(json.toFile()).get("version").asInt());
    assertEquals(specs, ContainerRecord.read(json).mounts());
    edit(o -> o.remove("mounts"));
    assertRefused("'mounts' is missing");
    edit(o -> o.putArray("mounts").add("type=nfs,target=/x"));
    assertRefused("'mounts[0]': invalid mount spec 'type=nfs,target=/x'");
    // before specs were CSV, a path's quote was recorded bare: read as meant, quoted now
    edit(o -> o.putArray("mounts").add("type=bind,source=/say\"hi,target=/x"));
    assertEquals(List.of("type=bind,\"source=/say\"\"hi\",target=/x"),
        ContainerRecord.read(json).mounts());
    assertEquals("/say\"hi", io.layerfs.core.Mount.parse(ContainerRecord.read(json).mounts()
        .get(0)).source());
    edit(o -> o.putArray("mounts").add("type=bind,\"source=/open,target=/x"));
    assertRefused("'mounts[0]': invalid mount spec 'type=bind,\"source=/open,target=/x': "
        + "unterminated quote");
  }

  @Test
  void missingOrInvalidFieldsAreIoExceptionsNamingTheField() throws IOException {
    String original = Files.readString(json);
    for (String field : new String[] {"name", "image", "manifest", "config", "created"}) {
      Files.writeString(json, original);
      edit(o -> o.remove(field));
      assertRefused("'" + field + "' is missing");
    }
    Files.writeString(json, original);
    edit(o -> o.put("manifest", "sha256:1234"));
    assertRefused("'manifest' is not a valid digest");
    Files.writeString(json, original);
    edit(o -> o.put("created", "yesterday"));
    assertRefused("'created' is 'yesterday', expected an ISO-8601 instant");
    Files.writeString(json, original);
    edit(o -> o.remove("layers"));
    assertRefused("'layers' is missing");
    Files.writeString(json, original);
    edit(o -> ((ObjectNode) o.get("layers").get(1)).put("diffId", "md5:00"));
    assertRefused("'layers[1].diffId' is not a valid digest");
    Files.writeString(json, original);
    edit(o -> ((ObjectNode) o.get("layers").get(0)).put("size", -1));
    assertRefused("'layers[0].size'");
  }

  @Test
  void aMissingFileIsNoSuchFile() throws IOException {
    Files.delete(json);
    NoSuchFileException e =
        assertThrows(NoSuchFileException.class, () -> ContainerRecord.read(json));
    assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
  }

  @Test
  void aBadRecordKeepsTheContainerFromOpeningAndDescribing() throws IOException {
    edit(o -> o.put("created", "yesterday"));
    try (LayerStore layers = new LayerStore(store)) {
      IOException e = assertThrows(IOException.class,
          () -> Container.open(store, layers, "web", null, true));
      assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
    }
    IOException e = assertThrows(IOException.class, () -> Container.info(store, "web"));
    assertTrue(e.getMessage().contains("'created'"), e.getMessage());
  }

  @Test
  void aLostRecordKeepsTheWritesFromBeingOpenedOverAnyImage() throws IOException {
    Files.delete(json);
    Path dir = json.getParent();
    List<String> before = files(dir);
    try (LayerStore layers = new LayerStore(store)) {
      for (String image : Arrays.asList(null, ContainerFixture.IMAGE)) {
        for (boolean readOnly : new boolean[] {true, false}) {
          IOException e = assertThrows(IOException.class,
              () -> Container.open(store, layers, "web", image, readOnly));
          assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
        }
      }
    }
    assertEquals(before, files(dir), "nothing written or removed");
    // gc cannot know what the layer needs: it removes nothing and says why
    io.layerfs.core.GcReport gc = io.layerfs.core.gc.GarbageCollector.collect(store, false);
    assertEquals(List.of(), gc.removed());
    assertTrue(gc.problems().toString().contains(json.toString()), gc.problems().toString());
    Container.remove(store, "web");
    assertFalse(Files.exists(dir));
  }

  private static List<String> files(Path dir) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      return s.map(p -> dir.relativize(p).toString()).filter(n -> !n.equals("lock")).sorted()
          .toList();
    }
  }

  private void edit(Consumer<ObjectNode> change) throws IOException {
    ObjectNode root = (ObjectNode) JSON.readTree(json.toFile());
    change.accept(root);
    Files.write(json, JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8));
  }

  private void assertRefused(String what) {
    IOException e = assertThrows(IOException.class, () -> ContainerRecord.read(json));
    assertTrue(e.getMessage().contains(json.toString()), e.getMessage());
    assertTrue(e.getMessage().contains(what), e.getMessage());
  }
}
