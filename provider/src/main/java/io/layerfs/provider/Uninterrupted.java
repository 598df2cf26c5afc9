package io.layerfs.provider;

import java.io.IOException;

/**
 * Runs a call into the core with the thread's interrupt status cleared, and sets it again after.
 * The core reads through shared {@link java.nio.channels.FileChannel}s that an interrupt would
 * close for every reader, and the operations of the default provider that are not interruptible
 * on Linux (open, stat, rename, stream reads and writes) must complete here too, leaving the
 * interrupt for the caller to see.
 */
final class Uninterrupted {
  private Uninterrupted() {}

  /** A call into the core. */
  interface Call<T> {
    T call() throws IOException;
  }

  static <T> T call(Call<T> call) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      return call.call();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
