package io.layerfs.provider;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link AsynchronousFileChannel} of a layerfs file, as the JDK's on Linux makes one: each
 * read, write and lock is the file's {@link FileChannel} call run as a task on the executor, and
 * the checks (position, direction, read-only buffer) are made before, in the caller's thread.
 * The executor is the caller's, or a daemon pool of the provider's own, made on first use.
 *
 * <p>Thread safety: any number of threads, as the channel it runs on.
 */
final class LayerAsyncFileChannel extends AsynchronousFileChannel {
  private final FileChannel channel;
  private final boolean reading;
  private final boolean writing;
  private final ExecutorService executor;

  LayerAsyncFileChannel(FileChannel channel, boolean reading, boolean writing,
      ExecutorService executor) {
    this.channel = channel;
    this.reading = reading;
    this.writing = writing;
    this.executor = executor != null ? executor : DefaultExecutor.POOL;
  }

  /** The pool for channels opened without an executor: made when first needed. */
  private static final class DefaultExecutor {
    private static final AtomicInteger THREADS = new AtomicInteger();
    static final ExecutorService POOL = Executors.newCachedThreadPool(task -> {
      Thread t = new Thread(task, "layerfs-async-file-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public AsynchronousFileChannel truncate(long size) throws IOException {
    if (size < 0) {
      throw new IllegalArgumentException("Negative size");
    }
    if (!writing) {
      throw new NonWritableChannelException();
    }
    if (!isOpen()) {
      throw new AsynchronousCloseException(); // what the JDK's truncate says once closed
    }
    channel.truncate(size);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    channel.force(metaData);
  }

  @Override
  public <A> void lock(long position, long size, boolean shared, A attachment,
      CompletionHandler<FileLock, ? super A> handler) {
    if (handler == null) {
      throw new NullPointerException("'handler' is null");
    }
    takeLock(position, size, shared, attachment, handler);
  }

  @Override
  public Future<FileLock> lock(long position, long size, boolean shared) {
    return takeLock(position, size, shared, null, null);
  }

  /**
   * A lock as the JDK's channel takes one: a closed channel fails it, a bad range and a range
   * overlapping one this JVM holds throw at once (the JDK adds the lock to its table in the
   * caller's thread); a lock another process holds is waited for on the executor.
   */
  private <A> Future<FileLock> takeLock(long position, long size, boolean shared, A attachment,
      CompletionHandler<FileLock, ? super A> handler) {
    checkLock(shared);
    if (!isOpen()) {
      return completeNow(null, new ClosedChannelException(), attachment, handler);
    }
    if (position < 0) {
      throw new IllegalArgumentException("Negative position");
    }
    if (size < 0) {
      throw new IllegalArgumentException("Negative size");
    }
    if (position + size < 0) {
      throw new IllegalArgumentException("Negative position + size");
    }
    FileLock now = null;
    if (!Thread.currentThread().isInterrupted()) { // a host channel would close on the interrupt
      try {
        now = channel.tryLock(position, size, shared);
      } catch (IOException e) {
        // the task's lock reports it
      }
    }
    if (now != null) {
      return completeNow(new Lock(this, now), null, attachment, handler);
    }
    return submit(() -> new Lock(this, channel.lock(position, size, shared)), attachment, handler);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    checkLock(shared);
    FileLock lock = channel.tryLock(position, size, shared);
    return lock == null ? null : new Lock(this, lock);
  }

  private void checkLock(boolean shared) {
    if (shared && !reading) {
      throw new NonReadableChannelException();
    }
    if (!shared && !writing) {
      throw new NonWritableChannelException();
    }
  }

  @Override
  public <A> void read(ByteBuffer dst, long position, A attachment,
      CompletionHandler<Integer, ? super A> handler) {
    if (handler == null) {
      throw new NullPointerException("'handler' is null");
    }
    read(dst, position, attachment, handler, true);
  }

  @Override
  public Future<Integer> read(ByteBuffer dst, long position) {
    return read(dst, position, null, null, false);
  }

  private <A> Future<Integer> read(ByteBuffer dst, long position, A attachment,
      CompletionHandler<Integer, ? super A> handler, boolean withHandler) {
    if (position < 0) {
      throw new IllegalArgumentException("Negative position");
    }
    if (!reading) {
      throw new NonReadableChannelException();
    }
    if (dst.isReadOnly()) {
      throw new IllegalArgumentException("Read-only buffer");
    }
    if (!isOpen() || !dst.hasRemaining()) {
      return completeNow(attachment, withHandler ? handler : null);
    }
    return submit(() -> channel.read(dst, position), attachment, handler);
  }

  @Override
  public <A> void write(ByteBuffer src, long position, A attachment,
      CompletionHandler<Integer, ? super A> handler) {
    if (handler == null) {
      throw new NullPointerException("'handler' is null");
    }
    write(src, position, attachment, handler, true);
  }

  @Override
  public Future<Integer> write(ByteBuffer src, long position) {
    return write(src, position, null, null, false);
  }

  private <A> Future<Integer> write(ByteBuffer src, long position, A attachment,
      CompletionHandler<Integer, ? super A> handler, boolean withHandler) {
    if (position < 0) {
      throw new IllegalArgumentException("Negative position");
    }
    if (!writing) {
      throw new NonWritableChannelException();
    }
    if (!isOpen() || !src.hasRemaining()) {
      return completeNow(attachment, withHandler ? handler : null);
    }
    return submit(() -> channel.write(src, position), attachment, handler);
  }

  /** Nothing to transfer, or closed: 0 or {@link ClosedChannelException}, without waiting. */
  private <A> Future<Integer> completeNow(A attachment,
      CompletionHandler<Integer, ? super A> handler) {
    return completeNow(0, isOpen() ? null : new ClosedChannelException(), attachment, handler);
  }

  /** {@code value}, or {@code failure} if not null, known now: no task waits for it. */
  private <V, A> Future<V> completeNow(V value, Throwable failure, A attachment,
      CompletionHandler<V, ? super A> handler) {
    if (handler == null) {
      return failure == null ? CompletableFuture.completedFuture(value)
          : CompletableFuture.failedFuture(failure);
    }
    executor.execute(() -> complete(handler, attachment, value, failure));
    return null;
  }

  /** An I/O call of the channel. */
  private interface Call<V> {
    V run() throws IOException;
  }

  /**
   * Runs {@code call} on the executor; its result goes to {@code handler}, or, without one, to
   * the future returned (else null). A failure once the channel is closed is {@link
   * AsynchronousCloseException}, as the JDK reports it.
   */
  private <V, A> Future<V> submit(Call<V> call, A attachment,
      CompletionHandler<V, ? super A> handler) {
    CompletableFuture<V> future = handler == null ? new CompletableFuture<>() : null;
    executor.execute(() -> {
      V value = null;
      Throwable failure = null;
      try {
        value = call.run();
      } catch (IOException | RuntimeException e) {
        failure = isOpen() ? e : new AsynchronousCloseException();
      }
      if (future != null) {
        if (failure == null) {
          future.complete(value);
        } else {
          future.completeExceptionally(failure);
        }
      } else {
        complete(handler, attachment, value, failure);
      }
    });
    return future;
  }

  private static <V, A> void complete(CompletionHandler<V, ? super A> handler, A attachment,
      V value, Throwable failure) {
    if (failure == null) {
      handler.completed(value, attachment);
    } else {
      handler.failed(failure, attachment);
    }
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close(); // and with it every lock taken through it
  }

  /** A lock of the underlying channel, as this channel's. */
  private static final class Lock extends FileLock {
    private final FileLock lock;

    Lock(LayerAsyncFileChannel channel, FileLock lock) {
      super(channel, lock.position(), lock.size(), lock.isShared());
      this.lock = lock;
    }

    @Override
    public boolean isValid() {
      return lock.isValid();
    }

    @Override
    public void release() throws IOException {
      lock.release();
    }
  }
}
