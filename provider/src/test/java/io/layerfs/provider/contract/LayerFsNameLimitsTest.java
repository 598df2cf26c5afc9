package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.ImageBuilder.Entry;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tar may hold a name longer than the 255 bytes Linux takes, which no Linux directory could;
 * layerfs reads what an image holds (the view and a container list it, read it, and a container
 * deletes it), while a missing name that long is "File name too long" and a container makes none.
 */
class LayerFsNameLimitsTest {
  private static final String HELD = "h".repeat(300);
  private static final byte[] DATA = "held by the image\n".getBytes(StandardCharsets.UTF_8);

  @TempDir Path store;

  @Test
  void aLongerNameAnImageHoldsIsReadWhereAMissingOneIsTooLong() throws IOException {
    ImageBuilder.create(store).add(Entry.dir("d")).add(Entry.file("d/" + HELD, DATA))
        .build("long");
    try (FileSystem view = FileSystems.newFileSystem(URI.create("layerfs://long-view"),
        Map.of("store", store, "image", "long", "readOnly", true))) {
      assertEquals(List.of(HELD), names(view.getPath("/d")));
      assertArrayEquals(DATA, Files.readAllBytes(view.getPath("/d", HELD)));
      assertTooLong(view.getPath("/d", "i".repeat(300)));
    }
    try (FileSystem box = FileSystems.newFileSystem(URI.create("layerfs://long-box"),
        Map.of("store", store, "image", "long"))) {
      Path held = box.getPath("/d", HELD);
      assertArrayEquals(DATA, Files.readAllBytes(held));
      Files.delete(held);
      assertEquals(List.of(), names(box.getPath("/d")));
      FileSystemException e = assertThrows(FileSystemException.class,
          () -> Files.write(held, DATA));
      assertEquals("File name too long", e.getReason());
      assertTooLong(held);
    }
  }

  private static void assertTooLong(Path missing) {
    FileSystemException e = assertThrows(FileSystemException.class, () -> Files.size(missing));
    assertEquals("File name too long", e.getReason());
    assertFalse(Files.exists(missing));
    assertFalse(Files.notExists(missing));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
