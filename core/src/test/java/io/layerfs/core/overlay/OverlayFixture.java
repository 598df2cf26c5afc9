package io.layerfs.core.overlay;

import io.layerfs.core.Image;
import io.layerfs.core.container.ContainerFixture;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An engine over {@link ContainerFixture}'s image in a test's temporary folder, and a host folder
 * beside it for the same operations on the real file system: the setup the engine's tests share.
 */
final class OverlayFixture implements AutoCloseable {
  final ContentStore store;
  /** The image the engine shows. */
  final Image image;
  final LayerStore layers;
  final RootFs root;
  /** The upper layer's folder. */
  final Path dir;
  /** An empty host folder, to compare with. */
  final Path host;
  Overlay ov;

  OverlayFixture(Path tmp) throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    layers = new LayerStore(store);
    image = ContainerFixture.build(store);
    root = RootFs.open(store, layers, ContainerFixture.IMAGE);
    dir = Files.createDirectories(tmp.resolve("web"));
    host = Files.createDirectories(tmp.resolve("host"));
    ov = Overlay.open(dir, false, root, layers);
  }

  /** Closes the engine and opens its upper layer again. */
  Overlay reopen(boolean readOnly) throws IOException {
    ov.close();
    ov = Overlay.open(dir, readOnly, root, layers);
    return ov;
  }

  /**
   * A read-only engine over the upper layer as a crash would leave it, opened beside the running
   * one: the snapshot and the records logged so far (a clean close would compact the memory).
   */
  Overlay crashView() throws IOException {
    return Overlay.open(dir, true, root, layers);
  }

  @Override
  public void close() throws IOException {
    ov.close();
    layers.close();
  }
}
