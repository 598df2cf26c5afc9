package io.layerfs.core.internal;

import io.layerfs.core.FileHandle;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A read-only mapping of a private copy of a file's range, for bytes no host file holds as they
 * read (a file of a layer read lazily, a read-only container's file of image and upper bytes):
 * the range is read as the file's reads return it, into an unlinked temporary file (owner-only
 * permissions), which the mapping keeps until it is unmapped; nothing is left behind.
 */
public final class PrivateMapping {
  private static final int BUFFER = 1 << 16;

  /** Reads the file's bytes at a position, as {@code FileChannel.read(dst, position)}. */
  @FunctionalInterface
  public interface Reader {
    int read(ByteBuffer dst, long position) throws IOException;
  }

  private PrivateMapping() {}

  /** Maps a copy of [position, position + length) of what {@code reader} reads. */
  public static <T> T of(Reader reader, long position, long length,
      FileHandle.Mapper<T> mapper) throws IOException {
    Path tmp = Files.createTempFile("layerfs-map-", ".tmp");
    try (FileChannel copy = FileChannel.open(tmp, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      Files.delete(tmp);
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, BUFFER));
      for (long done = 0; done < length; ) {
        buf.clear().limit((int) Math.min(buf.capacity(), length - done));
        while (buf.hasRemaining()) {
          if (reader.read(buf, position + done + buf.position()) < 0) {
            throw new EOFException("file ends before byte " + (position + length));
          }
        }
        buf.flip();
        while (buf.hasRemaining()) {
          copy.write(buf, done + buf.position());
        }
        done += buf.limit();
      }
      return mapper.map(copy, FileChannel.MapMode.READ_ONLY, 0, length);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
