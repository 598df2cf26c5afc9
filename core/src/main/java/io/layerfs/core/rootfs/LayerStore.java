package io.layerfs.core.rootfs;

import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Layer;
import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.LruCache;
import io.layerfs.core.internal.PrivateMapping;
import io.layerfs.core.lazy.LazyLayer;
import io.layerfs.core.lazy.LazyLayers;
import io.layerfs.core.oci.MediaTypes;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.ToLongBiFunction;

/**
 * Uncompressed layer blobs, their persisted {@link LayerIndex}es and the shared channels reads go
 * through. The first use of a layer inflates, verifies, stores and indexes it in one pass; later
 * uses load the index file, or rebuild it from the blob if it does not load or belongs to
 * another layer or blob. File data is read through {@link #read}, {@link #transferTo} and {@link
 * #map}, verified chunk by chunk and healed from the compressed blob on damage; {@link #verify}
 * and {@link #rebuild} serve {@code fsck} (see the package documentation for the pass, the
 * layout, the index format and reading).
 *
 * <p>Thread-safe: concurrent requests for one layer share one build (the others wait on its
 * future), builds of different layers run in parallel in their callers' threads, and channels
 * are shared by all readers. {@link #close} closes the channels.
 */
public final class LayerStore implements Closeable {
  /** The default bound of the index cache, in {@link LayerIndex#weight()} units (bytes). */
  public static final long DEFAULT_MAX_INDEX_WEIGHT = 256L << 20;
  /**
   * The default bound of the verified-chunk cache (see {@link VerifiedChunks}): 128 MiB, or an
   * eighth of the heap when that is less.
   */
  public static final long DEFAULT_MAX_CHUNK_BYTES =
      Math.min(128L << 20, Runtime.getRuntime().maxMemory() / 8);

  private final ContentStore store;
  private final LruCache<Digest, LayerIndex> cache;
  private final ConcurrentMap<Digest, Build> building =
      new ConcurrentHashMap<>();

  // @GuardedBy("channels")
  private final Map<Digest, FileChannel> channels = new HashMap<>();
  // channels replaced by a heal, closed with the store: readers may still be using them
  // @GuardedBy("channels")
  private final List<FileChannel> retired = new ArrayList<>();
  private final ConcurrentMap<Digest, VerifiedLayer> verified = new ConcurrentHashMap<>();
  private final long maxChunkBytes;
  /** Made when a file's data is first read: a walk reads none (nor loads its classes). */
  private volatile VerifiedChunks chunks;
  private final LazyLayers lazy;
  // indexes of eStargz layers read lazily, built from their TOCs, by DiffID
  private final ConcurrentMap<Digest, TocIndexer.Indexed> lazyIndexes =
      new ConcurrentHashMap<>();
  private final Object rebuilding = new Object();
  private volatile boolean closed;

  public LayerStore(ContentStore store) {
    this(store, DEFAULT_MAX_INDEX_WEIGHT);
  }

  /** A layer store whose index cache holds at most {@code maxIndexWeight} of indexes. */
  public LayerStore(ContentStore store, long maxIndexWeight) {
    this(store, maxIndexWeight, DEFAULT_MAX_CHUNK_BYTES);
  }

  /**
   * A layer store whose index cache holds at most {@code maxIndexWeight} of indexes and whose
   * cache of verified file data at most {@code maxChunkBytes} bytes.
   */
  public LayerStore(ContentStore store, long maxIndexWeight, long maxChunkBytes) {
    this(store, maxIndexWeight, maxChunkBytes, null);
  }

  /**
   * A layer store that reads the layers attached to {@code lazyOrNull} from their remote blobs
   * while the store lacks them: eStargz layers through their TOC and chunks, plain gzip layers
   * fetched whole (completed into the store) on first use, since a tar must be read to its end
   * to index it.
   */
  public LayerStore(ContentStore store, long maxIndexWeight, long maxChunkBytes,
      LazyLayers lazyOrNull) {
    this.store = Objects.requireNonNull(store, "store");
    this.lazy = lazyOrNull;
    this.maxChunkBytes = maxChunkBytes;
    this.cache = new LruCache<>(maxIndexWeight, IndexWeigher.INSTANCE);
  }

  /** An index weighs its size (a class rather than a lambda: see {@link MergedTree}). */
  private static final class IndexWeigher implements ToLongBiFunction<Digest, LayerIndex> {
    static final IndexWeigher INSTANCE = new IndexWeigher();

    @Override
    public long applyAsLong(Digest diffId, LayerIndex index) {
      return Math.max(1, index.weight());
    }
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
    TocIndexer.Indexed lazyIndex = lazyIndex(layer);
    if (lazyIndex != null) {
      return lazyIndex.index();
    }
    LayerIndex cached = cache.getIfPresent(diffId);
    if (cached != null) {
      return cached;
    }
    Build mine = new Build();
    Build theirs = building.putIfAbsent(diffId, mine);
    if (theirs != null) {
      return theirs.await();
    }
    try {
      // another thread may have finished between the cache miss and our putIfAbsent
      LayerIndex index = cache.getIfPresent(diffId);
      if (index == null) {
        try {
          index = load(layer);
        } catch (FileSystemException e) {
          throw store.explainWriteFailure(e); // a store that cannot be written, said plainly
        }
        cache.put(diffId, index);
      }
      mine.finish(index, null);
      return index;
    } catch (IOException | RuntimeException | Error e) {
      mine.finish(null, e);
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
        Path blob = store.blobPath(diffId);
        try {
          channel = FileChannel.open(blob, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
          throw store.missing(diffId);
        }
        if (!Files.isRegularFile(blob)) {
          channel.close(); // a directory opens, and fails only its reads, naming no file
          throw new IOException("uncompressed blob " + blob + " is not a file");
        }
        channels.put(diffId, channel);
      }
      return channel;
    }
  }

  /**
   * Reads verified bytes of a file of {@code layer}: the file of {@code size} bytes whose data
   * starts at {@code dataOffset} in the uncompressed blob, from {@code position}, filling {@code
   * dst} up to the end of the file; -1 at the end. Damaged data is healed from the compressed
   * blob when it can be (see the package documentation), else an {@link IOException} naming the
   * path, the layer and the blob; never a short read.
   */
  public int read(Layer layer, long dataOffset, long size, ByteBuffer dst, long position)
      throws IOException {
    TocIndexer.Indexed lazyIndex = lazyIndexes.get(layer.diffId());
    if (lazyIndex != null) {
      return lazyRead(layer, lazyIndex, dataOffset, size, dst, position);
    }
    return verified(layer).read(dataOffset, size, dst, position);
  }

  /**
   * The TOC index of a layer read lazily as eStargz, building it on first use; null for a layer
   * read from the store. A lazy plain gzip layer is completed into the store here.
   */
  private TocIndexer.Indexed lazyIndex(Layer layer) throws IOException {
    TocIndexer.Indexed known = lazyIndexes.get(layer.diffId());
    if (known != null || lazy == null) {
      return known;
    }
    LazyLayer l = lazy.get(layer.digest());
    if (l == null || store.contains(layer.diffId()) || store.contains(layer.digest())) {
      return null;
    }
    if (l.tocOrNull() == null) {
      lazy.complete(layer.digest());
      return null;
    }
    TocIndexer.Indexed built = TocIndexer.index(l.tocOrNull());
    TocIndexer.Indexed raced = lazyIndexes.putIfAbsent(layer.diffId(), built);
    return raced != null ? raced : built;
  }

  private int lazyRead(Layer layer, TocIndexer.Indexed index, long dataOffset, long size,
      ByteBuffer dst, long position) throws IOException {
    LazyLayer l = lazy.get(layer.digest());
    if (dataOffset < 0 || dataOffset >= index.files().size() || l == null) {
      throw new IOException("no lazily read file " + dataOffset + " in layer "
          + layer.digest());
    }
    return l.readFile(index.files().get((int) dataOffset), size, dst, position);
  }

  /** {@link #read}, written to {@code target}; stops early only when the target takes less. */
  public long transferTo(Layer layer, long dataOffset, long size, long position, long count,
      WritableByteChannel target) throws IOException {
    TocIndexer.Indexed lazyIndex = lazyIndexes.get(layer.diffId());
    if (lazyIndex != null) {
      long done = 0;
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 1 << 20));
      while (done < count) {
        buf.clear().limit((int) Math.min(buf.capacity(), count - done));
        int n = lazyRead(layer, lazyIndex, dataOffset, size, buf, position + done);
        if (n <= 0) {
          break;
        }
        buf.flip();
        while (buf.hasRemaining()) {
          if (target.write(buf) == 0) {
            return done + n - buf.remaining();
          }
        }
        done += n;
      }
      return done;
    }
    return verified(layer).transferTo(dataOffset, size, position, count, target);
  }

  /**
   * Verifies the range's chunks as {@link #read} does, then maps it read-only from the blob; a
   * file of a layer read lazily, which no host file holds uncompressed, maps a private copy of
   * the range, fetched and verified as a read of it is (a layer never changes, so the copy is
   * the file).
   */
  public <T> T map(Layer layer, long dataOffset, long size, long position, long length,
      FileHandle.Mapper<T> mapper) throws IOException {
    TocIndexer.Indexed lazyIndex = lazyIndexes.get(layer.diffId());
    if (lazyIndex != null) {
      return PrivateMapping.of((dst, at) -> lazyRead(layer, lazyIndex, dataOffset, size, dst, at),
          position, length, mapper);
    }
    return verified(layer).map(dataOffset, size, position, length, mapper);
  }

  private VerifiedLayer verified(Layer layer) throws IOException {
    VerifiedLayer v = verified.get(layer.diffId());
    if (v == null) {
      LayerIndex index = index(layer);
      v = verified.computeIfAbsent(
          layer.diffId(), d -> new VerifiedLayer(this, layer, index, chunks()));
    }
    return v;
  }

  private VerifiedChunks chunks() {
    VerifiedChunks c = chunks;
    if (c == null) {
      synchronized (this) {
        c = chunks;
        if (c == null) {
          c = new VerifiedChunks(maxChunkBytes);
          chunks = c;
        }
      }
    }
    return c;
  }

  /**
   * Checks a layer in full, for {@code fsck}: its uncompressed blob is present and hashes to
   * the DiffID, its index file loads, belongs to this layer and blob, and every file's chunks
   * match their checksums. Reads the files, not the caches; changes nothing.
   *
   * @return the problems found, each a sentence naming the file; empty if the layer is sound
   */
  public List<String> verify(Layer layer) throws IOException {
    checkOpen();
    return new LayerCheck(store, layer, indexPath(layer.diffId())).run();
  }

  /**
   * Rebuilds the uncompressed blob and the index of {@code layer} from its compressed blob
   * (verifying both digests), replacing what was there; readers switch to the new blob.
   *
   * @throws IOException saying why when it cannot: the layer is uncompressed (its blob is the
   *     only copy), the compressed blob is missing, or it is damaged itself
   */
  public void rebuild(Layer layer) throws IOException {
    checkOpen();
    rebuildIndex(layer);
  }

  /** Heals a damaged layer for {@link VerifiedLayer}: its new index, or why it cannot. */
  LayerIndex heal(Layer layer, String damage) throws IOException {
    try {
      return rebuildIndex(layer);
    } catch (IOException e) {
      throw new IOException("cannot heal: " + e.getMessage(), e);
    }
  }

  private LayerIndex rebuildIndex(Layer layer) throws IOException {
    Digest diffId = layer.diffId();
    if (layer.digest().equals(diffId)) {
      throw new IOException("layer " + diffId + " is uncompressed: its blob "
          + store.blobPath(diffId) + " is its only copy");
    }
    if (!store.contains(layer.digest())) {
      throw new IOException("the compressed blob of layer " + diffId + ", "
          + store.blobPath(layer.digest()) + ", is not in the store");
    }
    synchronized (rebuilding) {
      Path indexPath = indexPath(diffId);
      Path blob = store.blobPath(diffId);
      // BlobWriter never replaces a blob: the old one moves aside (open channels keep it), and
      // back if the compressed blob turns out damaged too: it may be the only good copy
      Path aside = store.newTempFile("rebuild");
      Path indexAside = store.newTempFile("rebuild-index");
      boolean moved = Files.exists(blob);
      if (moved) {
        BlobWriter.move(blob, aside);
      }
      boolean indexMoved = Files.exists(indexPath);
      if (indexMoved) {
        BlobWriter.move(indexPath, indexAside);
      }
      LayerIndex index;
      try {
        IndexBuilder builder = new IndexBuilder(store);
        index = builder.inflate(layer, builder.sniff(layer), indexPath);
      } catch (IOException | RuntimeException | Error e) {
        if (moved && !Files.exists(blob)) {
          BlobWriter.move(aside, blob);
        }
        if (indexMoved && !Files.exists(indexPath)) {
          BlobWriter.move(indexAside, indexPath);
        }
        throw e;
      } finally {
        Files.deleteIfExists(aside);
        Files.deleteIfExists(indexAside);
      }
      synchronized (channels) {
        FileChannel old = channels.remove(diffId);
        if (old != null) {
          retired.add(old);
        }
      }
      cache.put(diffId, index);
      VerifiedLayer v = verified.get(diffId);
      if (v != null) {
        v.replaceIndex(index);
      }
      return index;
    }
  }

  /** The file of a blob, for messages. */
  Path blobPath(Digest digest) {
    return store.blobPath(digest);
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
      toClose.addAll(retired);
      channels.clear();
      retired.clear();
    }
    cache.invalidateAll();
    VerifiedChunks c = chunks;
    if (c != null) {
      c.clear();
    }
    verified.clear();
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

  /**
   * One build of a layer's index, which the threads that want it meanwhile wait for. Not a
   * {@code CompletableFuture}: a fresh JVM would load it and its helpers from outside the JDK's
   * class data archive, and start the common fork-join pool's set-up, for this alone.
   */
  private static final class Build {
    private boolean done;
    private LayerIndex index;
    private Throwable failure;

    synchronized void finish(LayerIndex built, Throwable failed) {
      index = built;
      failure = failed;
      done = true;
      notifyAll();
    }

    synchronized LayerIndex await() throws IOException {
      try {
        while (!done) {
          wait();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted waiting for a layer index");
      }
      if (failure == null) {
        return index;
      }
      if (failure instanceof IOException io) {
        throw io;
      }
      if (failure instanceof RuntimeException re) {
        throw re;
      }
      if (failure instanceof Error err) {
        throw err;
      }
      throw new UncheckedIOException(new IOException(failure));
    }
  }

  private LayerIndex load(Layer layer) throws IOException {
    Digest diffId = layer.diffId();
    Path indexPath = indexPath(diffId);
    boolean haveBlob = store.contains(diffId);
    if (haveBlob && Files.isRegularFile(indexPath)) {
      try {
        LayerIndex index = LayerIndex.read(indexPath);
        if (belongs(index, diffId)) {
          return index;
        }
        // another layer's index, or a blob that changed length since: rebuilt below
      } catch (IOException corrupt) {
        // derived data: rebuild it from the blob below
      }
    }
    boolean compressed = !layer.digest().equals(diffId);
    if (haveBlob) {
      LayerIndex index;
      try {
        index = new IndexBuilder(store).indexStored(layer);
      } catch (InterruptedIOException e) {
        throw e;
      } catch (IOException damaged) {
        if (!compressed || !store.contains(layer.digest())) {
          throw damaged;
        }
        try {
          return rebuildIndex(layer);
        } catch (IOException e) {
          throw new IOException(damaged.getMessage()
              + "; rebuilding it from the compressed blob failed: " + e.getMessage(), e);
        }
      }
      persist(index, indexPath);
      return index;
    }
    Compression labelled = MediaTypes.layerCompression(layer.mediaType());
    if (!compressed) {
      // an uncompressed layer is its own only copy here
      throw new NoSuchFileException(store.blobPath(diffId).toString(), null, "layer blob "
          + diffId + " is not in store " + store.root() + "; " + IndexBuilder.RESTORE);
    }
    if (store.contains(layer.digest())) {
      // the bytes decide, not the label: skopeo 1.9 labels some uncompressed layers tar+gzip
      IndexBuilder builder = new IndexBuilder(store);
      return builder.inflate(layer, builder.sniff(layer), indexPath);
    }
    if (labelled == Compression.NONE) {
      throw new IOException(
          "uncompressed layer "
              + layer.digest()
              + " does not match its diff_id: expected "
              + diffId
              + ", actual "
              + layer.digest());
    }
    // names the missing compressed blob
    return new IndexBuilder(store).inflate(layer, labelled, indexPath);
  }

  /** Whether a loaded index is that of the layer {@code diffId} and of its blob as it is now. */
  private boolean belongs(LayerIndex index, Digest diffId) throws IOException {
    return index.diffId().equals(diffId.toString())
        && index.blobLength() == Files.size(store.blobPath(diffId));
  }

  /** Persists an index; {@link LayerIndex#write} is atomic and durable itself. */
  static void persist(LayerIndex index, Path indexPath) throws IOException {
    index.write(indexPath);
  }
}
