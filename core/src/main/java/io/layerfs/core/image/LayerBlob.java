package io.layerfs.core.image;

import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.oci.MediaTypes;
import java.io.IOException;
import java.io.OutputStream;
import org.apache.commons.io.output.TeeOutputStream;

/**
 * A layer blob being written: the uncompressed tar goes in, and lands in the store twice, as the
 * compressed layer blob and as the uncompressed tar (its DiffID), each one verified blob (see
 * {@link BlobWriter}). The store reads files from the uncompressed tar, so an image this store
 * wrote opens without inflating its layer again, and without the {@code inflateRatio} bound
 * that guards inflating untrusted layers (a large sparse file compresses past it).
 *
 * <p>Not thread-safe. Close it (after {@link #commit} or instead of it) to drop half blobs.
 */
public final class LayerBlob implements AutoCloseable {
  /** A written layer: its blob's digest and size, and the digest of its uncompressed tar. */
  public record Written(Compression compression, Digest digest, long size, Digest diffId) {
    String mediaType() {
      return MediaTypes.layerType(compression, false);
    }
  }

  private final Compression compression;
  private final BlobWriter blob;
  /** The uncompressed tar, when the layer blob is compressed (else the blob is that tar). */
  private final BlobWriter plain;
  private final OutputStream compressor;
  private final OutputStream tar;

  public LayerBlob(ContentStore store, Compression compression) throws IOException {
    if (compression == Compression.ZSTD) {
      OptionalLibrary.ZSTD.require();
    }
    this.compression = compression;
    this.blob = store.newWriter(null, -1);
    BlobWriter uncompressed = null;
    try {
      this.compressor = compression.compress(FileTrees.shielded(blob));
      if (compression != Compression.NONE) {
        uncompressed = store.newWriter(null, -1);
      }
    } catch (IOException | RuntimeException e) {
      blob.close();
      throw e;
    }
    this.plain = uncompressed;
    // shielded: a writer that closes what it wraps must not drop the unpublished blob
    this.tar = plain == null ? compressor
        : new TeeOutputStream(compressor, FileTrees.shielded(plain));
  }

  /** Where the uncompressed tar is written. */
  public OutputStream tar() {
    return tar;
  }

  /** Finishes compression and publishes the blobs, the uncompressed tar first. */
  public Written commit() throws IOException {
    tar.flush();
    compressor.close();
    // both on disk before either is published: a full disk fails the commit with neither left
    blob.sync();
    if (plain != null) {
      plain.sync();
    }
    Digest diffId = plain != null ? plain.commit(null, -1) : null;
    Digest d = blob.commit(null, -1);
    return new Written(compression, d, blob.size(), diffId != null ? diffId : d);
  }

  @Override
  public void close() throws IOException {
    try {
      blob.close();
    } finally {
      if (plain != null) {
        plain.close();
      }
    }
  }
}
