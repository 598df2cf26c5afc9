package io.layerfs.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Image;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.store.Store;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docker import's counterpart: a file system tar becomes an image of one layer. */
class RootfsImportTest {
  @TempDir Path dir;

  /** A tar as docker export writes one: directories, a file, a link. */
  private static byte[] rootfsTar() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      TarArchiveEntry etc = new TarArchiveEntry("etc/");
      etc.setMode(040755);
      tar.putArchiveEntry(etc);
      tar.closeArchiveEntry();
      byte[] motd = "imported\n".getBytes(StandardCharsets.UTF_8);
      TarArchiveEntry file = new TarArchiveEntry("etc/motd");
      file.setMode(0100640);
      file.setSize(motd.length);
      tar.putArchiveEntry(file);
      tar.write(motd);
      tar.closeArchiveEntry();
      TarArchiveEntry link = new TarArchiveEntry("motd", TarArchiveEntry.LF_SYMLINK);
      link.setLinkName("etc/motd");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
    }
    return bytes.toByteArray();
  }

  private static String read(FileTree tree, String path) throws IOException {
    try (FileHandle h = tree.open(path, Set.of(StandardOpenOption.READ), 0)) {
      ByteBuffer b = ByteBuffer.allocate((int) h.size());
      h.read(b, 0);
      return new String(b.array(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aTarBecomesAnImageOfOneLayerWhoseDiffIdIsTheTarsDigest() throws Exception {
    byte[] tar = rootfsTar();
    try (Store store = Store.open(dir.resolve("store"))) {
      Image image = store.importRootfs(new ByteArrayInputStream(tar), "rootfs.tar", "imp:1");
      assertEquals(List.of("imp:1"), store.tags());
      assertEquals(1, image.layers().size());
      assertEquals(Digest.of("sha256", MessageDigest.getInstance("SHA-256").digest(tar)),
          image.layers().get(0).diffId());
      FileTree view = store.view("imp:1");
      assertEquals("imported\n", read(view, "/etc/motd"));
      assertEquals(0640, view.lookup("/etc/motd", false).mode() & 07777);
      assertEquals(EntryType.SYMLINK, view.lookup("/motd", false).type());
      assertEquals("imported\n", read(view, "/motd"));
      JsonNode config = new ObjectMapper().readTree(store.imageConfig(image));
      assertEquals("linux", config.get("os").asText());
      assertEquals(RootfsImport.hostArchitecture(), config.get("architecture").asText());
      assertEquals("Imported from rootfs.tar",
          config.get("history").get(0).get("comment").asText());
    }
  }

  @Test
  void compressedTarsAreTakenAsDockerImportTakesThem() throws Exception {
    byte[] tar = rootfsTar();
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (OutputStream out = new GZIPOutputStream(gz)) {
      out.write(tar);
    }
    ByteArrayOutputStream bz = new ByteArrayOutputStream();
    try (OutputStream out = new BZip2CompressorOutputStream(bz)) {
      out.write(tar);
    }
    try (Store store = Store.open(dir.resolve("store"))) {
      Image a = store.importRootfs(new ByteArrayInputStream(gz.toByteArray()), "a.tgz", "a:1");
      Image b = store.importRootfs(new ByteArrayInputStream(bz.toByteArray()), "b.tbz", "b:1");
      assertEquals(a.layers().get(0).diffId(), b.layers().get(0).diffId());
      assertEquals("imported\n", read(store.view("b:1"), "/etc/motd"));
    }
  }

  @Test
  void whatIsNoCompleteTarIsRefusedNamingTheSourceAndNothingIsTagged() throws Exception {
    byte[] tar = rootfsTar();
    byte[] inHeader = Arrays.copyOf(tar, 512 + 4); // etc/, then part of etc/motd's header
    byte[] inData = Arrays.copyOf(tar, 1024 + 4); // etc/motd's header, 4 of its 9 bytes
    byte[] text = "not a tar at all, just words\n".repeat(40).getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream empty = new ByteArrayOutputStream();
    new TarArchiveOutputStream(empty).close();
    try (Store store = Store.open(dir.resolve("store"))) {
      for (byte[] bad : List.of(inHeader, inData, text, empty.toByteArray())) {
        IOException e = assertThrows(IOException.class,
            () -> store.importRootfs(new ByteArrayInputStream(bad), "bad.tar", "bad:1"));
        assertTrue(e.getMessage().startsWith("bad.tar: "), e.getMessage());
      }
      assertEquals(List.of(), store.tags());
    }
  }
  /**
   * A small gzip that inflates far past the store's inflateRatio (a decompression bomb) stops
   * there, as an image archive or a layer does, instead of being inflated, hashed and stored to
   * its end: the limit's error naming the source, nothing tagged, no blob or temp file left.
   */
  @Test
  void aDecompressionBombStopsAtTheInflateLimit() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(gz))) {
      TarArchiveEntry zeros = new TarArchiveEntry("zeros");
      zeros.setSize(4L << 20);
      tar.putArchiveEntry(zeros);
      tar.write(new byte[4 << 20]);
      tar.closeArchiveEntry();
    }
    assertTrue(gz.size() < (4 << 20) / 200, gz.size() + " bytes");
    Limits limits = Limits.builder().inflateFloorBytes(1 << 20).build();
    Path root = dir.resolve("store");
    try (Store store = Store.open(root, limits)) {
      LimitException e = assertThrows(LimitException.class, () -> store.importRootfs(
          new ByteArrayInputStream(gz.toByteArray()), "bomb.tgz", "bomb:1"));
      assertEquals("inflateRatio", e.limit());
      assertTrue(e.getMessage().startsWith("bomb.tgz inflates to more than "), e.getMessage());
      assertEquals(List.of(), store.tags());
    }
    ContentStore content = ContentStore.open(root);
    try (Stream<Path> blobs = Files.walk(content.blobsDir());
        Stream<Path> temps = Files.list(content.tempDir())) {
      assertEquals(List.of(), blobs.filter(Files::isRegularFile).toList());
      assertEquals(List.of(), temps.toList());
    }
  }
}
