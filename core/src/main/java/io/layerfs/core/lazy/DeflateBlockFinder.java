package io.layerfs.core.lazy;

/**
 * Finds bit offsets in compressed bytes where a deflate block with dynamic Huffman codes may
 * start: a non-final block of type 2 whose code-length code, literal/length code and distance
 * code are all valid prefix codes as zlib's {@code inflate_table} accepts them (complete, or a
 * single code of one bit; the literal/length code has an end-of-block code). Nearly every bit
 * offset that is not a block start fails these checks; the few that pass are confirmed by
 * inflating from them ({@link WindowlessInflation}). Bits are read as deflate stores them:
 * least significant first.
 *
 * <p>Stateless.
 */
final class DeflateBlockFinder {
  /** The order in which a block header lists the code-length code's lengths (RFC 1951 3.2.7). */
  private static final int[] ORDER = {
      16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
  /** The longest a dynamic block header can be: 17 + 19 * 3 + 316 codes of up to 7 + 7 bits. */
  static final int MAX_HEADER_BITS = 17 + 19 * 3 + 316 * 14;

  private DeflateBlockFinder() {}

  /**
   * The first candidate in {@code [fromBit, toBit)} of {@code buf[0, len)}, or -1 if none: a bit
   * offset where a plausible dynamic block header starts, shifted left once ({@code c >>> 1}
   * is the bit); or with the lowest bit set, the bit offset of a stored block's length field
   * (byte aligned; the byte before it ends in the zero bits of a stored block's header and
   * padding, and the length's complement follows it).
   */
  static long next(byte[] buf, int len, long fromBit, long toBit) {
    long end = Math.min(toBit, (long) len * 8);
    int[] lengths = new int[19];
    int[] codeLengths = new int[320];
    for (long bit = fromBit; bit < end; bit++) {
      int k = (int) (bit >>> 3);
      if ((bit & 7) == 0 && k >= 1 && k + 4 <= len && (buf[k - 1] & 0xe0) == 0
          && ((buf[k] ^ buf[k + 2]) & 0xff) == 0xff && ((buf[k + 1] ^ buf[k + 3]) & 0xff) == 0xff) {
        return (bit << 1) | 1;
      }
      // BFINAL = 0, BTYPE = 2 (bits 0, 1 after it, least significant first), HLIT <= 29,
      // HDIST <= 29: the first 13 bits
      int head = bits(buf, len, bit, 13);
      if ((head & 0x7) != 0x4 || ((head >>> 3) & 0x1f) > 29 || ((head >>> 8) & 0x1f) > 29) {
        continue;
      }
      if (bit + 17 + 19 * 3 > (long) len * 8) {
        return -1; // too close to the end to read the header's fixed part
      }
      if (plausible(buf, len, bit, lengths, codeLengths)) {
        return bit << 1;
      }
    }
    return -1;
  }

  /** Whether a whole dynamic block header at {@code bit} is valid. */
  static boolean plausible(byte[] buf, int len, long bit, int[] lengths, int[] codeLengths) {
    long limit = (long) len * 8;
    int head = bits(buf, len, bit, 17);
    int hlit = ((head >>> 3) & 0x1f) + 257;
    int hdist = ((head >>> 8) & 0x1f) + 1;
    int hclen = ((head >>> 13) & 0xf) + 4;
    long pos = bit + 17;
    java.util.Arrays.fill(lengths, 0);
    for (int i = 0; i < hclen; i++) {
      lengths[ORDER[i]] = bits(buf, len, pos, 3);
      pos += 3;
    }
    if (kraft(lengths, 19, 7) != 0) {
      return false; // zlib wants the code-length code complete
    }
    // the code-length code, canonical, decoded as puff.c does
    int[] count = new int[8];
    int[] symbols = new int[19];
    tables(lengths, 19, count, symbols);
    int n = hlit + hdist;
    int i = 0;
    while (i < n) {
      if (pos + 7 + 7 > limit) {
        return false; // the header runs past what is held: not confirmable here
      }
      int sym = decode(buf, len, pos, count, symbols);
      if (sym < 0) {
        return false;
      }
      pos += sym >>> 8;
      sym &= 0xff;
      if (sym < 16) {
        codeLengths[i++] = sym;
        continue;
      }
      int repeat;
      int value = 0;
      if (sym == 16) {
        if (i == 0) {
          return false;
        }
        value = codeLengths[i - 1];
        repeat = 3 + bits(buf, len, pos, 2);
        pos += 2;
      } else if (sym == 17) {
        repeat = 3 + bits(buf, len, pos, 3);
        pos += 3;
      } else {
        repeat = 11 + bits(buf, len, pos, 7);
        pos += 7;
      }
      if (i + repeat > n) {
        return false;
      }
      for (int k = 0; k < repeat; k++) {
        codeLengths[i++] = value;
      }
    }
    if (codeLengths[256] == 0) {
      return false; // no end-of-block code
    }
    return acceptable(codeLengths, 0, hlit) && acceptable(codeLengths, hlit, hdist);
  }

  /** As zlib's inflate_table: not oversubscribed, and complete unless its longest code is 1. */
  private static boolean acceptable(int[] codeLengths, int from, int n) {
    int[] part = java.util.Arrays.copyOfRange(codeLengths, from, from + n);
    int left = kraft(part, n, 15);
    if (left < 0) {
      return false;
    }
    int max = 0;
    for (int l : part) {
      max = Math.max(max, l);
    }
    return left == 0 || max <= 1;
  }

  /**
   * Codes left unused of a prefix code with these lengths (0: complete), or -1 if
   * oversubscribed; all lengths zero count as incomplete.
   */
  private static int kraft(int[] lengths, int n, int maxBits) {
    int[] count = new int[maxBits + 1];
    for (int i = 0; i < n; i++) {
      count[lengths[i]]++;
    }
    if (count[0] == n) {
      return 1;
    }
    int left = 1;
    for (int len = 1; len <= maxBits; len++) {
      left <<= 1;
      left -= count[len];
      if (left < 0) {
        return -1;
      }
    }
    return left;
  }

  private static void tables(int[] lengths, int n, int[] count, int[] symbols) {
    for (int i = 0; i < n; i++) {
      count[lengths[i]]++;
    }
    int[] offs = new int[count.length];
    for (int len = 1; len < count.length - 1; len++) {
      offs[len + 1] = offs[len] + count[len];
    }
    for (int i = 0; i < n; i++) {
      if (lengths[i] != 0) {
        symbols[offs[lengths[i]]++] = i;
      }
    }
  }

  /** A symbol in the low byte and its code's length above it; -1 if no code matches. */
  private static int decode(byte[] buf, int len, long pos, int[] count, int[] symbols) {
    int code = 0;
    int first = 0;
    int index = 0;
    for (int l = 1; l < count.length; l++) {
      code |= bits(buf, len, pos + l - 1, 1);
      int c = count[l];
      if (code - first < c) {
        return symbols[index + code - first] | (l << 8);
      }
      index += c;
      first += c;
      first <<= 1;
      code <<= 1;
    }
    return -1;
  }

  /** {@code n} (at most 24) bits at bit offset {@code pos}, least significant first; 0 past len. */
  static int bits(byte[] buf, int len, long pos, int n) {
    int i = (int) (pos >>> 3);
    long w = 0;
    for (int k = 0; k < 4 && i + k < len; k++) {
      w |= (buf[i + k] & 0xffL) << (8 * k);
    }
    return (int) ((w >>> (pos & 7)) & ((1L << n) - 1));
  }
}
