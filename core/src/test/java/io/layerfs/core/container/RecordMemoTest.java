package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * record.memo: kept by an open for writing, read in place of container.json's JSON only while
 * that file has exactly the bytes the memo was made from, and ignored when damaged.
 */
class RecordMemoTest {
  @TempDir Path tmp;
  private Path dir;
  private Path json;
  private Path memo;

  @BeforeEach
  void createContainer() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    try (LayerStore layers = new LayerStore(store);
        Container c = Container.open(store, layers, "web", ContainerFixture.IMAGE, false)) {
      ContainerFixture.write(c, "/hello", "world");
    }
    dir = ContainerDirectory.containers(store).resolve("web");
    json = dir.resolve(ContainerDirectory.JSON);
    memo = dir.resolve(RecordMemo.FILE);
  }

  @Test
  void anOpenForWritingKeepsAMemoThatReadsAsTheJsonParses() throws IOException {
    assertTrue(Files.exists(memo));
    ContainerRecord remembered = RecordMemo.find(dir, Files.readAllBytes(json));
    assertNotNull(remembered);
    Files.delete(memo);
    assertEquals(ContainerRecord.read(json), remembered);
    assertFalse(Files.exists(memo), "a plain read keeps no memo (it holds no lock)");
    ContainerRecord.readAndRemember(json);
    assertTrue(Files.exists(memo));
  }

  @Test
  void aMemoOfTheSameBytesIsWhatAReadGives() throws IOException {
    ContainerRecord real = ContainerRecord.read(json);
    ContainerRecord planted = new ContainerRecord(real.name(), "planted", real.manifest(),
        real.config(), real.layers(), real.created(), real.mounts(), real.id());
    RecordMemo.remember(dir, Files.readAllBytes(json), planted);
    assertEquals("planted", ContainerRecord.read(json).image());
  }

  @Test
  void aChangedFileIsParsedNotTakenFromTheMemo() throws IOException {
    String text = Files.readString(json);
    String quoted = "\"" + ContainerFixture.IMAGE + "\"";
    assertTrue(text.contains(quoted), text);
    Files.writeString(json, text.replace(quoted, "\"other:tag\""));
    assertEquals("other:tag", ContainerRecord.read(json).image());
  }

  @Test
  void aDamagedMemoIsIgnoredAndMadeAgain() throws IOException {
    ContainerRecord real = ContainerRecord.read(json);
    byte[] bytes = Files.readAllBytes(memo);
    bytes[bytes.length / 2] ^= 0x20;
    Files.write(memo, bytes);
    assertEquals(null, RecordMemo.find(dir, Files.readAllBytes(json)));
    assertEquals(real, ContainerRecord.readAndRemember(json));
    assertEquals(real, RecordMemo.find(dir, Files.readAllBytes(json)));
  }

  @Test
  void aRecordAndMemoCopiedIntoAnotherContainersFolderAreRefused() throws IOException {
    Path other = Files.createDirectories(dir.resolveSibling("other"));
    Files.copy(json, other.resolve(ContainerDirectory.JSON));
    Files.copy(memo, other.resolve(RecordMemo.FILE));
    assertNotNull(RecordMemo.find(other, Files.readAllBytes(json)));
    IOException e = assertThrows(IOException.class,
        () -> ContainerRecord.read(other.resolve(ContainerDirectory.JSON)));
    assertTrue(e.getMessage().contains("record of container 'web', not of 'other'"),
        e.getMessage());
  }
}
