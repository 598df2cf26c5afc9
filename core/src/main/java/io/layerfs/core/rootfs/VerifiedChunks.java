package io.layerfs.core.rootfs;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.layerfs.core.Digest;

/**
 * The chunks of layer file data that matched their checksums, bounded by their total size. Reads
 * are served from here, so a chunk is read and hashed once while it stays cached, and the bytes
 * served are exactly the bytes verified (as fs-verity trusts verified pages of the page cache;
 * a page cache we do not control could change under a flag that only said "verified").
 *
 * <p>Thread-safe. The arrays are shared: never write into one.
 */
final class VerifiedChunks {
  /** A chunk: its layer and the offset of its first byte in the uncompressed blob. */
  private record Key(Digest diffId, long blobOffset) {}

  private final Cache<Key, byte[]> cache;

  VerifiedChunks(long maxBytes) {
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .weigher((Key k, byte[] chunk) -> chunk.length + 64)
            .build();
  }

  /** The default bound: 128 MiB, or an eighth of the heap when that is less. */
  static long defaultMaxBytes() {
    return Math.min(128L << 20, Runtime.getRuntime().maxMemory() / 8);
  }

  /** The verified chunk of {@code diffId} starting at {@code blobOffset}, or null. */
  byte[] get(Digest diffId, long blobOffset) {
    return cache.getIfPresent(new Key(diffId, blobOffset));
  }

  void put(Digest diffId, long blobOffset, byte[] chunk) {
    cache.put(new Key(diffId, blobOffset), chunk);
  }

  void clear() {
    cache.invalidateAll();
  }
}
