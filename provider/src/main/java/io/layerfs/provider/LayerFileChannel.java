package io.layerfs.provider;

import io.layerfs.core.FileHandle;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The NIO channel over one open file: position, append mode and the JDK's checks; the bytes are
 * the {@link FileHandle}'s, an image file's window onto its layer or a container's upper file.
 *
 * <p>Thread safety: as {@link FileChannel} promises; the position is guarded by this object.
 */
final class LayerFileChannel extends FileChannel {
  /**
   * Closes the handle of a channel left unclosed once the channel is unreachable, as the JDK's
   * cleaner closes such a channel's descriptor: a deleted file's data then goes, and a
   * container stops tracking the channel.
   */
  private static final Cleaner CLEANER = Cleaner.create();

  private final FileHandle handle;
  private final HandleCloser closer;
  private final Cleaner.Cleanable cleanable;
  private final boolean directory;
  private final Runnable modified;
  private final boolean interruptible;
  /**
   * The handle's own host channel ({@link FileHandle#ownChannel}), which an interruptible
   * channel reads, writes and sizes directly: its begin and end are the JDK's, so this one's
   * would only repeat them; null otherwise.
   */
  private final FileChannel own;
  private long position;

  /**
   * A channel over {@code handle}; {@code modified} (null: none) is told of every write and
   * truncate, for the watch services. An {@code interruptible} channel behaves as the JDK's
   * {@code FileChannel}: an operation on an interrupted thread, or interrupted while it runs,
   * closes the channel and throws {@link java.nio.channels.ClosedByInterruptException}; the
   * others complete and leave the interrupt set, as the JDK's file streams do.
   */
  /** A channel on a file, as the constructor makes it (see {@link #ofDirectory} on the type). */
  static FileChannel of(FileHandle handle, Runnable modified, boolean interruptible) {
    return new LayerFileChannel(handle, false, modified, interruptible);
  }

  /**
   * A channel on a directory of {@code size} bytes, whose reads fail as Linux's do ({@code
   * EISDIR}), and whose locks are {@code fs}'s of the directory {@code fileKey}. This and
   * {@link #of} are typed as the JDK's {@link FileChannel}, so that verifying the provider (in a
   * fresh JVM, at the JDK's first search for installed providers) loads neither this class nor
   * its handles: a program that only walks never opens a channel.
   */
  static FileChannel ofDirectory(long size, LayerFileSystem fs, long fileKey,
      boolean interruptible) {
    return new LayerFileChannel(new DirectoryHandle(size, fs, fileKey), true, null,
        interruptible);
  }

  private LayerFileChannel(FileHandle handle, boolean directory, Runnable modified,
      boolean interruptible) {
    this.handle = handle;
    this.closer = new HandleCloser(handle);
    this.cleanable = directory ? null : CLEANER.register(this, closer);
    this.directory = directory;
    this.modified = modified != null ? modified : () -> {};
    this.interruptible = interruptible;
    this.own = interruptible ? handle.ownChannel() : null;
  }

  /** Runs an operation on the handle, interruptibly or not (see the constructor). */
  private <T> T io(Uninterrupted.Call<T> call) throws IOException {
    if (!interruptible) {
      return Uninterrupted.call(call);
    }
    boolean completed = false;
    try {
      begin(); // closes the channel at once if the thread is already interrupted
      if (!isOpen()) {
        return null; // end() throws ClosedByInterruptException or AsynchronousCloseException
      }
      T result = Uninterrupted.call(call);
      completed = true;
      return result;
    } finally {
      end(completed);
    }
  }

  /**
   * The host channel's {@code ClosedByInterruptException}: the host channel closed itself, so
   * this one closes too, as the JDK's does on an interrupt.
   */
  private ClosedByInterruptException interrupted(ClosedByInterruptException e) {
    try {
      close();
    } catch (IOException x) {
      e.addSuppressed(x);
    }
    return e;
  }

  /** Writes all of {@code src} at {@code pos} through {@link #own} (at least one call). */
  private int writeOwn(ByteBuffer src, long pos) throws IOException {
    int n = 0;
    try {
      do {
        n += own.write(src, pos + n);
      } while (src.hasRemaining());
    } catch (ClosedByInterruptException e) {
      throw interrupted(e);
    }
    return n;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    synchronized (this) {
      int n = read(dst, position);
      if (n > 0) {
        position += n;
      }
      return n;
    }
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    java.util.Objects.checkFromIndexSize(offset, length, dsts.length); // the JDK's order
    ensureOpen();
    if (!handle.readable()) {
      throw new NonReadableChannelException();
    }
    synchronized (this) {
      long total = 0;
      for (int i = offset; i < offset + length; i++) {
        if (!dsts[i].hasRemaining()) {
          continue;
        }
        int n = read(dsts[i]);
        if (n < 0) {
          return total == 0 ? -1 : total;
        }
        total += n;
        if (dsts[i].hasRemaining()) {
          break;
        }
      }
      return total;
    }
  }

  @Override
  public int read(ByteBuffer dst, long pos) throws IOException {
    if (dst.isReadOnly()) {
      throw new IllegalArgumentException("Read-only buffer");
    }
    ensureOpen();
    if (pos < 0) {
      throw new IllegalArgumentException("negative position: " + pos);
    }
    if (!handle.readable()) {
      throw new NonReadableChannelException();
    }
    if (!dst.hasRemaining()) {
      return 0; // the JDK's reads no byte into a full buffer: no read(2), so no error either
    }
    if (directory) {
      throw new IOException("Is a directory");
    }
    if (pos > Long.MAX_VALUE - dst.remaining()) {
      throw new IOException("Invalid argument"); // read(2) whose end passes the largest offset
    }
    if (own != null) {
      try {
        return own.read(dst, pos);
      } catch (ClosedByInterruptException e) {
        throw interrupted(e);
      }
    }
    if (!interruptible && !Thread.currentThread().isInterrupted()) {
      return handle.read(dst, pos); // the usual case, without a lambda
    }
    return io(() -> handle.read(dst, pos));
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    synchronized (this) {
      ensureWritable();
      boolean append = handle.append();
      long at = position;
      // an append handle's size is read inside io: a mount's is the host channel's, which an
      // interrupt would close behind this channel's back
      int n = own != null && !append ? writeOwn(src, at)
          : io(() -> handle.write(src, append ? handle.size() : at));
      if (n > 0) {
        modified.run(); // write(2) of nothing changes nothing and inotify hears nothing
      }
      if (!append) {
        position = at + n; // an append channel's position is its size (position())
      }
      return n;
    }
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    java.util.Objects.checkFromIndexSize(offset, length, srcs.length);
    ensureWritable();
    synchronized (this) {
      long total = 0;
      for (int i = offset; i < offset + length; i++) {
        total += write(srcs[i]);
      }
      return total;
    }
  }

  @Override
  public int write(ByteBuffer src, long pos) throws IOException {
    ensureWritable();
    if (pos < 0) {
      throw new IllegalArgumentException("negative position: " + pos);
    }
    if (pos > Long.MAX_VALUE - src.remaining() && !handle.append()) {
      throw new IOException("Invalid argument"); // write(2) whose end passes the largest offset
    }
    // pwrite(2) on an O_APPEND descriptor appends on Linux, whatever the position
    int n = own != null && !handle.append() ? writeOwn(src, pos)
        : io(() -> handle.write(src, handle.append() ? handle.size() : pos));
    if (n > 0) {
      modified.run();
    }
    return n;
  }

  @Override
  public long position() throws IOException {
    ensureOpen();
    if (handle.append()) {
      return size(); // interruptible as the JDK's, which asks the file
    }
    interruptedLikeSeek();
    synchronized (this) {
      return position;
    }
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    ensureOpen();
    if (newPosition < 0) {
      throw new IllegalArgumentException("negative position: " + newPosition);
    }
    interruptedLikeSeek();
    synchronized (this) {
      position = newPosition;
    }
    return this;
  }

  /**
   * On an interrupted thread, closes an interruptible channel and throws {@link
   * ClosedByInterruptException}, as the JDK's does around the {@code lseek} of its position
   * calls (this channel keeps its position itself).
   */
  private void interruptedLikeSeek() throws IOException {
    if (interruptible && Thread.currentThread().isInterrupted()) {
      io(() -> null); // begin closes the channel, end throws
    }
  }

  @Override
  public long size() throws IOException {
    ensureOpen();
    if (own != null) {
      try {
        return own.size();
      } catch (ClosedByInterruptException e) {
        throw interrupted(e);
      }
    }
    if (!interruptible && !Thread.currentThread().isInterrupted()) {
      return handle.size(); // the usual case, without a lambda (as read)
    }
    return io(handle::size);
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    ensureWritable();
    if (size < 0) {
      throw new IllegalArgumentException("negative size: " + size);
    }
    synchronized (this) {
      if (size < size()) {
        io(() -> {
          handle.truncate(size);
          return null;
        });
        modified.run();
      }
      if (position > size) {
        position = size;
      }
    }
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    ensureOpen();
    io(() -> {
      handle.force(metaData);
      return null;
    });
  }

  @Override
  public long transferTo(long pos, long count, WritableByteChannel target) throws IOException {
    ensureOpen();
    // the order of FileChannelImpl's checks, made also when there is nothing to transfer
    if (!target.isOpen()) {
      throw new ClosedChannelException();
    }
    if (!handle.readable()) {
      throw new NonReadableChannelException();
    }
    if (target instanceof FileChannel f && !writable(f)) {
      throw new NonWritableChannelException();
    }
    if (pos < 0 || count < 0) {
      throw new IllegalArgumentException("negative position or count");
    }
    if (directory) {
      throw new IOException("Is a directory");
    }
    return io(() -> handle.transferTo(pos, count, target));
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long pos, long count) throws IOException {
    ensureWritable();
    if (!src.isOpen()) {
      throw new ClosedChannelException();
    }
    if (src instanceof FileChannel f && !readable(f)) {
      throw new NonReadableChannelException();
    }
    if (pos < 0 || count < 0) {
      throw new IllegalArgumentException("negative position or count");
    }
    if (pos > size()) {
      return 0;
    }
    return io(() -> {
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
      long done = 0;
      while (done < count) {
        buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
        int n = src.read(buffer);
        if (n <= 0) {
          break;
        }
        buffer.flip();
        while (buffer.hasRemaining()) {
          done += handle.write(buffer, pos + done);
          modified.run();
        }
      }
      return done;
    });
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long pos, long size) throws IOException {
    return map(mode, pos, size, FileChannel::map, true);
  }

  /**
   * Java 22's {@code map} into an arena, which Lucene's {@code MMapDirectory} uses on Java 21 and
   * later: the host file that holds the range (the layer blob, the container's data file, a
   * mount's file) mapped by the JDK into {@code arena}, after the checks and the verification
   * {@link #map(MapMode, long, long)} makes. Its types are Java 22's: built by Java 17, this is
   * compiled against stand-ins of them (the provider's pom), and only a JDK that has them calls
   * it.
   */
  public java.lang.foreign.MemorySegment map(MapMode mode, long pos, long size,
      java.lang.foreign.Arena arena) throws IOException {
    java.util.Objects.requireNonNull(arena, "Arena is null");
    return map(mode, pos, size, ArenaMap.into(arena), false);
  }

  /** Maps by {@code mapper}: into a buffer (at most 2 GiB), or not. */
  private <T> T map(MapMode mode, long pos, long size, FileHandle.Mapper<T> mapper,
      boolean buffer) throws IOException {
    checkMap(mode, pos, size, buffer);
    if (pos + size > size()) {
      // a mapping past the end grows the file with zeros, in every mode, if the channel may write
      if (!handle.writable()) {
        throw new IOException("Channel not open for writing - cannot extend file to required size");
      }
      io(() -> handle.write(ByteBuffer.allocate(1), pos + size - 1));
    }
    return io(() -> handle.map(mode, pos, size, mapper));
  }

  /** The checks and messages of FileChannelImpl.map, in its order. */
  private void checkMap(MapMode mode, long pos, long size, boolean buffer) throws IOException {
    java.util.Objects.requireNonNull(mode, "Mode is null");
    ensureOpen();
    if (pos < 0) {
      throw new IllegalArgumentException("Negative position");
    }
    if (size < 0) {
      throw new IllegalArgumentException("Negative size");
    }
    if (pos + size < 0) {
      throw new IllegalArgumentException("Position + size overflow");
    }
    if (buffer && size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("Size exceeds Integer.MAX_VALUE");
    }
    if (mode != MapMode.READ_ONLY && !handle.writable()) {
      throw new NonWritableChannelException();
    }
    if (!handle.readable()) {
      throw new NonReadableChannelException();
    }
  }


  @Override
  public FileLock lock(long pos, long size, boolean shared) throws IOException {
    return lock(pos, size, shared, true);
  }

  @Override
  public FileLock tryLock(long pos, long size, boolean shared) throws IOException {
    return lock(pos, size, shared, false);
  }

  /**
   * The JDK's rules: shared locks need a readable channel, exclusive ones a writable one. Locks
   * of container files are real locks of their data files, or of the lock files of image files
   * (kept after a copy-up), so they also hold across JVMs.
   */
  private FileLock lock(long pos, long size, boolean shared, boolean wait) throws IOException {
    ensureOpen();
    if (shared && !handle.readable()) {
      throw new NonReadableChannelException();
    }
    if (!shared && !handle.writable()) {
      throw new NonWritableChannelException();
    }
    FileChannel data;
    try {
      data = handle.lockChannel();
    } catch (java.io.UncheckedIOException e) {
      // a lazy container's file opens its whole tree for the lock file, which may fail
      throw e.getCause();
    }
    FileLock real = io(() -> wait ? data.lock(pos, size, shared) : data.tryLock(pos, size, shared));
    if (real == null) {
      return null;
    }
    if (!closer.held(real)) {
      real.release(); // this channel closed meanwhile
      throw new ClosedChannelException();
    }
    // the range as the JDK read it: since Java 19 a size of 0 is to the end
    return new Lock(this, real.position(), real.size(), shared, real);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    closer.close();
    if (cleanable != null) {
      cleanable.clean(); // the closer has closed: this only unregisters it
    }
  }

  /**
   * Closes a handle once: when its channel closes, or when the cleaner finds it left open. First
   * it releases the locks taken through the channel, as the JDK's close does: the channel a
   * handle locks through may outlive it (a container file's data channel serves all its handles).
   */
  private static final class HandleCloser implements Runnable {
    private final FileHandle handle;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The locks held through the channel, made at its first lock; guarded by this. */
    private Set<FileLock> locks;

    HandleCloser(FileHandle handle) {
      this.handle = handle;
    }

    /** Keeps {@code real} to release at close; false if the channel closed already. */
    synchronized boolean held(FileLock real) {
      if (closed.get()) {
        return false;
      }
      if (locks == null) {
        locks = Collections.newSetFromMap(new IdentityHashMap<>());
      }
      locks.add(real);
      return true;
    }

    synchronized void released(FileLock real) {
      if (locks != null) {
        locks.remove(real);
      }
    }

    void close() throws IOException {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      List<FileLock> held;
      synchronized (this) {
        held = locks == null ? List.of() : new ArrayList<>(locks);
        locks = null;
      }
      try (handle) {
        for (FileLock lock : held) {
          if (lock.channel().isOpen()) { // a closed one released its locks
            lock.release();
          }
        }
      }
    }

    @Override
    public void run() {
      try {
        close();
      } catch (IOException | RuntimeException e) {
        // the channel is gone: nobody is left to tell
      }
    }
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!isOpen()) {
      throw new ClosedChannelException();
    }
  }

  private void ensureWritable() throws IOException {
    ensureOpen();
    if (!handle.writable()) {
      throw new NonWritableChannelException();
    }
  }

  /** A lock of this channel, backed by the lock {@code real} of the handle's lock channel. */
  private static final class Lock extends FileLock {
    private final FileLock real;
    private volatile boolean valid = true;

    Lock(FileChannel channel, long position, long size, boolean shared, FileLock real) {
      super(channel, position, size, shared);
      this.real = real;
    }

    @Override
    public boolean isValid() {
      return valid && channel().isOpen() && real.isValid();
    }

    @Override
    public void release() throws IOException {
      if (!channel().isOpen()) {
        throw new ClosedChannelException();
      }
      valid = false;
      real.release();
      ((LayerFileChannel) channel()).closer.released(real);
    }
  }

  /** Whether another channel was opened for writing: a write of nothing tells, changing nothing. */
  private static boolean writable(FileChannel other) throws IOException {
    if (other instanceof LayerFileChannel layer) {
      return layer.handle.writable();
    }
    try {
      other.write(ByteBuffer.allocate(0));
      return true;
    } catch (NonWritableChannelException e) {
      return false;
    }
  }

  /** Whether another channel was opened for reading: a read of nothing tells. */
  private static boolean readable(FileChannel other) throws IOException {
    if (other instanceof LayerFileChannel layer) {
      return layer.handle.readable() && !layer.directory;
    }
    try {
      other.read(ByteBuffer.allocate(0));
      return true;
    } catch (NonReadableChannelException e) {
      return false;
    }
  }
}
