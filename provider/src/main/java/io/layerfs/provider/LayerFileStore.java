package io.layerfs.provider;

import io.layerfs.core.Layer;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;

/**
 * The one store of a layerfs file system. Its space is that of the host file system holding the
 * store, where a container's writes land; a read-only view has no usable space.
 */
final class LayerFileStore extends FileStore {
  private final String name;
  private final List<Layer> layers;
  private final boolean readOnly;
  private final Path hostStore;

  /** A file system's store, typed so that the file system's class loads this one only here. */
  static FileStore of(String name, List<Layer> layers, boolean readOnly, Path hostStore) {
    return new LayerFileStore(name, layers, readOnly, hostStore);
  }

  private LayerFileStore(String name, List<Layer> layers, boolean readOnly, Path hostStore) {
    this.name = name;
    this.layers = layers;
    this.readOnly = readOnly;
    this.hostStore = hostStore;
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
    return readOnly;
  }

  /** The host's total space, or for a view without a host store the image's blob sizes. */
  @Override
  public long getTotalSpace() throws IOException {
    if (hostStore != null) {
      return Files.getFileStore(hostStore).getTotalSpace();
    }
    long total = 0;
    for (Layer layer : layers) {
      total += Math.max(0, layer.size());
    }
    return total;
  }

  @Override
  public long getUsableSpace() throws IOException {
    return readOnly || hostStore == null ? 0 : Files.getFileStore(hostStore).getUsableSpace();
  }

  @Override
  public long getUnallocatedSpace() throws IOException {
    return readOnly || hostStore == null ? 0
        : Files.getFileStore(hostStore).getUnallocatedSpace();
  }

  /**
   * The host store's block size, where a container's writes land; a view without a host store
   * says 4096, the block size of Linux's own file systems on the page size it maps files in.
   */
  @Override
  public long getBlockSize() throws IOException {
    return hostStore != null ? Files.getFileStore(hostStore).getBlockSize() : 4096;
  }

  @Override
  public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
    return type == BasicFileAttributeView.class || type == PosixFileAttributeView.class
        || type == FileOwnerAttributeView.class || type == UserDefinedFileAttributeView.class
        || type == DosFileAttributeView.class || type == LayerFileAttributeView.class;
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
  public Object getAttribute(String attribute) throws IOException {
    return attribute(this, attribute);
  }

  /** A store's attribute by name: the space ones, as the JDK's Linux store names them. */
  static Object attribute(FileStore store, String attribute) throws IOException {
    return switch (attribute) {
      case "totalSpace" -> store.getTotalSpace();
      case "usableSpace" -> store.getUsableSpace();
      case "unallocatedSpace" -> store.getUnallocatedSpace();
      default -> throw new UnsupportedOperationException(
          "'" + attribute + "' not recognized");
    };
  }

  @Override
  public String toString() {
    return name + " (layerfs)";
  }
}
