package io.layerfs.core.rootfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.Digest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class VerifiedChunksTest {
  private static final Digest A = Digest.sha256("layer a".getBytes(StandardCharsets.UTF_8));
  private static final Digest B = Digest.sha256("layer b".getBytes(StandardCharsets.UTF_8));

  @Test
  void aChunkIsFoundByItsLayerAndOffsetOnly() {
    VerifiedChunks chunks = new VerifiedChunks(1 << 20);
    byte[] one = new byte[100];
    byte[] two = new byte[100];
    chunks.put(A, 65536, one);
    chunks.put(B, 65536, two);
    assertSame(one, chunks.get(A, 65536));
    assertSame(two, chunks.get(B, 65536));
    assertNull(chunks.get(A, 0));
    assertNull(chunks.get(B, 131072));
  }

  @Test
  void theBoundHoldsAcrossStripesAndRecentChunksStay() {
    long max = 64 * (4096 + 64);
    VerifiedChunks chunks = new VerifiedChunks(max);
    for (int i = 0; i < 10_000; i++) {
      chunks.put(A, (long) i << 16, new byte[4096]);
      assertTrue(chunks.weight() <= max, "weight " + chunks.weight() + " after " + i);
    }
    // the last chunk put is the most recently used of its stripe, which has room for it
    assertEquals(4096, chunks.get(A, 9_999L << 16).length);
    // and the chunks spread over the stripes: a quarter of the bound at least is in use
    assertTrue(chunks.weight() >= max / 4, "weight " + chunks.weight());
  }

  @Test
  void clearEmptiesEveryStripe() {
    VerifiedChunks chunks = new VerifiedChunks(1 << 24);
    for (int i = 0; i < 100; i++) {
      chunks.put(i % 2 == 0 ? A : B, (long) i << 16, new byte[10]);
    }
    chunks.clear();
    assertEquals(0, chunks.weight());
    for (int i = 0; i < 100; i++) {
      assertNull(chunks.get(i % 2 == 0 ? A : B, (long) i << 16));
    }
  }
}
