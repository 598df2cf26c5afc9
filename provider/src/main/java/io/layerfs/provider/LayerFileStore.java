package io.layerfs.provider;

import io.layerfs.core.Layer;
import java.nio.file.FileStore;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;

/**
 * The one store of a layerfs file system: its image. Total space is the sum of the layers'
 * uncompressed sizes as far as known; a read-only view has no usable space.
 */
final class LayerFileStore extends FileStore {
  private final String name;
  private final List<Layer> layers;

  LayerFileStore(String name, List<Layer> layers) {
    this.name = name;
    this.layers = layers;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String type() {
    return "layerfs";
  }

  @Override
  public boolean isReadOnly() {
    return true;
  }

  @Override
  public long getTotalSpace() {
    long total = 0;
    for (Layer layer : layers) {
      total += Math.max(0, layer.size());
    }
    return total;
  }

  @Override
  public long getUsableSpace() {
    return 0;
  }

  @Override
  public long getUnallocatedSpace() {
    return 0;
  }

  @Override
  public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
    return type == BasicFileAttributeView.class || type == PosixFileAttributeView.class
        || type == FileOwnerAttributeView.class || type == UserDefinedFileAttributeView.class
        || type == LayerFileAttributeView.class;
  }

  @Override
  public boolean supportsFileAttributeView(String viewName) {
    return LayerAttributeViews.SUPPORTED.contains(viewName);
  }

  @Override
  public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
    return null;
  }

  @Override
  public Object getAttribute(String attribute) {
    return switch (attribute) {
      case "totalSpace" -> getTotalSpace();
      case "usableSpace" -> getUsableSpace();
      case "unallocatedSpace" -> getUnallocatedSpace();
      default -> throw new UnsupportedOperationException(
          "'" + attribute + "' not recognized");
    };
  }

  @Override
  public String toString() {
    return name + " (layerfs)";
  }
}
