package io.layerfs.core.overlay;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.Compression;
import io.layerfs.core.Image;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.rootfs.RootFs;
import java.io.IOException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Squashes an image's layers into one: the merged tree written as a single layer, with the same
 * config (Env, Cmd, ...) and the old history entries kept but marked {@code empty_layer}.
 * Whiteouts and opaque markers disappear (there is nothing below to hide), hard links stay links.
 */
public final class ImageFlattener {
  private ImageFlattener() {}

  /**
   * Writes the flattened image of {@code ref} and tags it.
   *
   * @param tagOrNull the tag of the new image, or null to keep it untagged (find it by its
   *     digest)
   * @throws IOException if {@code ref} is unknown or a layer cannot be read
   */
  public static Image flatten(ContentStore store, LayerStore layers, String ref,
      String tagOrNull, Compression compression, Progress progress) throws IOException {
    if (tagOrNull != null) {
      ContentStore.checkTag(tagOrNull);
    }
    RootFs root = RootFs.open(store, layers, ref);
    Image base = root.image();
    UpperLayer none =
        UpperLayer.load(null, null, true, layers, base.layers(), root.lookup("/", false));
    ContainerTree tree = new ContainerTree(root, none, new ReentrantReadWriteLock());
    ChangeWalk walk = ChangeWalk.walkAll(tree);
    return LayerCommit.write(store, base, walk, false,
        CommitOptions.defaults().withCompression(compression), "layerfs flatten " + ref,
        tagOrNull, progress);
  }
}
