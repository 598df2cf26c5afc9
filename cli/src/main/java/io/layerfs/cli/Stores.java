package io.layerfs.cli;

import io.layerfs.provider.LayerFileSystemProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** How the commands reach the store: through the public provider contract, as a user would. */
final class Stores {
  private static final AtomicInteger VIEWS = new AtomicInteger();

  private Stores() {}

  /** The provider's default store, in DESIGN.md's order. */
  static Path defaultStore() {
    return LayerFileSystemProvider.defaultStore();
  }

  /** A read-only view of an image, under a name no container uses. */
  static FileSystem openImage(Path store, String image) throws IOException {
    String name = "cli-view-" + ProcessHandle.current().pid() + "-" + VIEWS.incrementAndGet();
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "image", image, "readOnly", true));
  }
}
