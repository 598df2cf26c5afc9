package io.layerfs.core.content;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Writes a file's written bytes back to the disk in the background ({@code fdatasync} on a
 * daemon thread) while its writer goes on writing, so that the writer's own fsync at the end
 * finds little left to write. Java has no {@code sync_file_range}; an fsync on another thread
 * of the same channel is the portable way to start writeback early. Up to {@value #THREADS}
 * threads, each started on first use and gone after 10 idle seconds, and no queue: a writer
 * never waits for the writeback of another file before its own fsync, and when all threads are
 * busy a writeback is skipped (the next one, or the writer's fsync, writes those bytes).
 */
final class Writeback {
  private static final int THREADS = 4;
  private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(0, THREADS, 10,
      TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
        Thread t = new Thread(r, "layerfs-writeback");
        t.setDaemon(true);
        return t;
      }); // all threads busy: the pool's default policy rejects, and start() skips it

  private Writeback() {}

  /** Starts writing back what {@code channel} holds so far; null when all threads are busy. */
  static Future<?> start(FileChannel channel) {
    try {
      return POOL.submit(() -> {
        channel.force(false);
        return null;
      });
    } catch (RejectedExecutionException e) {
      return null;
    }
  }

  /**
   * Waits for a writeback; throws the {@code IOException} it failed with, but not the one of a
   * channel closed meanwhile (a writer that gave up: its file is dropped).
   */
  static void await(Future<?> writeback) throws IOException {
    try {
      writeback.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for a writeback");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof java.nio.channels.ClosedChannelException) {
        return;
      }
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException(e.getCause());
    }
  }
}
