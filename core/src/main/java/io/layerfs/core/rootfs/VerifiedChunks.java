package io.layerfs.core.rootfs;

import io.layerfs.core.Digest;
import io.layerfs.core.internal.LruCache;
import java.util.function.ToLongBiFunction;

/**
 * The chunks of layer file data that matched their checksums, bounded by their total size. Reads
 * are served from here, so a chunk is read and hashed once while it stays cached, and the bytes
 * served are exactly the bytes verified (as fs-verity trusts verified pages of the page cache;
 * a page cache we do not control could change under a flag that only said "verified").
 *
 * <p>Reads of file data are hot and concurrent, so the cache is split into stripes by key, each
 * an {@link LruCache} with its share of the bound: readers of different chunks rarely wait for
 * one another. Not Caffeine: its first cache costs a fresh JVM about 50 ms of CPU (a thread
 * pool, the JDK's logging, method handles spun at run time), a quarter of a CLI {@code cat}.
 *
 * <p>Thread-safe. The arrays are shared: never write into one.
 */
final class VerifiedChunks {
  /** 16 stripes: more than the cores that read at once on the machines we run on. */
  private static final int STRIPE_BITS = 4;

  private static final int STRIPES = 1 << STRIPE_BITS;

  /**
   * A chunk: its layer and the offset of its first byte in the uncompressed blob. A class with
   * its hash computed once: it picks the stripe and then the bin, and a record's generated
   * methods are bootstrapped on first use, which costs a fresh JVM several milliseconds.
   */
  private static final class Key {
    final Digest diffId;
    final long blobOffset;
    final int hash;

    Key(Digest diffId, long blobOffset) {
      this.diffId = diffId;
      this.blobOffset = blobOffset;
      this.hash = diffId.hashCode() * 31 + Long.hashCode(blobOffset);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.blobOffset == blobOffset && k.diffId.equals(diffId);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  /** A chunk's weight: its bytes and about what the entry around them costs. */
  private static final class ChunkWeigher implements ToLongBiFunction<Key, byte[]> {
    static final ChunkWeigher INSTANCE = new ChunkWeigher();

    @Override
    public long applyAsLong(Key key, byte[] chunk) {
      return chunk.length + 64L;
    }
  }

  private final LruCache<Key, byte[]>[] stripes;

  @SuppressWarnings("unchecked")
  VerifiedChunks(long maxBytes) {
    stripes = new LruCache[STRIPES];
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new LruCache<>(maxBytes / STRIPES, ChunkWeigher.INSTANCE);
    }
  }

  /** The verified chunk of {@code diffId} starting at {@code blobOffset}, or null. */
  byte[] get(Digest diffId, long blobOffset) {
    Key k = new Key(diffId, blobOffset);
    return stripe(k).getIfPresent(k);
  }

  void put(Digest diffId, long blobOffset, byte[] chunk) {
    Key k = new Key(diffId, blobOffset);
    stripe(k).put(k, chunk);
  }

  void clear() {
    for (LruCache<Key, byte[]> s : stripes) {
      s.invalidateAll();
    }
  }

  /** The total weight cached, for tests. */
  long weight() {
    long w = 0;
    for (LruCache<Key, byte[]> s : stripes) {
      w += s.weight();
    }
    return w;
  }

  private LruCache<Key, byte[]> stripe(Key k) {
    // The top bits of a multiplicative hash: each stripe's HashMap picks its bins from the low
    // bits of hash ^ (hash >>> 16), and a stripe chosen from those bits too would put all its
    // keys in a sixteenth of its bins (long collision chains; sequential reads took twice as
    // long). Chunks of one layer differ in the bits from 16 up (64 KiB apart); the product
    // carries them into the top bits.
    return stripes[(k.hash * 0x9E3779B9) >>> (32 - STRIPE_BITS)];
  }
}
