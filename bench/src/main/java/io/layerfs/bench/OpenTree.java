package io.layerfs.bench;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;

/**
 * The tree opened by one competitor: the root to resolve keys against, and the file system to
 * close afterwards (none for the host's, which is never closed).
 */
record OpenTree(FileSystem fileSystem, Path root) implements Closeable {
  @Override
  public void close() throws IOException {
    if (fileSystem != null) {
      fileSystem.close();
    }
  }
}
