package io.layerfs.core.lazy;

import java.util.Arrays;
import java.util.BitSet;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Inflates a deflate stream from a block boundary in its middle, without the 32 KiB of output
 * before it that back references may reach into, and tells which output bytes are known.
 *
 * <p>Java's {@code Inflater} starts at a byte, and the stream cannot be shifted to start at one:
 * a stored block's length sits at the next byte boundary of the original stream. So the
 * inflaters are fed a made-up start instead, empty blocks ({@link #lead}) as long as the bits
 * before the boundary in its byte, then the boundary's byte without those bits and the original
 * bytes after it: every later bit keeps its place within its byte. The unknown window is stood
 * in for twice: one
 * raw inflater is primed with a dictionary of zeros, a second with one of 0xff bytes, which
 * differ at every position. Each output byte is a literal, or a copy of an earlier output byte,
 * or a copy of a window byte; so it comes out the same in both runs exactly when it does not
 * come from the unknown window, and only such bytes are called known. Once the last 32 KiB of
 * output are all known, no later byte can reach the unknown window and the second inflater is
 * dropped.
 *
 * <p>Not thread-safe.
 */
final class WindowlessInflation implements AutoCloseable {
  static final int WINDOW = 32 << 10;

  private final Inflater zeros = new Inflater(true);
  private Inflater ones = new Inflater(true);
  // the compressed bytes fed so far (after the made-up start); each inflater is given what it
  // has not had yet
  private byte[] in = new byte[64 << 10];
  private int inLength;
  private int givenZeros;
  private int givenOnes;
  private byte[] out = new byte[256 << 10];
  private byte[] outOnes = new byte[256 << 10];
  private int length;
  private int lengthOnes;
  private final BitSet unknown = new BitSet();
  private int lastUnknown = -1;

  private WindowlessInflation() {
    byte[] dict = new byte[WINDOW];
    zeros.setDictionary(dict);
    Arrays.fill(dict, (byte) 0xff);
    ones.setDictionary(dict);
  }

  /**
   * Starts at bit {@code bit} of {@code src}, a dynamic block's first bit; with {@code stored},
   * {@code bit / 8} is where a stored block's length field is. Feeds {@code src} to {@code len}.
   */
  static WindowlessInflation at(byte[] src, int len, long bit, boolean stored) {
    WindowlessInflation w = new WindowlessInflation();
    int k = (int) (bit >>> 3);
    int s = (int) (bit & 7);
    if (stored) {
      // a stored block's header, its padding, then the original length field onwards
      w.feed(new byte[] {0}, 0, 1);
      w.feed(src, k, len - k);
    } else if (s == 0) {
      w.feed(src, k, len - k);
    } else {
      byte[] lead = lead(s);
      // the made-up blocks end s bits into their last byte, where the boundary's bits begin
      lead[lead.length - 1] |= (byte) (src[k] & (0xff << s));
      w.feed(lead, 0, lead.length);
      w.feed(src, k + 1, len - k - 1);
    }
    return w;
  }

  /**
   * Empty deflate blocks (no output) whose bits end {@code s} (1-7) bits into their last byte:
   * a dynamic block of 92 or 93 bits that codes only its end, then fixed empty blocks of 10 bits
   * each; the unused high bits of the last byte are zero.
   */
  static byte[] lead(int s) {
    for (int odd = 0; odd < 2; odd++) {
      for (int fixed = 0; fixed < 4; fixed++) {
        int total = 92 + odd + 10 * fixed;
        if (total % 8 == s) {
          Bits b = new Bits();
          b.put(0, 1).put(2, 2).put(0, 5).put(0, 5).put(18 - 4, 4); // dynamic; 257, 1, 18 codes
          // code-length code lengths in header order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1
          int l18 = odd == 0 ? 1 : 2;
          int l0 = odd == 0 ? 2 : 1;
          b.put(0, 3).put(0, 3).put(l18, 3).put(l0, 3);
          for (int i = 0; i < 13; i++) {
            b.put(0, 3);
          }
          b.put(2, 3); // symbol 1
          // canonical codes: odd 0: 18 -> 0, 0 -> 10, 1 -> 11; odd 1: 0 -> 0, 1 -> 10, 18 -> 11
          int c18 = odd == 0 ? 0 : 3;
          int c1 = odd == 0 ? 3 : 2;
          int c0 = odd == 0 ? 2 : 0;
          b.code(c18, l18).put(138 - 11, 7).code(c18, l18).put(118 - 11, 7); // 256 zeros
          b.code(c1, 2); // end of block: length 1
          b.code(c0, l0); // the one distance code: unused
          b.code(0, 1); // the end of block
          for (int i = 0; i < fixed; i++) {
            b.put(0, 1).put(1, 2).code(0, 7); // fixed block, end of block
          }
          if (b.bits != total) {
            throw new AssertionError(b.bits + " bits, not " + total);
          }
          return b.bytes();
        }
      }
    }
    throw new IllegalArgumentException("s " + s);
  }

  /** Bits written least significant first, as deflate stores them. */
  private static final class Bits {
    private final byte[] buf = new byte[32];
    int bits;

    Bits put(int value, int n) {
      for (int i = 0; i < n; i++) {
        buf[bits >>> 3] |= (byte) (((value >>> i) & 1) << (bits & 7));
        bits++;
      }
      return this;
    }

    /** A Huffman code: most significant bit first. */
    Bits code(int code, int n) {
      for (int i = n - 1; i >= 0; i--) {
        put((code >>> i) & 1, 1);
      }
      return this;
    }

    byte[] bytes() {
      return Arrays.copyOf(buf, (bits + 7) / 8);
    }
  }

  /** Feeds the next compressed bytes. */
  void feed(byte[] b, int off, int n) {
    ensureIn(inLength + n);
    System.arraycopy(b, off, in, inLength, n);
    inLength += n;
  }

  /**
   * Inflates what was fed, up to about {@code maxOutput} bytes of output in all.
   *
   * @return false once the deflate stream has ended (its final block), true otherwise
   * @throws DataFormatException if the bits are not a deflate stream from here
   */
  boolean inflate(int maxOutput) throws DataFormatException {
    while (length < maxOutput && !zeros.finished()) {
      if (zeros.needsInput()) {
        if (givenZeros == inLength) {
          break;
        }
        zeros.setInput(in, givenZeros, inLength - givenZeros);
        givenZeros = inLength;
      }
      ensureOut(Math.min(maxOutput, length + (64 << 10)), maxOutput);
      int n = zeros.inflate(out, length, Math.min(out.length, maxOutput) - length);
      if (n == 0 && zeros.needsDictionary()) {
        throw new DataFormatException("asks for a dictionary");
      }
      length += n;
      if (ones != null) {
        matchOnes();
      }
      if (n == 0 && !zeros.needsInput() && !zeros.finished()) {
        break; // no progress possible now
      }
    }
    return !zeros.finished();
  }

  // runs the second inflater up to the first's output and marks where the two differ
  private void matchOnes() throws DataFormatException {
    if (outOnes.length < out.length) {
      outOnes = Arrays.copyOf(outOnes, out.length);
    }
    while (lengthOnes < length) {
      if (ones.needsInput()) {
        if (givenOnes == inLength) {
          break;
        }
        ones.setInput(in, givenOnes, inLength - givenOnes);
        givenOnes = inLength;
      }
      int n = ones.inflate(outOnes, lengthOnes, length - lengthOnes);
      if (n == 0 && (ones.finished() || !ones.needsInput())) {
        break;
      }
      markUnknown(lengthOnes, lengthOnes + n);
      lengthOnes += n;
    }
    if (lengthOnes < length) {
      // the same bits must give the same number of bytes: anything else is not deflate
      throw new DataFormatException("the two runs disagree on the output's length");
    }
    if (length - (lastUnknown + 1) >= WINDOW) {
      ones.end(); // nothing later can reach the unknown window any more
      ones = null;
    }
  }

  // marks the bytes of [from, to) where the two runs differ, a run of them at a time (the equal
  // stretches skipped by Arrays.mismatch, which the JIT vectorizes)
  private void markUnknown(int from, int to) {
    int i = from;
    while (i < to) {
      int m = Arrays.mismatch(out, i, to, outOnes, i, to);
      if (m < 0) {
        return;
      }
      int start = i + m;
      int end = start + 1;
      while (end < to && out[end] != outOnes[end]) {
        end++;
      }
      unknown.set(start, end);
      lastUnknown = end - 1;
      i = end;
    }
  }

  /** Output bytes so far. */
  int length() {
    return length;
  }

  /** The output; valid up to {@link #length()}. */
  byte[] output() {
    return out;
  }

  /** Whether every output byte in {@code [from, to)} is known (and inflated). */
  boolean known(int from, int to) {
    if (to > length || from < 0) {
      return false;
    }
    int u = unknown.nextSetBit(from);
    return u < 0 || u >= to;
  }

  /** Compressed bytes (as fed, counting from the first) the inflater has consumed so far. */
  long consumed() {
    return givenZeros - zeros.getRemaining();
  }

  private void ensureIn(int n) {
    if (n > in.length) {
      // a new array: the inflaters keep reading the old one's range they were given
      in = Arrays.copyOf(in, Math.max(n, in.length * 2));
    }
  }

  private void ensureOut(int n, int max) {
    if (n > out.length) {
      out = Arrays.copyOf(out, Math.max(n, (int) Math.min(max, out.length * 2L)));
    }
  }

  @Override
  public void close() {
    zeros.end();
    if (ones != null) {
      ones.end();
    }
  }
}
