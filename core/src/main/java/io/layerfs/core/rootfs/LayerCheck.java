package io.layerfs.core.rootfs;

import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The full check of one layer behind {@link LayerStore#verify}: reads the blob and the index
 * file themselves, never a cache, and changes nothing. A compressed layer never used has no
 * uncompressed blob yet: nothing to check here (its compressed blob is the content store's).
 */
final class LayerCheck {
  /** Damaged chunks listed one by one before the rest are counted. */
  private static final int MAX_LISTED = 10;

  private final ContentStore store;
  private final Layer layer;
  private final Path indexPath;
  private final List<String> problems = new ArrayList<>();

  LayerCheck(ContentStore store, Layer layer, Path indexPath) {
    this.store = store;
    this.layer = layer;
    this.indexPath = indexPath;
  }

  List<String> run() throws IOException {
    Digest diffId = layer.diffId();
    Path blob = store.blobPath(diffId);
    if (!Files.isRegularFile(blob)) {
      if (layer.digest().equals(diffId)) {
        problems.add("the blob " + blob + " of uncompressed layer " + diffId + " is missing");
      }
      return problems;
    }
    Digest actual = hash(diffId);
    if (!actual.equals(diffId)) {
      problems.add("the uncompressed blob " + blob + " of layer " + layer.digest()
          + " does not hash to its diff_id " + diffId + " (actual " + actual + ")");
    }
    if (Files.isDirectory(indexPath)) {
      // no use can build the index over it
      problems.add("the layer index " + indexPath + " is a directory, not a file");
      return problems;
    }
    if (!Files.isRegularFile(indexPath)) {
      return problems; // derived data, not damage: the next use builds it from the blob
    }
    LayerIndex index;
    try {
      index = LayerIndex.read(indexPath);
    } catch (LayerIndex.OtherVersion e) {
      return problems; // written by another version of layerfs: the next use rebuilds it
    } catch (IOException e) {
      problems.add("the layer index does not load: " + e.getMessage());
      return problems;
    }
    if (!index.diffId().equals(diffId.toString())) {
      problems.add("the layer index " + indexPath + " belongs to "
          + (index.diffId().isEmpty() ? "no layer" : "layer " + index.diffId())
          + ", not to " + diffId);
      return problems;
    }
    long length = Files.size(blob);
    if (index.blobLength() != length) {
      problems.add("the layer index " + indexPath + " describes a blob of "
          + index.blobLength() + " bytes; " + blob + " has " + length);
    }
    checkChunks(index, blob);
    return problems;
  }

  private Digest hash(Digest diffId) throws IOException {
    MessageDigest md = diffId.newMessageDigest();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = store.openBlob(diffId)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return Digest.of(diffId.algorithm(), md.digest());
  }

  private void checkChunks(LayerIndex index, Path blob) throws IOException {
    int damaged = 0;
    ByteBuffer buf = ByteBuffer.allocate(ChunkSums.CHUNK);
    CRC32C crc = new CRC32C();
    try (FileChannel ch = FileChannel.open(blob, StandardOpenOption.READ)) {
      for (int row = 0; row < index.dataRows(); row++) {
        long offset = index.dataRowOffset(row);
        long size = index.dataRowSize(row);
        for (long start = 0; start < size; start += ChunkSums.CHUNK) {
          int length = (int) Math.min(ChunkSums.CHUNK, size - start);
          buf.clear().limit(length);
          while (buf.hasRemaining() && ch.read(buf, offset + start + buf.position()) >= 0) {
            // fill
          }
          String what = null;
          if (buf.hasRemaining()) {
            what = "the blob ends inside bytes " + start + "-" + (start + length - 1);
          } else {
            crc.reset();
            crc.update(buf.array(), 0, length);
            int chunk = (int) (start >>> ChunkSums.CHUNK_SHIFT);
            if ((int) crc.getValue() != index.chunkSum(row, chunk)) {
              what = "bytes " + start + "-" + (start + length - 1) + " do not match their checksum";
            }
          }
          if (what != null && ++damaged <= MAX_LISTED) {
            problems.add(index.pathOfData(offset) + " in " + blob + " (layer " + layer.digest()
                + "): " + what);
          }
        }
      }
    }
    if (damaged > MAX_LISTED) {
      problems.add((damaged - MAX_LISTED) + " more damaged chunks in " + blob);
    }
  }
}
