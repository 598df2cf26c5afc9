package io.layerfs.provider.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.core.Change;
import io.layerfs.core.CommitOptions;
import io.layerfs.core.Image;
import io.layerfs.provider.LayerFileSystems;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Diff and commit of an open layerfs file system, through {@link LayerFileSystems}. */
class LayerFsCommitTest {
  @TempDir Path store;

  @Test
  void commitWhileOpenGivesAnImageWithTheWrites() throws IOException {
    FixtureImages.build(store);
    Image committed;
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://commit-me"),
        Map.of("store", store, "image", FixtureImages.TAG))) {
      Files.writeString(fs.getPath("/committed.txt"), "written before the commit\n");
      List<Change> diff = LayerFileSystems.diff(fs);
      assertEquals("[A /committed.txt]", diff.toString());
      committed = LayerFileSystems.commit(fs, "committed", CommitOptions.defaults());
      // the file system stays usable: later writes are not in the committed image
      Files.writeString(fs.getPath("/later.txt"), "after\n");
    }
    try (FileSystem image = FileSystems.newFileSystem(URI.create("layerfs://commit-view"),
        Map.of("store", store, "image", "committed", "readOnly", true))) {
      assertEquals("written before the commit\n",
          Files.readString(image.getPath("/committed.txt")));
      assertFalse(Files.exists(image.getPath("/later.txt")));
      assertEquals(List.of(), LayerFileSystems.diff(image));
      assertThrows(IllegalArgumentException.class,
          () -> LayerFileSystems.commit(image, null, CommitOptions.defaults()));
    }
    try (io.layerfs.core.store.Store s = io.layerfs.core.store.Store.open(store)) {
      assertEquals(committed.manifestDigest(), s.image("committed").manifestDigest());
    }
  }

  @Test
  void otherFileSystemsAreRefused() {
    assertThrows(ProviderMismatchException.class,
        () -> LayerFileSystems.diff(FileSystems.getDefault()));
  }
}
