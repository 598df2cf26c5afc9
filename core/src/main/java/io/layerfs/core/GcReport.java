package io.layerfs.core;

import java.util.List;

/**
 * What one {@code GarbageCollector.collect} run removed, or in a dry run would remove.
 *
 * @param dryRun true if nothing was deleted and the items say what would have been
 * @param removed the items, sorted by kind, then name
 * @param bytesFreed the sum of the items' sizes
 * @param problems why something was kept that might be garbage, one sentence each (a blob that
 *     must be followed but cannot be read, a container.json that cannot be parsed, a missing
 *     manifest); when one of them makes the reachable set uncertain, no blob, layer index or
 *     signature is removed and the sentence says so. Empty on a clean store.
 */
public record GcReport(boolean dryRun, List<Item> removed, long bytesFreed, List<String> problems) {

  public GcReport {
    removed = List.copyOf(removed);
    problems = List.copyOf(problems);
  }

  /** What kind of thing an {@link Item} is. */
  public enum Kind {
    /** A blob under {@code blobs/}: manifest, index, config, compressed layer, anything else. */
    BLOB,
    /** A blob under {@code blobs/} that is an uncompressed layer tar (it has a layer index). */
    UNCOMPRESSED_LAYER,
    /** A layer index, {@code layerfs/index/<alg>/<diffId hex>}. */
    LAYER_INDEX,
    /** The signatures of a manifest, {@code layerfs/signatures/<alg>/<manifest hex>/}. */
    SIGNATURE,
    /**
     * The state of a lazily read layer, {@code layerfs/lazy/<alg>/<hex>/} (its partial blob),
     * when nothing references the layer any more or its blob is complete in the store. Its bytes
     * count the partial blob ({@code blob.part}, a sparse file) as the ranges it holds, not its
     * apparent size: the JDK cannot read a file's allocated blocks.
     */
    LAZY_STATE,
    /**
     * Where a blob came from, {@code layerfs/origins/<alg>/<hex>} (a hint for cross-repository
     * mounts on push), once the store no longer holds the blob.
     */
    BLOB_ORIGINS,
    /**
     * A leftover of an interrupted write, older than an hour: under {@code layerfs/tmp}, an index
     * temp file, or a {@code layerfs/archive-*} or {@code layerfs/unpack-*} scratch directory;
     * or, of any age, the hold file of a view whose process ended without closing it, {@code
     * layerfs/views/PID-N-ALG-HEX.hold}.
     */
    TEMP_FILE,
    /**
     * The folder of a container whose removal was cut short (a crash, a kill), {@code
     * layerfs/containers/.removing-UUID-NAME/}; its hold in index.json goes with it, unless a
     * container of that name was created since.
     */
    CONTAINER_LEFTOVER,
    /**
     * The folder of a volume whose removal was cut short, {@code
     * layerfs/volumes/.removing-UUID/}: the volume is gone, its files still take room.
     */
    VOLUME_LEFTOVER
  }

  /**
   * One removed thing.
   *
   * @param name the digest ({@code sha256:...}) for blobs, layer indexes and signatures; the path
   *     relative to the store root for temp files
   * @param bytes its size (all files in it, for a directory)
   */
  public record Item(Kind kind, String name, long bytes) {
    /** {@code "blob sha256:... (1234 bytes)"}. */
    @Override
    public String toString() {
      return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
          + " " + name + " (" + bytes + " bytes)";
    }
  }

  /** The removed items of one kind. */
  public List<Item> removed(Kind kind) {
    return removed.stream().filter(i -> i.kind() == kind).toList();
  }
}
