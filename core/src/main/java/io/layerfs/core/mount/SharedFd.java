package io.layerfs.core.mount;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A file descriptor of our own that is closed once nobody uses it: a call takes it with {@link
 * #acquire} and gives it back with {@link #release}, and {@link #close} closes it at once when
 * no call holds it, else when the last one gives it back. So a close racing a read never lets
 * the read reach another file that the kernel gave the number to meanwhile. A descriptor with an
 * owner is also closed once the owner is unreachable, as the JDK's channels are.
 *
 * <p>Thread safety: any number of threads; lock-free.
 */
final class SharedFd {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final int CLOSED = Integer.MIN_VALUE;

  /** The users, with the sign bit set once closed. */
  private final AtomicInteger state = new AtomicInteger();
  private final int fd;
  private final Cleaner.Cleanable closer;

  /** Takes {@code fd}; {@code owner}, when not null, closes it when unreachable. */
  SharedFd(int fd, Object owner) {
    this.fd = fd;
    Runnable close = () -> LinuxCalls.close(fd);
    this.closer = owner != null ? CLEANER.register(owner, close) : new Once(close);
  }

  /** The descriptor, held until {@link #release}; or -1 once closed. */
  int acquire() {
    while (true) {
      int s = state.get();
      if (s < 0) {
        return -1;
      }
      if (state.compareAndSet(s, s + 1)) {
        return fd;
      }
    }
  }

  void release() {
    if (state.decrementAndGet() == CLOSED) {
      closer.clean();
    }
  }

  boolean isOpen() {
    return state.get() >= 0;
  }

  /** Closes the descriptor now, or when the last holder releases it; again, nothing. */
  void close() {
    while (true) {
      int s = state.get();
      if (s < 0) {
        return;
      }
      if (state.compareAndSet(s, s | CLOSED)) {
        if (s == 0) {
          closer.clean();
        }
        return;
      }
    }
  }

  /** A close without a cleaner: run once. */
  private static final class Once implements Cleaner.Cleanable {
    private final Runnable action;
    private final AtomicInteger runs = new AtomicInteger();

    Once(Runnable action) {
      this.action = action;
    }

    @Override
    public void clean() {
      if (runs.getAndIncrement() == 0) {
        action.run();
      }
    }
  }
}
