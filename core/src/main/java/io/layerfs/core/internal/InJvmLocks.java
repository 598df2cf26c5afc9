package io.layerfs.core.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * File locks held by layerfs itself, with the JDK's rules for one JVM, for files with no host
 * file to lock: a tmpfs mount's (Jimfs's own locks are placeholders that never conflict) and an
 * image view's (nothing on disk is the file). A lock that overlaps one held on the same file,
 * through any channel, is refused with {@link OverlappingFileLockException}, as the JDK refuses
 * it before it asks the kernel; no other process sees these files, so no lock ever waits. Files
 * are told apart by a key their hard links share, as they share an inode.
 *
 * <p>Thread safety: any number of threads; the table is guarded by this object.
 */
public final class InJvmLocks {
  /**
   * Whether a size of 0 locks to the end of any size the file reaches, as the JDK's does since
   * Java 19 (JDK-5041655); before, such a lock kept its size of 0 and overlapped no other.
   */
  private static final boolean ZERO_TO_THE_END = Runtime.version().feature() >= 19;

  private final Map<Object, List<Held>> held = new HashMap<>();

  /**
   * A channel through which a handle of the file {@code fileKey} locks: its locks last until
   * released (layerfs's file channel releases those it took when it closes) or it is closed.
   */
  public FileChannel channel(Object fileKey) {
    return new LockChannel(fileKey);
  }

  private synchronized Held add(LockChannel channel, long position, long size, boolean shared) {
    Held lock = new Held(channel, position, size, shared); // its arguments checked first
    List<Held> locks = held.computeIfAbsent(channel.fileKey, k -> new ArrayList<>());
    for (Held other : locks) {
      if (other.overlaps(position, size)) {
        throw new OverlappingFileLockException();
      }
    }
    locks.add(lock);
    return lock;
  }

  private synchronized void remove(LockChannel channel, Held only) {
    List<Held> locks = held.get(channel.fileKey);
    if (locks == null) {
      return;
    }
    for (Held lock : locks) {
      if (lock.channel() == channel && (only == null || only == lock)) {
        lock.valid = false;
      }
    }
    locks.removeIf(lock -> !lock.valid);
    if (locks.isEmpty()) {
      held.remove(channel.fileKey);
    }
  }

  /** A held lock: valid until released or its channel is closed. */
  private final class Held extends FileLock {
    private volatile boolean valid = true;

    Held(LockChannel channel, long position, long size, boolean shared) {
      super(channel, position, size, shared);
    }

    @Override
    public boolean isValid() {
      return valid && channel().isOpen();
    }

    @Override
    public void release() throws IOException {
      if (!channel().isOpen()) {
        throw new ClosedChannelException();
      }
      remove((LockChannel) channel(), this);
    }
  }

  /**
   * What a handle locks through: {@code lock} and {@code tryLock} only (the handle's channel
   * checked it may take them); closing it releases its locks.
   */
  private final class LockChannel extends FileChannel {
    private final Object fileKey;

    LockChannel(Object fileKey) {
      this.fileKey = fileKey;
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return tryLock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      if (!isOpen()) {
        throw new ClosedChannelException();
      }
      boolean toTheEnd = size == 0 && ZERO_TO_THE_END;
      return add(this, position, toTheEnd ? Long.MAX_VALUE - Math.max(0, position) : size, shared);
    }

    @Override
    protected void implCloseChannel() {
      remove(this, null);
    }

    @Override
    public int read(ByteBuffer dst) {
      throw onlyLocks();
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) {
      throw onlyLocks();
    }

    @Override
    public int write(ByteBuffer src) {
      throw onlyLocks();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) {
      throw onlyLocks();
    }

    @Override
    public long position() {
      throw onlyLocks();
    }

    @Override
    public FileChannel position(long newPosition) {
      throw onlyLocks();
    }

    @Override
    public long size() {
      throw onlyLocks();
    }

    @Override
    public FileChannel truncate(long size) {
      throw onlyLocks();
    }

    @Override
    public void force(boolean metaData) {
      throw onlyLocks();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) {
      throw onlyLocks();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
      throw onlyLocks();
    }

    @Override
    public int read(ByteBuffer dst, long position) {
      throw onlyLocks();
    }

    @Override
    public int write(ByteBuffer src, long position) {
      throw onlyLocks();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
      throw onlyLocks();
    }

    private UnsupportedOperationException onlyLocks() {
      return new UnsupportedOperationException("a lock channel only locks");
    }
  }
}
