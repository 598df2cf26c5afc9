package io.layerfs.bench;

import io.layerfs.testing.ImageBuilder;
import io.layerfs.testing.LayerCompression;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * An image of a given number of entries for {@link ScaleBenchmark} and {@link HeapPerEntry}:
 * what opening a big image costs, not what reading it costs. Each of its layers holds its own top
 * directory {@code /lNN} of directories of {@value #PER_DIR} entries (the directory itself and
 * empty files), so the entries of all layers add up to the requested count, give or take the top
 * directories. Layers are uncompressed (the tar is the blob), which keeps building a
 * million-entry image to seconds; empty files make its tar 512 bytes per entry (about 500 MB
 * for a million).
 *
 * <p>Cached under the benchmark directory ({@link Fixture#baseDir()}) as {@code
 * scale-v1-ENTRIESxLAYERS}, with layerfs' indexes already built and persisted: opening it later
 * is "opening an already indexed image".
 */
final class ScaleImage {
  static final String TAG = "scale";
  static final int PER_DIR = 100;
  private static final int VERSION = 1;

  private final Path store;
  private final int entries;
  private final int layers;

  private ScaleImage(Path store, int entries, int layers) {
    this.store = store;
    this.entries = entries;
    this.layers = layers;
  }

  /** The image of {@code entries} entries in {@code layers} layers, built and indexed once. */
  static synchronized ScaleImage get(int entries, int layers) throws IOException {
    if (entries < layers * 2 || layers < 1) {
      throw new IllegalArgumentException("need at least 2 entries per layer: entries=" + entries
          + ", layers=" + layers);
    }
    Path base = Fixture.baseDir();
    Files.createDirectories(base);
    String name = String.format(Locale.ROOT, "scale-v%d-%dx%d", VERSION, entries, layers);
    Path store = Fixture.once(base.resolve(name), tmp -> write(tmp, entries, layers));
    ScaleImage image = new ScaleImage(store, entries, layers);
    // the first open builds and persists the indexes; later opens only load them
    try (FileSystem fs = image.open("bench-scale-index")) {
      Files.readAttributes(fs.getPath(image.deepFile()),
          java.nio.file.attribute.BasicFileAttributes.class);
    }
    return image;
  }

  private static void write(Path layout, int entries, int layers) throws IOException {
    ImageBuilder builder = ImageBuilder.create(layout);
    int perLayer = entries / layers;
    for (int l = 0; l < layers; l++) {
      builder.layer(LayerCompression.NONE);
      String top = top(l);
      builder.dir(top);
      int n = l == layers - 1 ? entries - perLayer * (layers - 1) : perLayer;
      String dir = null;
      for (int i = 0; i < n; i++) {
        if (i % PER_DIR == 0) {
          dir = top + String.format(Locale.ROOT, "/d%05d", i / PER_DIR);
          builder.dir(dir);
        } else {
          builder.file(dir + String.format(Locale.ROOT, "/f%02d", i % PER_DIR), new byte[0]);
        }
      }
    }
    builder.build(TAG);
  }

  private static String top(int layer) {
    return String.format(Locale.ROOT, "/l%02d", layer);
  }

  int entries() {
    return entries;
  }

  int layers() {
    return layers;
  }

  Path store() {
    return store;
  }

  /** The last file of the top layer. */
  String deepFile() {
    int perLayer = entries / layers;
    int n = entries - perLayer * (layers - 1);
    int last = n - 1;
    if (last % PER_DIR == 0) {
      last--; // that one is a directory
    }
    return top(layers - 1) + String.format(Locale.ROOT, "/d%05d/f%02d", last / PER_DIR,
        last % PER_DIR);
  }

  /** A read-only layerfs view of the image. */
  FileSystem open(String name) throws IOException {
    return FileSystems.newFileSystem(URI.create("layerfs://" + name),
        Map.of("store", store, "image", TAG, "readOnly", true));
  }
}
