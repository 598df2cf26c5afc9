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
 * <p>The cache (Caffeine: reads of file data are hot and concurrent) is built on the first chunk
 * stored: a JVM that only lists and stats files never loads Caffeine.
 *
 * <p>Thread-safe. The arrays are shared: never write into one.
 */
final class VerifiedChunks {
  /**
   * A chunk: its layer and the offset of its first byte in the uncompressed blob. Equality and
   * hash are written out: a record's generated ones are bootstrapped on first use, which costs a
   * fresh JVM several milliseconds.
   */
  private record Key(Digest diffId, long blobOffset) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.blobOffset == blobOffset && k.diffId.equals(diffId);
    }

    @Override
    public int hashCode() {
      return diffId.hashCode() * 31 + Long.hashCode(blobOffset);
    }
  }

  private final long maxBytes;
  private volatile Cache<Key, byte[]> cache;

  VerifiedChunks(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** The default bound: 128 MiB, or an eighth of the heap when that is less. */
  static long defaultMaxBytes() {
    return Math.min(128L << 20, Runtime.getRuntime().maxMemory() / 8);
  }

  /** The verified chunk of {@code diffId} starting at {@code blobOffset}, or null. */
  byte[] get(Digest diffId, long blobOffset) {
    Cache<Key, byte[]> c = cache;
    return c == null ? null : c.getIfPresent(new Key(diffId, blobOffset));
  }

  void put(Digest diffId, long blobOffset, byte[] chunk) {
    Cache<Key, byte[]> c = cache;
    if (c == null) {
      c = create();
    }
    c.put(new Key(diffId, blobOffset), chunk);
  }

  private synchronized Cache<Key, byte[]> create() {
    Cache<Key, byte[]> c = cache;
    if (c == null) {
      c = Caffeine.newBuilder()
          .maximumWeight(maxBytes)
          .weigher((Key k, byte[] chunk) -> chunk.length + 64)
          .build();
      cache = c;
    }
    return c;
  }

  void clear() {
    Cache<Key, byte[]> c = cache;
    if (c != null) {
      c.invalidateAll();
    }
  }
}
