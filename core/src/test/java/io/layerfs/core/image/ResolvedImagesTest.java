package io.layerfs.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Image;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The memo of resolved images answers exactly what a full resolve would: its records are used
 * while every input reads the same bytes, and any change is a miss that the full resolve handles.
 * A record planted with a different answer shows which path answered.
 */
class ResolvedImagesTest {
  @TempDir Path tmp;
  ContentStore store;
  Image image;

  @BeforeEach
  void build() throws IOException {
    store = ContentStore.open(tmp);
    ImageBuilder.create(store.root()).file("/a", "a").build("t");
    image = Images.resolveRemembered(store, "t");
  }

  private Path memo() {
    return tmp.resolve(ContentStore.STATE_DIR).resolve(ResolvedImages.FILE);
  }

  /** Remembers, for tag t and the store's current inputs, an image no resolve would give. */
  private Image plant() throws IOException {
    Image planted = new Image(image.manifestDigest(), image.manifestMediaType(),
        image.configDigest(), "plan9", "mips", image.layers());
    List<ResolvedImages.Input> inputs = List.of(
        new ResolvedImages.Input(image.manifestDigest(),
            Files.readAllBytes(store.blobPath(image.manifestDigest()))),
        new ResolvedImages.Input(image.configDigest(),
            Files.readAllBytes(store.blobPath(image.configDigest()))));
    ResolvedImages.remember(store, store.readIndexBytes(),
        new ResolvedImages.Entry("t", Images.DEFAULT_OS, Images.DEFAULT_ARCH, 0, inputs, planted));
    return planted;
  }

  @Test
  void theFirstResolveIsRemembered() throws IOException {
    assertTrue(Files.isRegularFile(memo()));
    assertEquals(image, ResolvedImages.find(store, store.readIndexBytes(), "t",
        Images.DEFAULT_OS, Images.DEFAULT_ARCH));
    assertNull(ResolvedImages.find(store, store.readIndexBytes(), "t", "linux", "arm64"));
    assertNull(ResolvedImages.find(store, store.readIndexBytes(), "u", Images.DEFAULT_OS,
        Images.DEFAULT_ARCH));
  }

  @Test
  void unchangedInputsAreAnsweredFromTheMemo() throws IOException {
    Image planted = plant();
    assertEquals(planted, Images.resolveRemembered(store, "t"));
    assertTrue(Images.isKnown(store, "t"));
    assertEquals(image, Images.resolve(store, "t"), "resolve does not use the memo");
  }

  @Test
  void onlyOpeningWritesTheMemo() throws IOException {
    Files.delete(memo());
    Images.resolve(store, "t");
    assertFalse(Files.exists(memo()));
    Images.resolveRemembered(store, "t");
    assertTrue(Files.exists(memo()));
  }

  @Test
  void aChangedIndexJsonIsAMiss() throws IOException {
    plant();
    store.tag("other", image.manifestDigest());
    assertEquals(image, Images.resolveRemembered(store, "t"));
  }

  @Test
  void aChangedBlobIsAMissThatTheFullResolveReports() throws IOException {
    plant();
    Path blob = store.blobPath(image.manifestDigest());
    Files.writeString(blob, Files.readString(blob).replace("\"size\"", "\"size\" "));
    IOException e = assertThrows(IOException.class, () -> Images.resolveRemembered(store, "t"));
    assertTrue(e.getMessage().contains(image.manifestDigest().toString()), e.getMessage());
  }

  @Test
  void aLoweredLimitIsAMiss() throws IOException {
    plant();
    ContentStore strict = ContentStore.open(tmp, Limits.builder().jsonBytes(100).build());
    assertThrows(LimitException.class, () -> Images.resolveRemembered(strict, "t"));
  }

  @Test
  void aDamagedMemoIsIgnoredAndRewritten() throws IOException {
    plant();
    byte[] data = Files.readAllBytes(memo());
    data[data.length / 2] ^= 1;
    Files.write(memo(), data);
    assertEquals(image, Images.resolveRemembered(store, "t"));
    assertEquals(image, ResolvedImages.find(store, store.readIndexBytes(), "t",
        Images.DEFAULT_OS, Images.DEFAULT_ARCH));
  }
}
