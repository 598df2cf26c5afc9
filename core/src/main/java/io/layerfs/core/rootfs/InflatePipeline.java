package io.layerfs.core.rootfs;

import io.layerfs.core.content.BlobWriter;
import io.layerfs.core.internal.TeeInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decompresses a layer blob on a second thread, so the first open of a layer takes about as long
 * as decompressing alone: {@link LayerStore}'s one pass split over two threads.
 *
 * <p>The producer (a pooled daemon thread) only decompresses into {@value #CHUNKS} buffers of
 * {@value #CHUNK} bytes that circulate between two bounded queues, so memory stays fixed whatever
 * the input (a decompression bomb only runs longer). The consumer, the caller's thread, reads
 * {@link #stream()}: each chunk is first written whole to the copy (the {@link BlobWriter}), then
 * served to the tar indexer. A producer's exception is rethrown by the consumer's next read;
 * {@link #close} stops the producer and waits for it, so the blob is closed when close returns.
 * {@link #submit} runs other work on the same pool ({@link SyncBehind}'s flushes, the index
 * write).
 */
final class InflatePipeline implements Closeable {
  // every hand-over can wake a parked thread, which costs the decompressor: with 256 KiB chunks
  // it ran about 5% slower than alone, with 2 MiB chunks as fast (IngestBenchmark)
  static final int CHUNK = 1 << 21;
  static final int CHUNKS = 4;

  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final ExecutorService POOL =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "layerfs-inflate-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  /** Opens the decompressed stream; runs in the producer thread. */
  interface Source {
    InputStream open() throws IOException;
  }

  /** Work for {@link #submit}. */
  interface Task<T> {
    T run() throws IOException;
  }

  /** A filled buffer, the end of the stream, or the producer's failure. */
  private record Chunk(byte[] data, int length, Throwable failure) {
    static final Chunk END = new Chunk(null, -1, null);
  }

  private final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(CHUNKS);
  private final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(CHUNKS + 1);
  private final OutputStream copy;
  private final InputStream stream = new ChunkStream();
  private volatile boolean closed;
  private final Object lock = new Object();
  // @GuardedBy("lock"): the producer's thread while it runs, and whether it has finished
  private Thread worker;
  private boolean workerDone;

  private InflatePipeline(Source source, OutputStream copy) {
    this.copy = copy;
    for (int i = 0; i < CHUNKS; i++) {
      free.add(new byte[CHUNK]);
    }
    POOL.execute(() -> produce(source));
  }

  /** Starts decompressing {@code source} into chunks that {@link #stream()} hands out. */
  static InflatePipeline start(Source source, OutputStream copy) {
    return new InflatePipeline(source, copy);
  }

  /** Runs {@code task} on the pool. */
  static <T> Future<T> submit(Task<T> task) {
    return POOL.submit(task::run);
  }

  /** The result of a {@link #submit}ted task, its exception rethrown as is. */
  static <T> T await(Future<T> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while inflating a layer");
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
  }

  /**
   * The decompressed bytes; every byte reaches the copy before the reader sees it, and at the
   * latest when the stream is read to its end. Closing it does nothing (see {@link
   * TeeInputStream}).
   */
  InputStream stream() {
    return stream;
  }

  private void produce(Source source) {
    synchronized (lock) {
      if (closed) {
        workerDone = true;
        lock.notifyAll();
        return;
      }
      worker = Thread.currentThread();
    }
    try {
      fill(source);
    } finally {
      synchronized (lock) {
        worker = null;
        workerDone = true;
        Thread.interrupted(); // an interrupt from close must not hit the pool's next task
        lock.notifyAll();
      }
    }
  }

  private void fill(Source source) {
    Chunk last = Chunk.END;
    try (InputStream in = source.open()) {
      while (!closed) {
        byte[] buffer = free.take();
        int n = in.readNBytes(buffer, 0, CHUNK);
        if (n > 0) {
          full.put(new Chunk(buffer, n, null));
        }
        if (n < CHUNK) {
          break;
        }
      }
    } catch (InterruptedException e) {
      return; // closed by the consumer: nobody reads on
    } catch (Throwable t) {
      last = new Chunk(null, -1, t);
    }
    try {
      full.put(last);
    } catch (InterruptedException e) {
      // closed by the consumer
    }
  }

  /** Stops the producer and waits for it to let go of the blob. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    boolean interrupted = false;
    synchronized (lock) {
      if (worker != null) {
        worker.interrupt();
      }
      while (!workerDone) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    full.clear();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static IOException rethrow(Throwable t) {
    if (t instanceof IOException io) {
      return io;
    }
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error err) {
      throw err;
    }
    return new IOException(t);
  }

  /** The consumer's side: serves the chunks in order, writing each to the copy when taken. */
  private final class ChunkStream extends InputStream {
    private byte[] current;
    private int position;
    private int limit;
    private boolean ended;

    /** Makes a chunk current; false at the end of the stream. */
    private boolean next() throws IOException {
      if (current != null && position < limit) {
        return true;
      }
      if (ended) {
        return false;
      }
      if (closed) {
        throw new IOException("inflate pipeline is closed");
      }
      if (current != null) {
        free.add(current);
        current = null;
      }
      Chunk chunk;
      try {
        chunk = full.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while inflating a layer");
      }
      if (chunk.data() == null) {
        ended = true;
        if (chunk.failure() != null) {
          throw rethrow(chunk.failure());
        }
        return false;
      }
      copy.write(chunk.data(), 0, chunk.length());
      current = chunk.data();
      position = 0;
      limit = chunk.length();
      return true;
    }

    @Override
    public int read() throws IOException {
      return next() ? current[position++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (!next()) {
        return -1;
      }
      int n = Math.min(len, limit - position);
      System.arraycopy(current, position, b, off, n);
      position += n;
      return n;
    }

    /** Skipped bytes were copied when their chunk was taken: skipping only moves on. */
    @Override
    public long skip(long n) throws IOException {
      long skipped = 0;
      while (skipped < n && next()) {
        int k = (int) Math.min(n - skipped, limit - position);
        position += k;
        skipped += k;
      }
      return skipped;
    }

    @Override
    public int available() {
      return current == null ? 0 : limit - position;
    }

    @Override
    public void close() {}
  }

}
