package io.layerfs.core;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * An open file of a {@code Container}: positional I/O, as {@link FileChannel} has it. The caller
 * (the NIO channel) keeps the position; an {@link #append()} handle writes at the end whatever the
 * position. Errors are those of a {@link FileChannel} on Linux ({@link
 * java.nio.channels.NonReadableChannelException}, {@link
 * java.nio.channels.NonWritableChannelException}, {@link
 * java.nio.channels.ClosedChannelException}).
 */
public interface FileHandle extends Closeable {
  /** Reads into {@code dst} at {@code position}; -1 at the end of the file. */
  int read(ByteBuffer dst, long position) throws IOException;

  /** Writes all of {@code src} at {@code position} (at the end for an append handle). */
  int write(ByteBuffer src, long position) throws IOException;

  long size() throws IOException;

  /** Shrinks the file to {@code size}; a size at or past the end changes nothing. */
  void truncate(long size) throws IOException;

  void force(boolean metaData) throws IOException;

  long transferTo(long position, long count, WritableByteChannel target) throws IOException;

  /** Maps the file; a read-write mapping first copies the whole file up. */
  default MappedByteBuffer map(FileChannel.MapMode mode, long position, long size)
      throws IOException {
    return map(mode, position, size, FileChannel::map);
  }

  /**
   * Maps the file as {@link #map(FileChannel.MapMode, long, long)} does, with {@code mapper}
   * mapping the host file that holds the range: {@code FileChannel::map}, or Java 22's map into
   * an arena, which the provider calls through this.
   */
  <T> T map(FileChannel.MapMode mode, long position, long size, Mapper<T> mapper)
      throws IOException;

  /** Maps a range of a host file's channel. */
  @FunctionalInterface
  interface Mapper<T> {
    T map(FileChannel channel, FileChannel.MapMode mode, long position, long size)
        throws IOException;
  }

  /**
   * The channel to lock for {@link FileChannel#lock} and {@link FileChannel#tryLock}: the file's
   * data file, or the lock file of a container's image file, which it keeps after a copy-up (an
   * I/O error opening it is thrown as {@link java.io.UncheckedIOException}), or a channel of
   * layerfs's own lock table where no host file is the file or can be made for it (a tmpfs's,
   * an image view's, a lazy view's, and in a read-only container of a store it cannot write, a
   * file no writer made a data or lock file for: {@code InJvmLocks}). Never null. The caller
   * releases the locks it took through the channel, which may outlive the handle.
   */
  FileChannel lockChannel();

  /**
   * The host's own channel behind this handle when the handle adds nothing to it (a file of a
   * volume or bind mount opened for reading), for the caller to hand out as it is and so behave
   * exactly as the host's file; null otherwise (the default).
   */
  default FileChannel hostChannel() {
    return null;
  }

  /**
   * The host channel this handle reads and writes through when it was opened for this handle
   * alone and closes with it (a file of a volume or bind mount), for an interruptible caller to
   * call directly: an interrupt then closes that channel and throws {@link
   * java.nio.channels.ClosedByInterruptException} as the JDK's does, and nothing another reader
   * shares is lost. Null otherwise (the default): the caller goes through the handle, with the
   * interrupt status cleared, since the core's channels may be shared.
   */
  default FileChannel ownChannel() {
    return null;
  }

  boolean readable();

  boolean writable();

  boolean append();
}
