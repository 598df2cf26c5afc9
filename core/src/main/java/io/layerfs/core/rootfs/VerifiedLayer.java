package io.layerfs.core.rootfs;

import io.layerfs.core.FileHandle;
import io.layerfs.core.Layer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.zip.CRC32C;

/**
 * Verified reads of one layer's file data. A file's data is read a 64 KiB chunk at a time
 * (chunks aligned to its first byte) into a buffer of our own and compared with the chunk's
 * CRC32C from the layer index before any of it is served; verified chunks are kept in {@link
 * VerifiedChunks}. A mismatch or a blob that ends too soon heals the layer once ({@link
 * LayerStore#heal}) and retries; else it is an {@link IOException} naming the path, the layer
 * and the blob file. Never a short read, never zeros.
 *
 * <p>Thread-safe: the checksums come from the current index (replaced whole by a heal), the
 * bytes from the store's current channel; any correct index of a DiffID has the same checksums,
 * so a reader racing a heal verifies old bytes against new sums or the reverse, both right.
 */
final class VerifiedLayer {
  private final LayerStore store;
  private final Layer layer;
  private final VerifiedChunks chunks;
  private volatile LayerIndex index;
  private final Object healing = new Object();

  VerifiedLayer(LayerStore store, Layer layer, LayerIndex index, VerifiedChunks chunks) {
    this.store = store;
    this.layer = layer;
    this.index = index;
    this.chunks = chunks;
  }

  Layer layer() {
    return layer;
  }

  /** After a rebuild elsewhere: the new index's checksums. */
  void replaceIndex(LayerIndex newIndex) {
    index = newIndex;
  }

  /**
   * Reads the bytes at {@code position} of the file of {@code size} bytes whose data starts at
   * {@code dataOffset}, filling {@code dst} up to the end of the file; -1 at the end.
   */
  int read(long dataOffset, long size, ByteBuffer dst, long position) throws IOException {
    if (!dst.hasRemaining()) {
      return 0;
    }
    if (position >= size) {
      return -1;
    }
    int done = 0;
    long p = position;
    while (dst.hasRemaining() && p < size) {
      long start = p & -ChunkSums.CHUNK;
      byte[] chunk = chunk(dataOffset, start);
      int from = (int) (p - start);
      int n = (int) Math.min(Math.min(dst.remaining(), chunk.length - from), size - p);
      dst.put(chunk, from, n);
      p += n;
      done += n;
    }
    return done;
  }

  /** Writes verified bytes of the file to {@code target}; stops when the target takes less. */
  long transferTo(long dataOffset, long size, long position, long count, WritableByteChannel target)
      throws IOException {
    long end = Math.min(size, position + Math.max(0, count));
    long p = position;
    while (p < end) {
      long start = p & -ChunkSums.CHUNK;
      byte[] chunk = chunk(dataOffset, start);
      int from = (int) (p - start);
      int n = (int) Math.min(chunk.length - from, end - p);
      // read-only: the target must not reach the shared array
      int written = target.write(ByteBuffer.wrap(chunk, from, n).asReadOnlyBuffer());
      p += written;
      if (written < n) {
        break;
      }
    }
    return p - position;
  }

  /** Verifies the chunks of the range (within the file), then maps it from the blob. */
  <T> T map(long dataOffset, long size, long position, long length,
      FileHandle.Mapper<T> mapper) throws IOException {
    long end = Math.min(size, position + length);
    for (long start = position & -ChunkSums.CHUNK; start < end; start += ChunkSums.CHUNK) {
      chunk(dataOffset, start);
    }
    return mapper.map(store.channel(layer.diffId()), FileChannel.MapMode.READ_ONLY,
        dataOffset + position, length);
  }

  /** The verified chunk of the file at {@code dataOffset} starting at its byte {@code start}. */
  private byte[] chunk(long dataOffset, long start) throws IOException {
    byte[] cached = chunks.get(layer.diffId(), dataOffset + start);
    if (cached != null) {
      return cached;
    }
    LayerIndex seen = index;
    byte[] chunk;
    try {
      chunk = load(seen, dataOffset, start);
    } catch (DamagedChunk damage) {
      heal(seen, damage);
      try {
        chunk = load(index, dataOffset, start);
      } catch (DamagedChunk still) {
        throw new IOException(still.getMessage() + ", even after the layer was rebuilt", still);
      }
    }
    chunks.put(layer.diffId(), dataOffset + start, chunk);
    return chunk;
  }

  /** Heals once per damage seen: a reader that saw the index a heal replaced just retries. */
  private void heal(LayerIndex seen, DamagedChunk damage) throws IOException {
    synchronized (healing) {
      if (index != seen) {
        return;
      }
      try {
        index = store.heal(layer, damage.getMessage());
      } catch (IOException cannot) {
        throw new IOException(damage.getMessage() + "; " + cannot.getMessage(), damage);
      }
    }
  }

  private byte[] load(LayerIndex sums, long dataOffset, long start) throws IOException {
    int row = sums.dataRow(dataOffset);
    if (row < 0 || start >= sums.dataRowSize(row)) {
      throw new IOException(where(sums, dataOffset) + ": the layer index has no data at offset "
          + (dataOffset + start) + " of the blob");
    }
    int length = (int) Math.min(ChunkSums.CHUNK, sums.dataRowSize(row) - start);
    byte[] chunk = new byte[length];
    ByteBuffer buf = ByteBuffer.wrap(chunk);
    FileChannel channel;
    try {
      channel = store.channel(layer.diffId());
    } catch (NoSuchFileException e) {
      // derived data another tool deleted (umoci gc knows no uncompressed layer): rebuilt
      throw new DamagedChunk(where(sums, dataOffset) + ": the uncompressed blob is gone ("
          + e.getMessage() + ")");
    }
    long at = dataOffset + start;
    int reopened = 0;
    while (buf.hasRemaining()) {
      int r;
      try {
        r = channel.read(buf, at + buf.position());
      } catch (ClosedChannelException e) {
        // another reader's interrupt closed the shared channel: it reopens; ours stops here
        if (Thread.currentThread().isInterrupted() || ++reopened > 3) {
          throw e;
        }
        channel = store.channel(layer.diffId());
        continue;
      }
      if (r < 0) {
        throw new DamagedChunk(where(sums, dataOffset) + ": the blob ends at byte "
            + (at + buf.position()) + ", inside bytes " + start + "-" + (start + length - 1)
            + " of the file (truncated blob)");
      }
    }
    CRC32C crc = new CRC32C();
    crc.update(chunk, 0, length);
    if ((int) crc.getValue() != sums.chunkSum(row, (int) (start >>> ChunkSums.CHUNK_SHIFT))) {
      throw new DamagedChunk(where(sums, dataOffset) + ": bytes " + start + "-"
          + (start + length - 1) + " of the file do not match their checksum");
    }
    return chunk;
  }

  private String where(LayerIndex sums, long dataOffset) {
    return "damaged layer data: " + sums.pathOfData(dataOffset) + " in layer " + layer.digest()
        + " (diff_id " + layer.diffId() + "), blob " + store.blobPath(layer.diffId());
  }

  /** A chunk whose bytes are not what the index says: worth a heal. */
  private static final class DamagedChunk extends IOException {
    DamagedChunk(String message) {
      super(message);
    }
  }
}
