package io.layerfs.core.rootfs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.TeeInputStream;
import io.layerfs.core.oci.MediaTypes;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Uncompressed layer blobs, their persisted {@link LayerIndex}es and the shared channels reads go
 * through. The first use of a layer inflates, verifies, stores and indexes it in one pass; later
 * uses load the index file, or rebuild it from the blob if it does not load (see the package
 * documentation for the pass, the layout and the index format).
 *
 * <p>Thread-safe: concurrent requests for one layer share one build (the others wait on its
 * future), builds of different layers run in parallel in their callers' threads, and channels
 * are shared by all readers. {@link #close} closes the channels.
 */
public final class LayerStore implements Closeable {
  /** The default bound of the index cache, in {@link LayerIndex#weight()} units (bytes). */
  public static final long DEFAULT_MAX_INDEX_WEIGHT = 256L << 20;

  private final ContentStore store;
  private final Cache<Digest, LayerIndex> cache;
  private final ConcurrentMap<Digest, CompletableFuture<LayerIndex>> building =
      new ConcurrentHashMap<>();

  // @GuardedBy("channels")
  private final Map<Digest, FileChannel> channels = new HashMap<>();
  private volatile boolean closed;

  public LayerStore(ContentStore store) {
    this(store, DEFAULT_MAX_INDEX_WEIGHT);
  }

  /** A layer store whose index cache holds at most {@code maxIndexWeight} of indexes. */
  public LayerStore(ContentStore store, long maxIndexWeight) {
    this.store = Objects.requireNonNull(store, "store");
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxIndexWeight)
            .weigher(
                (Digest diffId, LayerIndex index) ->
                    (int) Math.max(1, Math.min(Integer.MAX_VALUE, index.weight())))
            .build();
  }

  /**
   * The index of {@code layer}, building the uncompressed blob and the index on first use.
   *
   * @throws IOException if a blob is missing or corrupt, the uncompressed content does not match
   *     the DiffID (naming both digests), the media type is unknown, or the tar is malformed
   */
  public LayerIndex index(Layer layer) throws IOException {
    checkOpen();
    Digest diffId = layer.diffId();
    LayerIndex cached = cache.getIfPresent(diffId);
    if (cached != null) {
      return cached;
    }
    CompletableFuture<LayerIndex> mine = new CompletableFuture<>();
    CompletableFuture<LayerIndex> theirs = building.putIfAbsent(diffId, mine);
    if (theirs != null) {
      return await(theirs);
    }
    try {
      // another thread may have finished between the cache miss and our putIfAbsent
      LayerIndex index = cache.getIfPresent(diffId);
      if (index == null) {
        index = load(layer);
        cache.put(diffId, index);
      }
      mine.complete(index);
      return index;
    } catch (IOException | RuntimeException | Error e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      building.remove(diffId, mine);
    }
  }

  /**
   * The shared read-only channel of the uncompressed blob {@code diffId}. Callers use positional
   * reads only and never close it. The blob must exist: call {@link #index} for its layer first.
   *
   * @throws NoSuchFileException if the blob is not in the store
   */
  public FileChannel channel(Digest diffId) throws IOException {
    synchronized (channels) {
      checkOpen();
      FileChannel channel = channels.get(diffId);
      if (channel == null || !channel.isOpen()) {
        try {
          channel = FileChannel.open(store.blobPath(diffId), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
          throw store.missing(diffId);
        }
        channels.put(diffId, channel);
      }
      return channel;
    }
  }

  /** Where the index of the layer with this DiffID is persisted. */
  Path indexPath(Digest diffId) throws IOException {
    return indexRoot(store).resolve(diffId.algorithm()).resolve(diffId.hex());
  }

  /** {@code layerfs/index/}: the persisted layer indexes, one file per DiffID. */
  public static Path indexRoot(ContentStore store) throws IOException {
    return store.stateDir().resolve("index");
  }

  /** Closes every shared channel; later calls fail. */
  @Override
  public void close() throws IOException {
    List<FileChannel> toClose;
    synchronized (channels) {
      closed = true;
      toClose = new ArrayList<>(channels.values());
      channels.clear();
    }
    cache.invalidateAll();
    IOException failure = null;
    for (FileChannel channel : toClose) {
      try {
        channel.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void checkOpen() throws IOException {
    if (closed) {
      throw new IOException("layer store of " + store.root() + " is closed");
    }
  }

  private static LayerIndex await(CompletableFuture<LayerIndex> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for a layer index");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new UncheckedIOException(new IOException(cause));
    }
  }

  private LayerIndex load(Layer layer) throws IOException {
    Digest diffId = layer.diffId();
    Path indexPath = indexPath(diffId);
    boolean haveBlob = store.contains(diffId);
    if (haveBlob && Files.isRegularFile(indexPath)) {
      try {
        return LayerIndex.read(indexPath);
      } catch (IOException corrupt) {
        // derived data: rebuild it from the blob below
      }
    }
    Compression labelled = MediaTypes.layerCompression(layer.mediaType());
    // the bytes decide, not the label: skopeo 1.9 labels some uncompressed layers tar+gzip
    Compression compression =
        store.contains(layer.digest()) ? sniff(layer.digest()) : labelled;
    LayerIndex index;
    if (haveBlob) {
      index = indexStored(layer);
    } else if (compression == Compression.NONE) {
      if (!layer.digest().equals(diffId)) {
        throw new IOException(
            "uncompressed layer "
                + layer.digest()
                + " does not match its diff_id: expected "
                + diffId
                + ", actual "
                + layer.digest());
      }
      throw store.missing(diffId);
    } else {
      return inflate(layer, compression, indexPath);
    }
    persist(index, indexPath);
    return index;
  }

  /** The compression of a stored blob, from its first bytes ({@link Compression#detect}). */
  private Compression sniff(Digest digest) throws IOException {
    byte[] head;
    try (InputStream in = store.openBlob(digest)) {
      head = in.readNBytes(Compression.SNIFF_LENGTH);
    }
    Compression c = Compression.detect(head, head.length);
    if (c == null) {
      throw new IOException("layer blob " + digest + " in store " + store.root()
          + " is neither gzip, zstd nor tar (first bytes " + hex(head, 8) + ")");
    }
    return c;
  }

  private static String hex(byte[] b, int max) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(max, b.length); i++) {
      sb.append(String.format("%02x", b[i] & 0xff));
    }
    return sb.toString();
  }

  /** Indexes an uncompressed blob that is already stored, re-verifying its digest. */
  private LayerIndex indexStored(Layer layer) throws IOException {
    Digest diffId = layer.diffId();
    MessageDigest hasher = diffId.newMessageDigest();
    LayerIndex index;
    try (InputStream in = store.openBlob(diffId);
        OutputStream hash = new DigestOutputStream(OutputStream.nullOutputStream(), hasher)) {
      TeeInputStream tee = new TeeInputStream(in, hash);
      index = TarIndexer.index(tee);
      tee.drain();
    }
    Digest actual = Digest.of(diffId.algorithm(), hasher.digest());
    if (!actual.equals(diffId)) {
      throw new IOException(
          "corrupt layer blob in store "
              + store.root()
              + ": expected "
              + diffId
              + ", actual "
              + actual);
    }
    return index;
  }

  /**
   * The single pass: decompress, index, hash and store the uncompressed tar, over two threads
   * (see the package documentation): decompression alone sets the pace.
   */
  private LayerIndex inflate(Layer layer, Compression compression, Path indexPath)
      throws IOException {
    Digest diffId = layer.diffId();
    Digest digest = layer.digest();
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
      TeeInputStream tee = new TeeInputStream(pipe.stream(), OutputStream.nullOutputStream());
      LayerIndex index = TarIndexer.index(tee);
      tee.drain();
      // the index is final: it is written beside the blob's commit (package documentation)
      Future<Void> persisting = InflatePipeline.submit(() -> {
        persist(index, indexPath);
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
    CompressedSum.Result actual = compressedSum.finish();
    if (!actual.digest().equals(digest) || actual.size() != layer.size()) {
      throw new IOException(
          "corrupt layer blob in store "
              + store.root()
              + ": expected "
              + digest
              + " ("
              + layer.size()
              + " bytes), actual "
              + actual.digest()
              + " ("
              + actual.size()
              + " bytes)");
    }
    try {
      out.commit(layer.diffId(), -1);
    } catch (IOException e) {
      throw new IOException(
          "layer " + digest + " inflates to content that does not match its diff_id: "
              + e.getMessage(),
          e);
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

  /** Persists an index; {@link LayerIndex#write} is atomic and durable itself. */
  private static void persist(LayerIndex index, Path indexPath) throws IOException {
    index.write(indexPath);
  }
}
