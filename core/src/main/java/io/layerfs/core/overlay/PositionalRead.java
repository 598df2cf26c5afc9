package io.layerfs.core.overlay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * What reads at a position, as {@code FileChannel.read(ByteBuffer, long)}: an upper file, or a
 * container's handle; and a transfer made of such reads, for files whose bytes no one channel
 * holds (part image, part data file) or whose reads must each be checked (a read-only view's).
 */
interface PositionalRead {
  /** Reads into {@code dst} from {@code position}; -1 at the end. */
  int read(ByteBuffer dst, long position) throws IOException;

  /**
   * Writes up to {@code count} bytes of {@code source} from {@code position} to {@code target},
   * a chunk at a time; fewer where the source ends.
   */
  static long transfer(PositionalRead source, long position, long count,
      WritableByteChannel target) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, UpperFile.CHUNK));
    long done = 0;
    while (done < count) {
      buf.clear().limit((int) Math.min(buf.capacity(), count - done));
      int r = source.read(buf, position + done);
      if (r <= 0) {
        break;
      }
      buf.flip();
      while (buf.hasRemaining()) {
        target.write(buf);
      }
      done += r;
    }
    return done;
  }
}
