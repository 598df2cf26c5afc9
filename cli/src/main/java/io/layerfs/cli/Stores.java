package io.layerfs.cli;

import io.layerfs.core.store.Store;
import io.layerfs.provider.LayerFileSystemProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How the commands reach the store: through the public provider contract, as a user would (the
 * provider's instance, not the JDK's lookup of it, for the read-only views).
 */
final class Stores {
  private static final AtomicInteger VIEWS = new AtomicInteger();
  /**
   * The provider, made here rather than found by {@code FileSystems.newFileSystem}: the JDK's
   * search of every installed provider (the class path's services, the runtime image's modules)
   * cost a read-only command a tenth of its time. The paths of its file systems work with {@code
   * Files} as any other.
   */
  private static final LayerFileSystemProvider PROVIDER = new LayerFileSystemProvider();

  private Stores() {}

  /** The provider's default store (see {@link LayerFileSystemProvider#defaultStore}). */
  static Path defaultStore() {
    return LayerFileSystemProvider.defaultStore();
  }

  /**
   * The store at {@code dir}, which must exist: commands that only read or change what is in a
   * store never create one where the user mistyped a path.
   */
  static Store existing(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new NoSuchFileException(dir.toString(), null,
          "no store at " + dir + " (give --store DIR)");
    }
    return Store.open(dir);
  }

  /**
   * Checks that container {@code name} exists, so that commands name the problem in their own
   * words rather than the API's ("give 'image' to create it").
   */
  static void checkContainer(Store store, String name) throws IOException {
    if (!store.containers().contains(name)) {
      store.containerInfo(name); // throws for a bad name or a missing container
      throw new NoSuchFileException(name, null, "no container " + name + " in store "
          + store.root());
    }
  }

  /** The store at {@code dir}, created (an empty OCI layout) if needed. */
  static Store create(Path dir) throws IOException {
    return Store.open(dir);
  }

  /**
   * A read-only view of container NAME when the store has one, otherwise of image NAME (a tag or
   * digest), under a name no container uses.
   */
  static FileSystem openImage(Path store, String name) throws IOException {
    // a tag (name:tag) or digest (name@sha256:...) is never a container's name (Docker's rule):
    // no need to open the store once more to look
    boolean mayBeContainer = name.indexOf(':') < 0 && name.indexOf('@') < 0;
    if (mayBeContainer && Files.isDirectory(store) && hasContainer(store, name)) {
      return PROVIDER.newFileSystem(URI.create("layerfs://" + name),
          Map.of("store", store, "readOnly", true));
    }
    String view = "cli-view-" + ProcessHandle.current().pid() + "-" + VIEWS.incrementAndGet();
    return PROVIDER.newFileSystem(URI.create("layerfs://" + view),
        Map.of("store", store, "image", name, "readOnly", true));
  }

  /** Whether the store at {@code dir} (which must exist) has container {@code name}. */
  static boolean hasContainer(Path dir, String name) throws IOException {
    try (Store store = Store.open(dir)) {
      return store.containers().contains(name);
    }
  }
}
