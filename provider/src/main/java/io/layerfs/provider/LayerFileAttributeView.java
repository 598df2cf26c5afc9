package io.layerfs.provider;

import io.layerfs.core.Digest;
import java.io.IOException;
import java.nio.file.attribute.FileAttributeView;

/**
 * Tells which layer a file comes from: the topmost image layer that holds its entry, or the
 * container's own writable layer once the file was written, created or changed there.
 *
 * <p>{@code Files.getFileAttributeView(path, LayerFileAttributeView.class).readOrigin()}, or by
 * name: {@code Files.readAttributes(path, "layer:*")} gives {@code index}, {@code diffId},
 * {@code digest} and {@code mediaType}.
 */
public interface LayerFileAttributeView extends FileAttributeView {
  /**
   * Where a file comes from: the layer's position (0 = bottom), DiffID, blob digest and type; for
   * the container's writable layer {@link #UPPER}: index -1, no digests, type "upper".
   */
  record Origin(int index, Digest diffId, Digest digest, String mediaType) {
    /** The container's own writable layer. */
    public static final Origin UPPER = new Origin(-1, null, null, "upper");

    /** True for the container's writable layer. */
    public boolean upper() {
      return index < 0;
    }
  }

  @Override
  default String name() {
    return "layer";
  }

  Origin readOrigin() throws IOException;
}
