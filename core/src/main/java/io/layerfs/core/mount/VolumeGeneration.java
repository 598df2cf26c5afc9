package io.layerfs.core.mount;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A named volume's generation counter: a small file beside the volume's data directory (never in
 * it), mapped shared, so every JVM of every container using the volume reads what any of them
 * wrote, at memory speed. Every change of the volume's directory namespace made through layerfs
 * (a directory removed, renamed, or replaced) is bracketed by {@link #beginChange} and {@link
 * #endChange}; a reader that validated its kept-open directories at a {@link #stable} generation
 * may use them again without a {@code stat} each as long as the generation is still that one
 * after its open ({@link #current}). The package documentation tells why that is safe.
 *
 * <p>The file holds three native-order longs: a magic number, the generation (raised at the
 * start and at the end of every change) and the number of changes under way. A file that is
 * missing and cannot be made, that cannot be mapped, or whose magic number is wrong (damaged) is
 * {@link #UNKNOWN} to every call, and the readers check every directory, as for a bind mount; a
 * mapped file truncated by another process faults on access, which the JDK reports as an {@link
 * InternalError}, taken as damaged too.
 *
 * <p>Thread safety: any number of threads and processes; the updates are atomic instructions on
 * the shared mapping.
 */
final class VolumeGeneration implements AutoCloseable {
  /** Never a generation: no counter, a damaged one, or a change under way. */
  static final long UNKNOWN = -1;
  /** A counter that is never {@link #stable}: bind mounts, tmpfs, a counter that failed. */
  static final VolumeGeneration NONE = new VolumeGeneration(null, null, null, false);
  /** "LFSVGEN1". */
  private static final long MAGIC = 0x4c46535647454e31L;
  private static final int MAGIC_AT = 0;
  private static final int GENERATION_AT = 8;
  private static final int CHANGING_AT = 16;
  private static final int SIZE = 24;
  private static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final Path file;
  private final FileChannel channel;
  private final MappedByteBuffer map;
  private final boolean writable;

  private VolumeGeneration(Path file, FileChannel channel, MappedByteBuffer map,
      boolean writable) {
    this.file = file;
    this.channel = channel;
    this.map = map;
    this.writable = writable;
  }

  /**
   * Maps the counter at {@code file}, made (zeros, then marked with the magic number) when missing
   * and {@code writable}; {@link #NONE} when that fails or the file is damaged (not of the
   * counter's size, or another magic number), never an exception.
   */
  static VolumeGeneration open(Path file, boolean writable) {
    if (writable && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
        && !Files.isWritable(file)) {
      // another user's: read it, but refuse to change directories uncounted (beginChange)
      return map(file, false);
    }
    return map(file, writable);
  }

  private static VolumeGeneration map(Path file, boolean writable) {
    FileChannel ch = null;
    try {
      ch = writable
          ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
              StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS)
          : FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      long size = ch.size();
      if (size != SIZE && (size != 0 || !writable)) {
        ch.close();
        return NONE;
      }
      // a new file (here or in another process) is extended with zeros by the mapping
      // (ftruncate): never written over, so two processes starting it at once lose nothing
      MappedByteBuffer map = ch.map(
          writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, 0, SIZE);
      VolumeGeneration g = new VolumeGeneration(file, ch, map, writable);
      if (writable) {
        LONGS.compareAndSet(map, MAGIC_AT, 0L, MAGIC); // a new file: marked once, by anyone
      }
      if ((long) LONGS.getVolatile(map, MAGIC_AT) != MAGIC) {
        ch.close();
        return NONE;
      }
      return g;
    } catch (IOException | RuntimeException | InternalError e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // the counter is given up either way
        }
      }
      return NONE;
    }
  }

  /**
   * The generation now, when no change is under way; else (or without a working counter) {@link
   * #UNKNOWN}. Read before a walk that checks each directory: what that walk finds may be taken
   * as true at this generation.
   */
  long stable() {
    if (map == null) {
      return UNKNOWN;
    }
    try {
      long g = (long) LONGS.getVolatile(map, GENERATION_AT);
      long changing = (long) LONGS.getVolatile(map, CHANGING_AT);
      return changing == 0 && (long) LONGS.getVolatile(map, MAGIC_AT) == MAGIC ? g : UNKNOWN;
    } catch (InternalError e) {
      return UNKNOWN; // truncated under the mapping
    }
  }

  /**
   * The generation now ({@link #UNKNOWN} without a working counter), read after the loads before
   * it (an open's walk of the kernel's directories): an open through kept directories stands if
   * this is still the generation they were checked at.
   */
  long current() {
    if (map == null) {
      return UNKNOWN;
    }
    VarHandle.acquireFence();
    try {
      long g = (long) LONGS.getVolatile(map, GENERATION_AT);
      return (long) LONGS.getVolatile(map, MAGIC_AT) == MAGIC ? g : UNKNOWN;
    } catch (InternalError e) {
      return UNKNOWN;
    }
  }

  /**
   * Says a change of the namespace is about to be made: call before it, and {@link #endChange}
   * after it (also when it failed). Without a working counter nothing is recorded (every reader
   * checks every directory then).
   *
   * @throws FileSystemException naming the counter when it was mapped for reading only (a
   *     read-only container, which changes nothing, or a counter this process may not write:
   *     other containers would not see the change, so it is not made)
   */
  void beginChange() throws IOException {
    if (map == null) {
      return;
    }
    if (!writable) {
      throw new FileSystemException(file.toString(), null, "the volume's count of directory "
          + "changes is read-only here, so other containers would not see this change");
    }
    try {
      LONGS.getAndAdd(map, CHANGING_AT, 1L); // first: a reader seeing the new generation
      LONGS.getAndAdd(map, GENERATION_AT, 1L); // sees the change as under way
    } catch (InternalError e) {
      // damaged under the mapping: readers find it so and check every directory
    }
  }

  /** Ends what {@link #beginChange} began. */
  void endChange() {
    if (map == null || !writable) {
      return;
    }
    try {
      LONGS.getAndAdd(map, GENERATION_AT, 1L);
      LONGS.getAndAdd(map, CHANGING_AT, -1L);
    } catch (InternalError e) {
      // as above
    }
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close(); // the mapping stays valid until collected; nothing reads it after close
    }
  }
}
