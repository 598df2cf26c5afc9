package io.layerfs.core.store;

import io.layerfs.core.Digest;
import io.layerfs.core.lazy.LazyLayers;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The completion of a lazily read image on one daemon thread, as containerd's
 * stargz-snapshotter fetches a lazy layer's remaining bytes in the background: the layers are
 * completed one after the other in steps that reads interleave with, each blob verified against
 * its digest before it is stored ({@link Store#completeLazyInBackground}). {@link #close} stops
 * it between two steps and waits for the thread to end; what was fetched stays under {@code
 * layerfs/lazy/} for a later completion, and nothing unverified reaches {@code blobs/}.
 *
 * <p>Thread-safe.
 */
public final class BackgroundFetch implements AutoCloseable {
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final Thread thread;
  private final Consumer<BackgroundFetch> onEnd;
  private volatile boolean stopped;

  private BackgroundFetch(LazyLayers lazy, List<Digest> layers, String image,
      Consumer<BackgroundFetch> onEnd) {
    this.onEnd = onEnd;
    this.thread = new Thread(() -> run(lazy, layers, image),
        "layerfs-lazy-fetch-" + THREADS.incrementAndGet());
    thread.setDaemon(true);
  }

  static BackgroundFetch start(LazyLayers lazy, List<Digest> layers, String image,
      Consumer<BackgroundFetch> onEnd) {
    BackgroundFetch fetch = new BackgroundFetch(lazy, layers, image, onEnd);
    fetch.thread.start();
    return fetch;
  }

  private void run(LazyLayers lazy, List<Digest> layers, String image) {
    try {
      for (Digest layer : layers) {
        if (!lazy.complete(layer, () -> stopped)) {
          done.cancel(false);
          return;
        }
      }
      done.complete(null);
    } catch (IOException | RuntimeException e) {
      done.completeExceptionally(stopped ? new InterruptedIOException("background fetch of "
          + image + " stopped") : new IOException("background fetch of image " + image
          + ": " + e.getMessage(), e));
    } finally {
      onEnd.accept(this);
    }
  }

  /**
   * Completes normally once every layer is stored, exceptionally with an {@link IOException}
   * saying why when a fetch or a check failed (reads then go on fetching as they need), and is
   * cancelled when {@link #close} stopped it first.
   */
  public CompletableFuture<Void> done() {
    return done;
  }

  /**
   * Stops the fetch between two steps (a step fetches at most a few MiB) and waits until its
   * thread has ended; nothing happens when it has ended already.
   *
   * @throws InterruptedIOException when this thread is interrupted while it waits
   */
  @Override
  public void close() throws InterruptedIOException {
    stopped = true;
    if (Thread.currentThread() == thread) {
      return;
    }
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the background fetch to stop");
    }
  }
}
