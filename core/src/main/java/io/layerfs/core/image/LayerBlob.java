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
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A layer blob being written: the uncompressed tar goes in, its DiffID is hashed on the way, and
 * the compressed bytes land in the store as one verified blob (see {@link BlobWriter}).
 *
 * <p>Not thread-safe. Close it (after {@link #commit} or instead of it) to drop a half blob.
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
  private final MessageDigest diffId;
  private final OutputStream compressor;
  private final OutputStream tar;

  public LayerBlob(ContentStore store, Compression compression) throws IOException {
    if (compression == Compression.ZSTD) {
      OptionalLibrary.ZSTD.require();
    }
    this.compression = compression;
    this.blob = store.newWriter(null, -1);
    try {
      this.diffId = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
    this.compressor = compression.compress(FileTrees.shielded(blob));
    this.tar = new DigestOutputStream(compressor, diffId);
  }

  /** Where the uncompressed tar is written. */
  public OutputStream tar() {
    return tar;
  }

  /** Finishes compression and publishes the blob. */
  public Written commit() throws IOException {
    tar.flush();
    compressor.close();
    Digest d = blob.commit(null, -1);
    return new Written(compression, d, blob.size(), Digest.of("sha256", diffId.digest()));
  }

  @Override
  public void close() throws IOException {
    blob.close();
  }
}
