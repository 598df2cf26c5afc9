package io.layerfs.cli;

import io.layerfs.core.Container;
import io.layerfs.core.ContentStore;
import io.layerfs.provider.LayerFileSystemProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
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

  /**
   * A read-only view of container NAME when the store has one, otherwise of image NAME (a tag or
   * digest), under a name no container uses.
   */
  static FileSystem openImage(Path store, String name) throws IOException {
    if (Files.isDirectory(store) && Container.list(ContentStore.open(store)).contains(name)) {
      return FileSystems.newFileSystem(URI.create("layerfs://" + name),
          Map.of("store", store, "readOnly", true));
    }
    String view = "cli-view-" + ProcessHandle.current().pid() + "-" + VIEWS.incrementAndGet();
    return FileSystems.newFileSystem(URI.create("layerfs://" + view),
        Map.of("store", store, "image", name, "readOnly", true));
  }
}
