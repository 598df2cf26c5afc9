package io.layerfs.provider.contract;

import io.layerfs.core.Image;
import io.layerfs.core.store.Store;
import io.layerfs.testing.ImageBuilder.Entry;
import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Builds {@link Fixture} as an image with the testing module's {@link ImageBuilder} and opens it
 * read-only. The three layers use the three compressions (gzip, none, zstd), so each is read once.
 */
final class FixtureImages {
  static final String TAG = "contract:1";
  private static final LayerCompression[] COMPRESSION = {
    LayerCompression.GZIP, LayerCompression.NONE, LayerCompression.ZSTD
  };

  private FixtureImages() {}

  /** Writes the fixture image into the OCI layout {@code storeDir}, tagged {@link #TAG}. */
  static Image build(Path storeDir) throws IOException {
    return build(storeDir, COMPRESSION);
  }

  /** As above, the layers compressed with {@code compression} in turn. */
  static Image build(Path storeDir, LayerCompression... compression) throws IOException {
    ImageBuilder builder = ImageBuilder.create(storeDir);
    List<List<Fixture.Op>> layers = Fixture.layers();
    for (int i = 0; i < layers.size(); i++) {
      builder.layer(compression[i % compression.length]);
      for (Fixture.Op op : layers.get(i)) {
        if (op.whiteout() != null) {
          builder.whiteout("/" + op.whiteout());
        } else if (op.opaque() != null) {
          builder.opaque("/" + op.opaque());
        } else {
          builder.add(entry(op.entry()));
        }
      }
    }
    String manifest = builder.build(TAG).manifestDigest();
    try (Store store = Store.open(storeDir)) {
      return store.image(manifest);
    }
  }

  private static Entry entry(Fixture.Entry e) {
    String path = "/" + e.path();
    Entry entry = switch (e.kind()) {
      case DIR -> Entry.dir(path);
      case FILE -> Entry.file(path, e.data());
      case SYMLINK -> Entry.symlink(path, e.target());
      case HARDLINK -> Entry.hardlink(path, "/" + e.target());
      case FIFO -> Entry.fifo(path);
    };
    if (e.kind() != Fixture.Kind.HARDLINK) {
      entry.mode(e.mode()).owner(e.uid(), e.gid());
    }
    return entry.mtime(Instant.ofEpochSecond(e.mtimeSeconds()));
  }

  /** Opens the fixture image of {@code storeDir} read-only as {@code layerfs://NAME}. */
  static FileSystem open(String name, Path storeDir) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", storeDir, "image", TAG, "readOnly", true));
  }
}
