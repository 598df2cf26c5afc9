package io.layerfs.core.content;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The shared/exclusive gate between ingest leases ({@link ContentStore#lease()}) and the garbage
 * collector ({@code GarbageCollector}), one per layout directory: a {@link FileLock} on {@code
 * <store>/layerfs/gc.lock} across processes (shared while this JVM holds any lease, exclusive
 * while it collects) and a counting monitor within the JVM. The package documentation says why
 * a monitor and not a read-write lock: a lease waits only for a running collection, never for a
 * waiting one.
 *
 * <p>Lock order: the gate's monitor, then the file lock. A lease may block inside the monitor on
 * the shared file lock while another process collects; that wait is as long as that collection.
 */
public final class LeaseGate {
  static final String LOCK_FILE = "gc.lock";
  // by the store's root as given and by its real path, both to the same gate
  private static final ConcurrentMap<Path, LeaseGate> GATES = new ConcurrentHashMap<>();
  // polling interval for another process's shared locks (FileChannel has no timed lock)
  private static final long POLL_MILLIS = 20;

  /** The store's root, as given. */
  private final Path root;
  /** The store's {@code layerfs/} folder, where the lock file lives. */
  private final Path stateDir;

  // @GuardedBy("this")
  private int leases;
  // @GuardedBy("this")
  private final Map<Thread, Integer> holders = new HashMap<>();
  // @GuardedBy("this")
  private boolean collecting;
  // @GuardedBy("this"): open while leases > 0 (shared lock) or collecting (exclusive lock)
  private FileChannel channel;

  private LeaseGate(Path root, Path stateDir) {
    this.root = root;
    this.stateDir = stateDir;
  }

  /**
   * The gate of the store in {@code root} (its lock file in {@code stateDir}). Keyed by real
   * path: one JVM must have one gate per lock file, or its two file locks would overlap.
   */
  public static LeaseGate of(Path root, Path stateDir) throws IOException {
    LeaseGate gate = GATES.get(root);
    if (gate == null) {
      // no lambdas: a view's open takes a lease, and a fresh JVM spins a class for each one
      LeaseGate fresh = new LeaseGate(root, stateDir);
      LeaseGate known = GATES.putIfAbsent(root.toRealPath(), fresh);
      gate = known != null ? known : fresh;
      GATES.putIfAbsent(root, gate);
    }
    return gate;
  }

  /** Takes a lease: waits while a collection runs in this JVM or (file lock) in another one. */
  synchronized Lease acquire() throws IOException {
    try {
      while (collecting) {
        wait();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for gc of store " + root);
    }
    if (leases == 0) {
      FileChannel ch = openLockFile();
      try {
        ch.lock(0, Long.MAX_VALUE, true);
      } catch (IOException | RuntimeException e) {
        closeQuietly(ch, e);
        throw e;
      }
      channel = ch;
    }
    leases++;
    Thread owner = Thread.currentThread();
    holders.put(owner, holders.getOrDefault(owner, 0) + 1);
    return new Lease(this, owner);
  }

  /** Ends one lease taken by {@code owner}; the last one releases the shared file lock. */
  synchronized void release(Thread owner) throws IOException {
    Integer held = holders.get(owner);
    if (held != null && held > 1) {
      holders.put(owner, held - 1);
    } else {
      holders.remove(owner);
    }
    if (--leases == 0) {
      FileChannel ch = channel;
      channel = null;
      notifyAll();
      ch.close(); // releases the lock
    }
  }

  /**
   * Runs {@code body} while no lease is held anywhere and no other collection runs.
   *
   * @throws IllegalStateException if the calling thread holds a lease (it would wait for itself)
   * @throws IOException naming the store and who holds leases if they are not all released
   *     within {@code timeout}
   */
  public <T> T exclusive(Duration timeout, IoSupplier<T> body) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    FileChannel ch = enter(deadline, timeout);
    try {
      return body.get();
    } finally {
      synchronized (this) {
        try {
          // closed before a waiting lease may run: its shared lock would overlap this one
          ch.close();
        } finally {
          collecting = false;
          channel = null;
          notifyAll();
        }
      }
    }
  }

  /** A body that may throw IOException. */
  public interface IoSupplier<T> {
    T get() throws IOException;
  }

  private synchronized FileChannel enter(long deadline, Duration timeout) throws IOException {
    if (holders.containsKey(Thread.currentThread())) {
      throw new IllegalStateException(
          "gc of store " + root + " called by a thread that holds an ingest lease");
    }
    try {
      while (collecting || leases > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw timedOut(
              timeout,
              collecting
                  ? "another gc in this process"
                  : leases + " ingest lease(s) held in this process (imports or commits running)");
        }
        wait(Math.max(1, left / 1_000_000));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for ingest leases of " + root);
    }
    FileChannel ch = openLockFile();
    try {
      while (ch.tryLock(0, Long.MAX_VALUE, false) == null) {
        if (System.nanoTime() - deadline >= 0) {
          throw timedOut(
              timeout,
              "ingest leases or a gc held by another process (imports or commits running)");
        }
        wait(POLL_MILLIS); // releases the monitor: leases of this JVM may come and go meanwhile
        if (leases > 0 || collecting) {
          // a lease of this JVM got in while we polled: it holds the shared lock now
          ch.close();
          return enter(deadline, timeout);
        }
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch, e);
      throw e;
    } catch (InterruptedException e) {
      closeQuietly(ch, null);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for ingest leases of " + root);
    }
    collecting = true;
    channel = ch;
    return ch;
  }

  private IOException timedOut(Duration timeout, String who) {
    return new IOException(
        "gc of store "
            + root
            + ": gave up after "
            + timeout.toMillis()
            + " ms waiting for "
            + who
            + "; run it again when they have finished");
  }

  private FileChannel openLockFile() throws IOException {
    Path file = stateDir.resolve(LOCK_FILE);
    try {
      return FileChannel.open(
          file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      // a directory in its place, say: the message alone would not say what the file is for
      throw new IOException(
          "store "
              + root
              + ": its gc lock file "
              + file
              + " does not open ("
              + e.getMessage()
              + "), so no gc, repair, import or commit can run; fsck reports it",
          e);
    }
  }

  private static void closeQuietly(FileChannel ch, Exception primary) {
    try {
      ch.close();
    } catch (IOException e) {
      if (primary != null) {
        primary.addSuppressed(e);
      }
    }
  }
}
