package io.layerfs.core;

import java.util.List;

/**
 * What one check of a store ({@code Store.fsck}, the {@code fsck} command) found, as {@code git
 * fsck} reports it: one problem per damaged or missing object.
 *
 * @param repair true if the run repaired what it could
 * @param blobs the blobs re-hashed
 * @param images the {@code index.json} entries followed
 * @param containers the containers checked
 * @param problems what is wrong, in the order found
 */
public record FsckReport(boolean repair, int blobs, int images, int containers,
    List<Problem> problems) {

  public FsckReport {
    problems = List.copyOf(problems);
  }

  /** What kind of damage a {@link Problem} is. */
  public enum Kind {
    /** A blob whose bytes do not hash to its name (object: the digest). */
    CORRUPT_BLOB,
    /** A blob whose size is not what a descriptor says (object: the digest). */
    BLOB_SIZE,
    /** A blob a tag or a container needs is not in the store (object: the digest). */
    MISSING_BLOB,
    /**
     * A tag's image cannot be followed: {@code index.json}, a manifest, an index or a config
     * that does not parse, or layers that do not match {@code diff_ids} (object: the tag, the
     * digest of an untagged entry, or {@code index.json}).
     */
    BROKEN_IMAGE,
    /** A container's record does not read or disagrees with its image (object: its name). */
    BROKEN_CONTAINER,
    /**
     * A layer's uncompressed blob or index does not match the layer: a chunk of a file's data
     * that fails its checksum, an index of another layer (object: the DiffID).
     */
    DAMAGED_LAYER,
    /**
     * A container's metadata log or snapshot is corrupt, or a data file is missing or short
     * (object: its name).
     */
    DAMAGED_CONTAINER,
    /**
     * A volume whose fill from an image was cut short (a killed process, a failed read): it holds
     * part of the image's files, and the next container that fills it starts over (object: its
     * name).
     */
    PARTIAL_VOLUME,
    /**
     * Bytes held of a lazily read layer's remote blob that fail the checksum taken when they
     * were fetched, or a list of them that does not read; reads fetch them again, and a repair
     * drops them (object: the layer digest).
     */
    DAMAGED_LAZY_LAYER,
    /**
     * A volume a container mounts is gone from the store, or its data directory is no directory
     * (object: the volume's name).
     */
    MISSING_VOLUME,
    /**
     * A volume whose count of directory changes under way was left above 0 by a process that
     * died mid-change, so that every read of it checks each directory (slower, still correct); a
     * repair, or the next container that opens it while no other process uses it, resets the
     * count (object: the volume's name).
     */
    ABANDONED_VOLUME_CHANGE,
    /**
     * A lock file of the store ({@code layerfs/index.lock}, {@code gc.lock}, {@code
     * volumes.lock}) is no regular file, a directory say, so that no process can take the lock
     * and what it guards (tagging, gc and ingest, mounting volumes) fails; a container's own lock
     * file is its {@link #DAMAGED_CONTAINER} (object: the file, relative to the store).
     */
    LOCK_FILE,
    /**
     * {@code index.json} does not hold the image of a container (an entry annotated {@code
     * io.layerfs.container}), so a tool that collects garbage from {@code index.json} alone,
     * such as {@code umoci gc}, would delete it; or it holds one for a container that is gone. A
     * repair adds or removes the entry (object: the container's name).
     */
    IMAGE_HOLD
  }

  /**
   * One problem.
   *
   * @param object what is damaged: a blob digest, an image tag, a container name or a file
   * @param message what is wrong, and with {@code repaired} what was done about it
   * @param repaired true if a repair made the store whole again in this respect (a corrupt blob
   *     that nothing needs was quarantined, derived data removed to be rebuilt)
   */
  public record Problem(Kind kind, String object, String message, boolean repaired) {
    /** {@code "corrupt-blob sha256:...: message"}, as the CLI prints it. */
    @Override
    public String toString() {
      return kindName(kind) + " " + object + ": " + message;
    }
  }

  /** True when nothing is wrong that was not repaired. */
  public boolean ok() {
    return problems.stream().allMatch(Problem::repaired);
  }

  /** The problems of one kind. */
  public List<Problem> problems(Kind kind) {
    return problems.stream().filter(p -> p.kind() == kind).toList();
  }

  /** A kind as the CLI and its JSON spell it: {@code corrupt-blob}, {@code missing-blob}, .... */
  public static String kindName(Kind kind) {
    return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
