package io.layerfs.bench;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.util.Locale;

/**
 * The competitors: the same tree read through layerfs, the host file system, the JDK's zipfs and
 * Jimfs. Benchmarks take it as a {@code String} {@code @Param} named {@code impl} (the JMH
 * command line speaks lower case, and {@code default} is a Java keyword) and map it with
 * {@link #of}.
 */
enum Impl {
  /**
   * A read-only layerfs view of the image (gzip layers, inflated and indexed on first use and
   * persisted, so only the very first trial pays for that).
   */
  LAYERFS,
  /**
   * A container opened on the same image, nothing written: every read goes through its overlay
   * (the upper layer's lock and lookups), as a program's reads of {@code layerfs://NAME} do.
   */
  CONTAINER,
  /** The merged tree extracted to a host directory: the default provider. */
  DEFAULT,
  /**
   * A zip of the tree opened with the JDK's zipfs. Entries are STORED (env {@code noCompression})
   * so the comparison is of file systems, not of inflaters; zipfs has no links, so each link is
   * a small file holding its target (directories keep their entry counts).
   */
  ZIPFS,
  /** Jimfs ({@code Configuration.unix()}) filled with the tree: all in heap memory. */
  JIMFS;

  static Impl of(String name) {
    for (Impl impl : values()) {
      if (impl.name().toLowerCase(Locale.ROOT).equals(name)) {
        return impl;
      }
    }
    throw new IllegalArgumentException(
        "unknown impl '" + name + "'; known: layerfs, container, default, zipfs, jimfs");
  }

  /** Opens the tree for reading; close the result to close its file system. */
  OpenTree open(Fixture fixture, String layerfsName) throws IOException {
    return switch (this) {
      case LAYERFS -> {
        FileSystem fs = fixture.openLayerfs(layerfsName);
        yield new OpenTree(fs, fs.getPath("/"));
      }
      case CONTAINER -> {
        FileSystem fs = fixture.openContainer(layerfsName + "-container");
        yield new OpenTree(fs, fs.getPath("/"));
      }
      case DEFAULT -> new OpenTree(null, fixture.tree());
      case ZIPFS -> {
        FileSystem fs = FileSystems.newFileSystem(fixture.zip());
        yield new OpenTree(fs, fs.getPath("/"));
      }
      case JIMFS -> {
        // working directory "/": the default one ("/work") would be an extra entry
        FileSystem fs = Jimfs.newFileSystem(
            Configuration.unix().toBuilder().setWorkingDirectory("/").build());
        try {
          Trees.copy(fixture.tree(), fs.getPath("/"), Trees.Links.KEEP);
        } catch (IOException | RuntimeException e) {
          fs.close();
          throw e;
        }
        yield new OpenTree(fs, fs.getPath("/"));
      }
    };
  }
}
