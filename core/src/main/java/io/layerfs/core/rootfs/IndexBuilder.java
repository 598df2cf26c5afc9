package io.layerfs.core.rootfs;

import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.content.BlobMismatchException;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.internal.TeeInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.concurrent.Future;

/**
 * Builds a layer's index from its blobs for {@link LayerStore}: indexes a stored uncompressed
 * tar, re-verifying its digest, or inflates a compressed blob into the store (one pass:
 * decompress, index, hash, store; see the package documentation), checking both digests and the
 * inflate limits, and names the damaged blob when anything fails. A class of its own, made per
 * build: an open whose indexes are all stored already (every open after the first) neither loads
 * nor verifies it and the streams it uses, which a fresh JVM pays for by the class.
 */
final class IndexBuilder {
  /** What mends a layer blob that is damaged or gone: said where the read fails. */
  static final String RESTORE = "layerfs fsck --repair moves a damaged blob aside, and "
      + "importing or pulling the image again restores it";

  private final ContentStore store;

  IndexBuilder(ContentStore store) {
    this.store = store;
  }

  /**
   * The compression of a compressed layer's stored blob, from its first bytes ({@link
   * Compression#detect}). A blob that is neither gzip nor zstd is an error saying whether its
   * bytes still hash to the layer digest (a zeroed blob reads as an empty tar).
   */
  Compression sniff(Layer layer) throws IOException {
    Digest digest = layer.digest();
    byte[] head;
    try (InputStream in = store.openBlob(digest)) {
      head = in.readNBytes(Compression.SNIFF_LENGTH);
    }
    Compression c = Compression.detect(head, head.length);
    if (c == Compression.GZIP || c == Compression.ZSTD) {
      return c;
    }
    IOException damaged = damagedCompressedBlob(layer, null);
    if (damaged != null) {
      throw damaged;
    }
    if (c == null) {
      throw new IOException("layer blob " + store.blobPath(digest) + " of layer " + digest
          + " is neither gzip, zstd nor tar (first bytes " + hex(head, 8) + ")");
    }
    throw new IOException(
        "uncompressed layer "
            + digest
            + " does not match its diff_id: expected "
            + layer.diffId()
            + ", actual "
            + digest);
  }

  /**
   * An exception saying that the compressed blob of {@code layer} is damaged (its bytes do not
   * hash to its digest, or its size differs), or null when it is intact.
   */
  private IOException damagedCompressedBlob(Layer layer, CompressedSum.Result known)
      throws IOException {
    CompressedSum.Result actual = known;
    if (actual == null) {
      try (CompressedSum sum = new CompressedSum(store, layer.digest())) {
        actual = sum.finish();
      }
    }
    if (actual.digest().equals(layer.digest()) && actual.size() == layer.size()) {
      return null;
    }
    return new IOException("layer blob " + store.blobPath(layer.digest()) + " is damaged: its "
        + "bytes do not hash to the layer digest: expected " + layer.digest() + " ("
        + layer.size() + " bytes), actual " + actual.digest() + " (" + actual.size() + " bytes)"
        + "; " + RESTORE);
  }

  private static String hex(byte[] b, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(max, b.length); i++) {
      sb.append(String.format("%02x", b[i] & 0xff));
    }
    return sb.toString();
  }

  /** Indexes an uncompressed blob that is already stored, re-verifying its digest. */
  LayerIndex indexStored(Layer layer) throws IOException {
    Digest diffId = layer.diffId();
    MessageDigest hasher = diffId.newMessageDigest();
    LayerIndex index;
    try (InputStream in = store.openBlob(diffId);
        OutputStream hash = new DigestOutputStream(OutputStream.nullOutputStream(), hasher)) {
      TeeInputStream tee = new TeeInputStream(in, hash);
      index = TarIndexer.index(tee, diffId, store.limits());
      tee.drain();
    } catch (InterruptedIOException e) {
      throw e;
    } catch (LimitException e) {
      throw e.in("layer " + layer.digest() + " (blob " + store.blobPath(diffId) + ")");
    } catch (IOException | RuntimeException e) {
      throw new IOException("uncompressed blob " + store.blobPath(diffId) + " of layer "
          + layer.digest() + " (diff_id " + diffId + ") is damaged: " + e.getMessage(), e);
    }
    Digest actual = Digest.of(diffId.algorithm(), hasher.digest());
    if (!actual.equals(diffId)) {
      throw new IOException(
          "corrupt layer blob "
              + store.blobPath(diffId)
              + " of layer "
              + layer.digest()
              + ": expected "
              + diffId
              + ", actual "
              + actual);
    }
    long length = Files.size(store.blobPath(diffId));
    if (layer.digest().equals(diffId) && length != layer.size()) {
      // an uncompressed layer is its own blob: its descriptor's size must be the blob's, as a
      // compressed layer's is checked when it is inflated
      throw new IOException("uncompressed layer " + diffId + " is " + length
          + " bytes but its descriptor says " + layer.size());
    }
    return index;
  }

  /**
   * The single pass: decompress, index, hash and store the uncompressed tar, over two threads
   * (see the package documentation): decompression alone sets the pace.
   */
  LayerIndex inflate(Layer layer, Compression compression, Path indexPath)
      throws IOException {
    if (compression == Compression.ZSTD) {
      // before the pipeline: a missing library is not a damaged blob
      OptionalLibrary.ZSTD.require();
    }
    Digest diffId = layer.diffId();
    Digest digest = layer.digest();
    long maxInflated;
    try {
      maxInflated = maxInflated(Files.size(store.blobPath(digest)));
    } catch (NoSuchFileException e) {
      // no uncompressed copy either (the caller looked first): only the image's source has it
      throw new NoSuchFileException(store.blobPath(digest).toString(), null, "layer blob "
          + digest + " is not in store " + store.root() + "; " + RESTORE);
    }
    Path temp = store.newTempFile("blob");
    // the compressed blob's digest and size, read on its own: the decompressor may stop at the
    // end of its last frame, and trailing bytes must be hashed too
    try (CompressedSum compressedSum = new CompressedSum(store, digest);
        BlobWriter out = new BlobWriter(store.blobsDir(), temp, diffId.algorithm(), -1);
        SyncBehind synced = new SyncBehind(out, temp);
        InflatePipeline pipe =
            InflatePipeline.start(
                () -> compression.decompress(store.openBlob(digest)),
                compressedSum.pacedBy(synced))) {
      LayerIndex index;
      try {
        InputStream bounded = new InflateBound(pipe.stream(), maxInflated, n ->
            store.limits().exceeded("inflateRatio", "layer " + digest + " (blob "
                + store.blobPath(digest) + ") inflates to more than " + maxInflated
                + " bytes, over " + store.limits().inflateRatio() + " times its compressed size"));
        TeeInputStream tee = new TeeInputStream(bounded, OutputStream.nullOutputStream());
        index = TarIndexer.index(tee, diffId, store.limits());
        tee.drain();
      } catch (InterruptedIOException | NoSuchFileException e) {
        throw e;
      } catch (LimitException e) {
        // a damaged blob explains any content, a limit hit too
        IOException damaged = damagedCompressedBlob(layer, compressedSum.finish());
        if (damaged != null) {
          damaged.initCause(e);
          throw damaged;
        }
        throw e.getMessage().contains(digest.toString()) ? e
            : e.in("layer " + digest + " (blob " + store.blobPath(digest) + ")");
      } catch (IOException | RuntimeException e) {
        throw inflateFailure(layer, compression, compressedSum, e);
      }
      // the index is final: it is written beside the blob's commit (package documentation)
      Future<Void> persisting = InflatePipeline.submit(() -> {
        LayerStore.persist(index, indexPath);
        return null;
      });
      try {
        commit(layer, compressedSum, synced, out);
      } catch (IOException | RuntimeException | Error e) {
        try {
          InflatePipeline.await(persisting);
          Files.deleteIfExists(indexPath);
        } catch (IOException | RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
      InflatePipeline.await(persisting);
      return index;
    }
  }

  /**
   * How many bytes a compressed blob of {@code compressedSize} may inflate to: the {@code
   * inflateRatio} limit times its size, but never less than {@code inflateFloorBytes}.
   */
  private long maxInflated(long compressedSize) {
    Limits limits = store.limits();
    try {
      return Math.max(Math.multiplyExact(compressedSize, limits.inflateRatio()),
          limits.inflateFloorBytes());
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /**
   * Why inflating failed (a {@code ZipException}, an {@code EOFException}, a zstd error, a
   * malformed tar), naming the blob file and the layer: first whether the compressed blob still
   * hashes to its digest, since a damaged blob explains any of these.
   */
  private IOException inflateFailure(Layer layer, Compression compression,
      CompressedSum compressedSum, Exception cause) {
    try {
      IOException damaged = damagedCompressedBlob(layer, compressedSum.finish());
      if (damaged != null) {
        damaged.initCause(cause);
        return damaged;
      }
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
    return new IOException("layer blob " + store.blobPath(layer.digest()) + " (layer "
        + layer.digest() + ", " + compression.name().toLowerCase(java.util.Locale.ROOT)
        + ") does not inflate to a valid layer tar: " + cause, cause);
  }

  /**
   * The end of {@link #inflate}: checks the compressed blob's digest and size, then commits the
   * uncompressed blob, which checks the DiffID.
   */
  private void commit(Layer layer, CompressedSum compressedSum, SyncBehind synced, BlobWriter out)
      throws IOException {
    Digest digest = layer.digest();
    // the final fsync runs beside the last background flush, which must still succeed before
    // the blob is published
    out.sync();
    synced.finish();
    IOException damaged = damagedCompressedBlob(layer, compressedSum.finish());
    if (damaged != null) {
      throw damaged;
    }
    try {
      out.commit(layer.diffId(), -1);
    } catch (BlobMismatchException e) {
      throw new IOException(
          "layer " + digest + " inflates to content that does not match its diff_id: "
              + e.getMessage(),
          e);
    } catch (IOException e) { // a failed rename: the store's error, not the layer's
      throw new IOException("cannot store the inflated layer " + digest + " (diff_id "
          + layer.diffId() + "): " + e.getMessage(), e);
    }
  }

  /**
   * The digest and size of a stored blob, read front to back on the caller's thread, a slice
   * beside each decompressed chunk ({@link #pacedBy}): the caller has time to spare while it
   * waits for the decompressor, and with two cores a hashing thread of its own would take CPU
   * from the decompressor. A read error is kept and rethrown by {@link #finish}, so it surfaces
   * where a failed hash always did, after the tar is indexed.
   */
  private static final class CompressedSum implements Closeable {
    record Result(Digest digest, long size) {}

    private final Digest digest;
    private final MessageDigest hasher;
    private final ContentStore store;
    private InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private long size;
    private boolean ended;
    private IOException failure;

    CompressedSum(ContentStore store, Digest digest) {
      this.store = store;
      this.digest = digest;
      this.hasher = digest.newMessageDigest();
    }

    /** {@code out}, which also hashes as many compressed bytes as it is given. */
    OutputStream pacedBy(OutputStream out) {
      return new java.io.FilterOutputStream(out) {
        @Override
        public void write(int b) throws IOException {
          out.write(b);
          advance(1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
          advance(len);
        }
      };
    }

    /** Hashes up to about {@code n} more bytes of the blob. */
    private void advance(long n) {
      try {
        if (in == null && !ended && failure == null) {
          in = store.openBlob(digest);
        }
        while (n > 0 && !ended && failure == null) {
          int r = in.read(buffer, 0, (int) Math.min(buffer.length, n));
          if (r < 0) {
            ended = true;
          } else {
            hasher.update(buffer, 0, r);
            size += r;
            n -= r;
          }
        }
      } catch (IOException e) {
        failure = e;
      }
    }

    /** Hashes the rest of the blob. */
    Result finish() throws IOException {
      while (!ended && failure == null) {
        advance(Long.MAX_VALUE);
      }
      if (failure != null) {
        throw failure;
      }
      return new Result(Digest.of(digest.algorithm(), hasher.digest()), size);
    }

    @Override
    public void close() throws IOException {
      if (in != null) {
        in.close();
      }
    }
  }
}
