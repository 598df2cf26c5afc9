package io.layerfs.provider;

import io.layerfs.core.Digest;
import java.io.IOException;
import java.nio.file.attribute.FileAttributeView;

/**
 * Tells which layer of the image a file comes from: the topmost layer that holds its entry.
 *
 * <p>{@code Files.getFileAttributeView(path, LayerFileAttributeView.class).readOrigin()}, or by
 * name: {@code Files.readAttributes(path, "layer:*")} gives {@code index}, {@code diffId},
 * {@code digest} and {@code mediaType}.
 */
public interface LayerFileAttributeView extends FileAttributeView {
  /** Where a file comes from: the layer's position (0 = bottom), DiffID, blob digest and type. */
  record Origin(int index, Digest diffId, Digest digest, String mediaType) {}

  @Override
  default String name() {
    return "layer";
  }

  Origin readOrigin() throws IOException;
}
