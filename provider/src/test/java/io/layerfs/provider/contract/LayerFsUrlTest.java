package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code path.toUri().toURL()} gives a URL that libraries taking a URL can read, as a {@code
 * jar:} URL of a zipfs entry: the bytes, length and time of the file, and clear errors for a
 * missing file, a directory and a file system not open in this JVM.
 */
class LayerFsUrlTest {
  @TempDir static Path store;
  private static FileSystem fs;

  @BeforeAll
  static void open() throws IOException {
    FixtureImages.build(store);
    fs = FileSystems.newFileSystem(URI.create("layerfs://urls"),
        Map.of("store", store, "image", FixtureImages.TAG));
    Files.writeString(fs.getPath("/data/config.json"), "{\"name\": \"web\", \"port\": 8080}");
  }

  @AfterAll
  static void close() throws IOException {
    fs.close();
  }

  @Test
  void aFilesUrlReadsItsBytes() throws IOException {
    URL url = fs.getPath("/data/one").toUri().toURL();
    assertEquals("layerfs://urls/data/one", url.toString());
    try (InputStream in = url.openStream()) {
      assertArrayEquals(Fixture.data("data/one"), in.readAllBytes());
    }
    URLConnection c = url.openConnection();
    assertEquals(Files.size(fs.getPath("/data/one")), c.getContentLengthLong());
    assertEquals(Files.getLastModifiedTime(fs.getPath("/data/one")).toMillis(),
        c.getLastModified());
  }

  @Test
  void aLibraryTakingAUrlReadsTheContainersFile() throws IOException {
    JsonNode json = new ObjectMapper().readTree(fs.getPath("/data/config.json").toUri().toURL());
    assertEquals("web", json.get("name").asText());
    assertEquals(8080, json.get("port").asInt());
    // a URL relative to a directory's URL, as a library resolving includes would make it
    URL dir = fs.getPath("/etc").toUri().toURL();
    try (InputStream in = new URL(dir, "os-release").openStream()) {
      assertEquals(Files.readString(fs.getPath("/etc/os-release")),
          new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void errorsNameTheUrl() throws IOException {
    assertThrows(NoSuchFileException.class,
        () -> fs.getPath("/data/missing").toUri().toURL().openStream());
    FileNotFoundException dir = assertThrows(FileNotFoundException.class,
        () -> fs.getPath("/etc").toUri().toURL().openStream());
    assertTrue(dir.getMessage().contains("is a directory"), dir.getMessage());
    FileNotFoundException closed = assertThrows(FileNotFoundException.class,
        () -> URI.create("layerfs://not-open/etc/os-release").toURL().openStream());
    assertTrue(closed.getMessage().contains("not-open"), closed.getMessage());
  }
}
