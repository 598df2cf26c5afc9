package io.layerfs.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a container reads metadata it does not understand. */
class ContainerMetadataFormatTest {
  @TempDir Path tmp;

  @Test
  void anUnknownEntryTypeInTheLogFailsTheOpenNamingTheFile() throws IOException {
    ContentStore store = ContentStore.open(tmp.resolve("store"));
    try (LayerStore layers = new LayerStore(store)) {
      ContainerFixture.build(store);
      Container.open(store, layers, "web", ContainerFixture.IMAGE, false).close();
      Path log = store.stateDir().resolve("containers/web/meta.log");
      assertEquals(40, Files.size(log), "compacted on close: its header");
      Files.write(log, framed(fileRecordWithType(99)), StandardOpenOption.APPEND);

      IOException e = assertThrows(IOException.class,
          () -> Container.open(store, layers, "web", null, false));
      assertTrue(e.getMessage().contains(log.toString()), e.getMessage());
      assertTrue(e.getMessage().contains("unknown entry type code 99"), e.getMessage());
    }
  }

  /** A FILE op (see the overlay package documentation) cut after its type byte. */
  private static byte[] fileRecordWithType(int type) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(2); // FILE
    out.writeLong(1000); // id
    out.writeInt(0644); // mode
    out.writeInt(0); // uid
    out.writeInt(0); // gid
    out.writeInt(0); // user name: empty
    out.writeInt(0); // group name: empty
    out.writeLong(0); // mtime
    out.writeLong(0); // atime
    out.writeLong(0); // ctime
    out.writeInt(0); // no xattrs
    out.writeByte(type);
    out.flush();
    return bytes.toByteArray();
  }

  /** A log record: length, CRC32C of the payload, payload. */
  private static byte[] framed(byte[] payload) {
    CRC32C crc = new CRC32C();
    crc.update(payload);
    return ByteBuffer.allocate(8 + payload.length).putInt(payload.length)
        .putInt((int) crc.getValue()).put(payload).array();
  }
}
