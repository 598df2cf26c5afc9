package io.layerfs.core.rootfs;

import java.util.Arrays;

/**
 * The CRC32C of every 64 KiB chunk of file data in a layer tar, in tar order: chunks are aligned
 * to each file's first byte, the last one of a file may be shorter. Filled by {@link
 * TarGuardStream} while the tar streams by; {@link LayerIndexBuilder} copies the runs of the
 * files the index keeps.
 *
 * <p>Not thread-safe; one per tar.
 */
final class ChunkSums {
  static final int CHUNK_SHIFT = 16;
  static final int CHUNK = 1 << CHUNK_SHIFT;

  private int[] sums = new int[256];
  private int count;

  /** How many chunks a file of {@code size} bytes has. */
  static long chunks(long size) {
    return (size + CHUNK - 1) >>> CHUNK_SHIFT;
  }

  void add(int sum) {
    if (count == sums.length) {
      sums = Arrays.copyOf(sums, Math.max(256, count * 2));
    }
    sums[count++] = sum;
  }

  int count() {
    return count;
  }

  int get(int i) {
    return sums[i];
  }
}
