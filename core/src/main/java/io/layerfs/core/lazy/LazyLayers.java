package io.layerfs.core.lazy;

import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.RangedBlob;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.estargz.EStargzReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The layers of a store that are read lazily from remote blobs, and their state on disk: one
 * folder per layer, {@code layerfs/lazy/<algorithm>/<hex>/}, holding the partial blob ({@value
 * PartialBlob#DATA} and {@value PartialBlob#RANGES}) and, for a plain gzip layer read by path,
 * the inflated prefix (unlinked while it is used: {@link LazyGzip}). A folder goes when its layer
 * is completed
 * into a real blob ({@link #complete}); gc removes folders of layers nothing references.
 *
 * <p>Thread-safe.
 */
public final class LazyLayers implements Closeable {
  /** The folder under the store's {@code layerfs/} this package owns. */
  public static final String DIR = "lazy";

  private final ContentStore store;
  private final Map<Digest, LazyLayer> attached = new ConcurrentHashMap<>();

  public LazyLayers(ContentStore store) {
    this.store = store;
  }

  /** {@code layerfs/lazy/} of a store (it may not exist). */
  public static Path root(ContentStore store) {
    return store.root().resolve(ContentStore.STATE_DIR).resolve(DIR);
  }

  /** The layer digests that have partial state on disk, sorted. */
  public static List<Digest> partial(ContentStore store) throws IOException {
    List<Digest> out = new ArrayList<>();
    Path root = root(store);
    if (!Files.isDirectory(root)) {
      return out;
    }
    try (Stream<Path> algs = Files.list(root)) {
      for (Path alg : algs.sorted().toList()) {
        try (Stream<Path> hexes = Files.list(alg)) {
          for (Path hex : hexes.sorted().toList()) {
            try {
              out.add(Digest.parse(alg.getFileName() + ":" + hex.getFileName()));
            } catch (IllegalArgumentException foreign) {
              // not ours: left alone
            }
          }
        }
      }
    }
    return out;
  }

  /** The file in a layer's folder that says where its remote blob is (see {@link #origin}). */
  static final String ORIGIN = "origin";

  /** The file in which {@link #attach} records where a layer's remote blob is. */
  public static Path originFile(ContentStore store, Digest layer) {
    return dir(store, layer).resolve(ORIGIN);
  }

  /**
   * What {@link #attach} recorded of where a layer's remote blob is, so another process can
   * attach it again; null if nothing was recorded.
   */
  public static String origin(ContentStore store, Digest layer) throws IOException {
    Path file = originFile(store, layer);
    try {
      return Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    }
  }

  /**
   * The bytes a layer's lazy folder takes on disk as far as the JDK can tell: its files' sizes,
   * but the sparse partial blob counted as the ranges it holds ({@link PartialBlob#heldBytes}).
   */
  public static long diskBytes(Path dir) throws IOException {
    long bytes = 0;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        if (f.getFileName().toString().equals(PartialBlob.DATA)) {
          bytes += PartialBlob.heldBytes(dir);
        } else if (Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          bytes += Files.size(f);
        }
      }
    }
    return bytes;
  }

  /**
   * What fsck finds wrong with the bytes held of {@code layer}'s remote blob: each piece whose
   * bytes fail the CRC32C taken when they were fetched, or a ranges list that does not read;
   * with {@code repair} those are dropped, so they are fetched again (lines naming the file and
   * the bytes; empty when all is well).
   */
  public static List<String> checkHeld(ContentStore store, Digest layer, boolean repair)
      throws IOException {
    return PartialBlob.checkHeld(dir(store, layer), Long.MAX_VALUE, repair);
  }

  /** The folder of one layer's lazy state. */
  public static Path dir(ContentStore store, Digest layer) {
    return root(store).resolve(layer.algorithm()).resolve(layer.hex());
  }

  /**
   * Reads {@code layer} lazily from {@code remote} from now on (until {@link #complete}).
   *
   * @param tocDigestOrNull the layer descriptor's {@value EStargzReader#TOC_DIGEST_ANNOTATION},
   *     or null for a plain gzip layer
   * @throws IOException if the remote blob cannot be reached, or its footer or TOC are damaged
   *     or do not match the TOC digest
   */
  public LazyLayer attach(Layer layer, RangedBlob remote, Digest tocDigestOrNull)
      throws IOException {
    return attach(layer, remote, tocDigestOrNull, null);
  }

  /**
   * {@link #attach}, recording {@code originOrNull} (where the remote blob is, in the caller's
   * words: a registry reference, say) in the layer's folder for {@link #origin}.
   */
  public LazyLayer attach(Layer layer, RangedBlob remote, Digest tocDigestOrNull,
      String originOrNull) throws IOException {
    LazyLayer existing = attached.get(layer.digest());
    if (existing != null) {
      return existing;
    }
    synchronized (this) {
      existing = attached.get(layer.digest());
      if (existing != null) {
        return existing;
      }
      if (!remote.digest().equals(layer.digest())) {
        throw new IllegalArgumentException("remote blob " + remote.digest() + " is not layer "
            + layer.digest());
      }
      long size = remote.size();
      if (size != layer.size()) {
        throw new IOException("remote blob " + layer.digest() + " has " + size
            + " bytes, its descriptor says " + layer.size());
      }
      Path dir = dir(store, layer.digest());
      PartialBlob blob = PartialBlob.open(dir, remote, size);
      try {
        EStargzReader estargz = tocDigestOrNull == null ? null
            : EStargzReader.open(blob, tocDigestOrNull);
        LazyLayer lazy = new LazyLayer(layer, dir, blob, estargz);
        if (originOrNull != null) {
          Path tmp = dir.resolve(ORIGIN + ".tmp");
          Files.writeString(tmp, originOrNull, java.nio.charset.StandardCharsets.UTF_8);
          Files.move(tmp, dir.resolve(ORIGIN), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
              java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        attached.put(layer.digest(), lazy);
        return lazy;
      } catch (IOException | RuntimeException e) {
        blob.close();
        throw e;
      }
    }
  }

  /** Whether every one of {@code layers} is attached here as a plain gzip layer. */
  public boolean searchable(List<Layer> layers) {
    for (Layer layer : layers) {
      LazyLayer l = attached.get(layer.digest());
      if (l == null || !l.plainGzip()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads one file of the image whose layers are {@code layers} (bottom first), every one
   * attached here, through their plain gzip streams, as a view of the image shows it ({@link
   * LazyMerge#readFile}).
   *
   * @param image names the image in errors
   * @return the file's bytes, or null if the image has no file there
   */
  public byte[] readFile(List<Layer> layers, String absPath, String image) throws IOException {
    return merge(layers, image).readFile(absPath);
  }

  /**
   * The merge of the image whose layers are {@code layers} (bottom first), every one attached
   * here as a plain gzip layer ({@link #searchable}), for lookups by path.
   *
   * @param image names the image in errors
   * @throws IOException when a layer is not attached
   */
  public LazyMerge merge(List<Layer> layers, String image) throws IOException {
    List<LazyLayer> lazy = new ArrayList<>(layers.size());
    for (Layer layer : layers) {
      LazyLayer l = attached.get(layer.digest());
      if (l == null) {
        throw new IOException("layer " + layer.digest() + " of " + image
            + " is not attached for lazy reads");
      }
      lazy.add(l);
    }
    return new LazyMerge(layers, lazy, image);
  }

  /**
   * Saves the list of fetched ranges of every attached layer that fetched since its last save
   * (they are saved every few MiB otherwise): what gc reads to count the bytes lazy state holds.
   */
  public void saveRanges() {
    for (LazyLayer l : attached.values()) {
      l.blob().save();
    }
  }

  /** The attached layer of that digest, or null. */
  public LazyLayer get(Digest layer) {
    return attached.get(layer);
  }

  /** Every attached layer. */
  public List<LazyLayer> all() {
    return List.copyOf(attached.values());
  }

  /**
   * Fetches the rest of a lazy layer, checks it against its digest and adds it to the store as a
   * blob (so later opens read it as any other layer); the lazy folder goes. Open views keep
   * reading through the lazy layer, whose bytes are now all local.
   */
  public void complete(Digest layer) throws IOException {
    complete(layer, () -> false);
  }

  /**
   * {@link #complete(Digest)} in steps that reads interleave with, asking {@code stop} between
   * them (see {@link LazyLayer#complete}).
   *
   * @return false when {@code stop} ended it early; what was fetched stays for the next attempt
   */
  public boolean complete(Digest layer, BooleanSupplier stop) throws IOException {
    LazyLayer lazy = attached.get(layer);
    if (lazy == null) {
      if (store.contains(layer)) {
        return true;
      }
      throw new IOException("layer " + layer + " is neither in the store nor attached lazily");
    }
    return lazy.complete(store, stop);
  }

  @Override
  public void close() throws IOException {
    for (LazyLayer l : attached.values()) {
      l.close();
    }
    attached.clear();
  }
}
