package io.layerfs.core.mount;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

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
 * <p>A process killed between the two brackets leaves a change under way for good; {@link
 * CounterFile}, which holds this JVM's one open of the file, tells who is alive and resets such
 * a count when only dead processes can have left it.
 *
 * <p>Thread safety: any number of threads and processes; the updates are atomic instructions on
 * the shared mapping.
 */
final class VolumeGeneration implements AutoCloseable {
  /** Never a generation: no counter, a damaged one, or a change under way. */
  static final long UNKNOWN = -1;
  /** A counter that is never {@link #stable}: bind mounts, tmpfs, a counter that failed. */
  static final VolumeGeneration NONE = new VolumeGeneration(null, null, false);
  /** "LFSVGEN1". */
  static final long MAGIC = 0x4c46535647454e31L;
  static final int MAGIC_AT = 0;
  static final int GENERATION_AT = 8;
  static final int CHANGING_AT = 16;
  static final int SIZE = 24;
  static final VarHandle LONGS =
      MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

  private final Path file;
  private final CounterFile counter;
  private final MappedByteBuffer map;
  private final boolean writable;
  private final AtomicBoolean closed = new AtomicBoolean();

  private VolumeGeneration(Path file, CounterFile counter, boolean writable) {
    this.file = file;
    this.counter = counter;
    this.map = counter == null ? null : counter.map;
    this.writable = writable;
  }

  /**
   * Maps the counter at {@code file}, made (zeros, then marked with the magic number) when missing
   * and {@code writable}; {@link #NONE} when that fails or the file is damaged (not of the
   * counter's size, or another magic number), never an exception. With {@code writable}, this
   * process is shown alive to the others until {@link #close}, and changes left under way by
   * processes now dead are ended ({@link CounterFile}). A file this user may not write is mapped
   * for reading only.
   */
  static VolumeGeneration open(Path file, boolean writable) {
    CounterFile c = CounterFile.acquire(file, writable);
    return c == null ? NONE : new VolumeGeneration(file, c, writable && c.writable);
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
    counter.began(); // before the count: no reset may take this change for a dead one's
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
    } finally {
      counter.ended();
    }
  }

  @Override
  public void close() {
    if (counter != null && closed.compareAndSet(false, true)) {
      counter.release(writable); // the mapping stays valid until collected
    }
  }
}
