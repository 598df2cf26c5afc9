package io.layerfs.core.lazy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/**
 * Inflating from a block boundary in the middle of a deflate stream: the made-up start is an
 * empty stream of the right length, candidates that inflate to the end give the stream's own
 * bytes wherever they are called known (stored blocks included, whose length sits at a byte
 * boundary of the original stream), and bytes copied from the unknown window are not known.
 * GzipSeekTest covers whole lookups.
 */
class WindowlessInflationTest {
  @Test
  void theMadeUpStartInflatesToNothingAndEndsWhereTheBoundaryStarts() throws Exception {
    for (int s = 1; s < 8; s++) {
      byte[] lead = WindowlessInflation.lead(s);
      Inflater i = new Inflater(true);
      try {
        i.setInput(lead);
        assertEquals(0, i.inflate(new byte[16]), "s=" + s);
        assertFalse(i.finished());
        assertEquals(0, lead[lead.length - 1] >>> s, "bits past the lead are free, s=" + s);
      } finally {
        i.end();
      }
    }
  }

  @Test
  void fromEveryCandidateThatInflatesToTheEndTheKnownBytesAreTheStreamsOwn() throws Exception {
    Random r = new Random(7);
    byte[] data = new byte[400_000];
    for (int i = 0; i < data.length; ) {
      int run = 1 + r.nextInt(20_000);
      int kind = r.nextInt(3);
      for (int j = 0; j < run && i < data.length; j++, i++) {
        data[i] = kind == 0 ? (byte) r.nextInt() // incompressible: stored blocks
            : kind == 1 ? (byte) ('a' + r.nextInt(6)) // text
            : data[Math.max(0, i - 1 - r.nextInt(30_000))]; // copies, some from far back
      }
    }
    for (int level : new int[] {1, 6, 9}) {
      byte[] z = deflate(data, level);
      int confirmed = 0;
      long bit = 0;
      while (true) {
        long c = DeflateBlockFinder.next(z, z.length, bit, (long) z.length * 8);
        if (c < 0) {
          break;
        }
        bit = (c >>> 1) + 1;
        try (WindowlessInflation w = WindowlessInflation.at(z, z.length, c >>> 1, (c & 1) != 0)) {
          if (w.inflate(Integer.MAX_VALUE)) {
            continue; // did not reach the end of the stream
          }
          int from = data.length - w.length();
          for (int i = 0; i < w.length(); i++) {
            if (w.known(i, i + 1)) {
              assertEquals(data[from + i], w.output()[i], "level " + level + ", byte " + i);
            }
          }
          confirmed++;
        } catch (DataFormatException notABoundary) {
          // a candidate only
        }
      }
      assertTrue(confirmed >= 5, confirmed + " boundaries at level " + level);
    }
  }

  @Test
  void bytesCopiedFromTheUnknownWindowAreNotKnown() throws Exception {
    Random r = new Random(8);
    byte[] x = new byte[20_000];
    r.nextBytes(x);
    Deflater d = new Deflater(6, true);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    d.setInput(x);
    int n;
    while ((n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
      out.write(buf, 0, n);
    }
    int boundary = out.size(); // a sync flush ends byte aligned: the next block starts here
    d.setInput(x); // the same bytes again: copies from 20,000 bytes back
    d.finish();
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    byte[] z = out.toByteArray();
    try (WindowlessInflation w = WindowlessInflation.at(z, z.length, boundary * 8L, false)) {
      assertFalse(w.inflate(Integer.MAX_VALUE));
      assertEquals(x.length, w.length());
      int unknown = 0;
      for (int i = 0; i < x.length; i++) {
        if (w.known(i, i + 1)) {
          assertEquals(x[i], w.output()[i], "a literal"); // zlib may start with one or two
        } else {
          unknown++;
        }
      }
      assertTrue(unknown > x.length - 16, unknown + " of " + x.length + " bytes unknown");
    }
  }

  private static byte[] deflate(byte[] data, int level) {
    Deflater d = new Deflater(level, true);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    for (int off = 0; off < data.length; off += 50_000) {
      // a sync flush now and then, as pigz and parallel gzips write: empty stored blocks
      d.setInput(Arrays.copyOfRange(data, off, Math.min(data.length, off + 50_000)));
      int n;
      while ((n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH)) > 0) {
        out.write(buf, 0, n);
      }
    }
    d.finish();
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return out.toByteArray();
  }
}
