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
 * A mapping of a private copy of a file's range, for bytes no host file holds as they read (a
 * file of a layer read lazily, a read-only container's file of image and upper bytes, a tmpfs
 * mount's file): the range is read as the file's reads return it, into an unlinked temporary
 * file (owner-only permissions), which the mapping keeps until it is unmapped; nothing is left
 * behind. Later writes to the file do not reach the copy, which {@code FileChannel.map} allows
 * for {@code READ_ONLY} and {@code PRIVATE} mappings.
 */
public final class PrivateMapping {
  private static final int BUFFER = 1 << 16;

  /** Reads the file's bytes at a position, as {@code FileChannel.read(dst, position)}. */
  @FunctionalInterface
  public interface Reader {
    int read(ByteBuffer dst, long position) throws IOException;
  }

  private PrivateMapping() {}

  /** Maps read-only a copy of [position, position + length) of what {@code reader} reads. */
  public static <T> T of(Reader reader, long position, long length,
      FileHandle.Mapper<T> mapper) throws IOException {
    return in(null, reader, position, length, FileChannel.MapMode.READ_ONLY, mapper);
  }

  /**
   * Maps in {@code mode} ({@code READ_ONLY} or {@code PRIVATE}) a copy of [position, position +
   * length) of what {@code reader} reads, the copy made in {@code dir} (the default temporary
   * directory when null).
   */
  public static <T> T in(Path dir, Reader reader, long position, long length,
      FileChannel.MapMode mode, FileHandle.Mapper<T> mapper) throws IOException {
    Path tmp = dir == null ? Files.createTempFile("layerfs-map-", ".tmp")
        : Files.createTempFile(dir, "layerfs-map-", ".tmp");
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
      return mapper.map(copy, mode, 0, length);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
