package io.layerfs.bench;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the generated layers as an image into an OCI layout with the testing module's {@link
 * ImageBuilder}: one gzip layer per generated layer, as registries serve most images.
 */
final class ImageWriter {
  private ImageWriter() {}

  static void write(List<List<TreeEntry>> layers, Path layout, String tag) throws IOException {
    ImageBuilder builder = ImageBuilder.create(layout);
    for (List<TreeEntry> layer : layers) {
      builder.layer(LayerCompression.GZIP);
      for (TreeEntry e : layer) {
        switch (e.kind()) {
          case DIR -> builder.dir(e.path(), e.mode());
          case FILE -> builder.file(e.path(), e.content(), e.mode());
          case SYMLINK -> builder.symlink(e.path(), e.target());
          case WHITEOUT -> builder.whiteout(e.path());
        }
      }
    }
    builder.build(tag);
  }
}
