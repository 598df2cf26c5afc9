package io.layerfs.core;

import java.time.Instant;
import java.util.Objects;

/**
 * How {@code Container.commit} writes the new layer and image.
 *
 * @param compression of the layer blob (gzip by default, as Docker and skopeo write)
 * @param sourceDateEpoch null, or the time that clamps every file time in the layer and becomes
 *     the image's creation time, so equal container states give equal digests (the
 *     {@code SOURCE_DATE_EPOCH} convention of reproducible builds)
 * @param author the image config's {@code author}, or null
 * @param comment the new history entry's {@code comment}, or null
 */
public record CommitOptions(
    Compression compression, Instant sourceDateEpoch, String author, String comment) {
  public CommitOptions {
    Objects.requireNonNull(compression, "compression");
  }

  /** Gzip, the current time, no author or comment. */
  public static CommitOptions defaults() {
    return new CommitOptions(Compression.GZIP, null, null, null);
  }

  public CommitOptions withCompression(Compression c) {
    return new CommitOptions(c, sourceDateEpoch, author, comment);
  }

  public CommitOptions withSourceDateEpoch(Instant epoch) {
    return new CommitOptions(compression, epoch, author, comment);
  }

  public CommitOptions withAuthor(String a) {
    return new CommitOptions(compression, sourceDateEpoch, a, comment);
  }

  public CommitOptions withComment(String c) {
    return new CommitOptions(compression, sourceDateEpoch, author, c);
  }
}
