package io.layerfs.core.container;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one-writer lock of a container: an OS file lock on {@code NAME/lock}, which excludes other
 * processes, plus a registry of the containers this JVM holds. The registry is checked first, so a
 * second writer in this JVM never opens (and, closing it, releases: POSIX locks belong to the
 * process) a channel on a lock file the JVM holds.
 */
public final class ContainerLock implements Closeable {
  private static final String FILE = "lock";
  private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

  private final Path file;
  private final FileChannel channel;
  private final FileLock lock;

  private ContainerLock(Path file, FileChannel channel, FileLock lock) {
    this.file = file;
    this.channel = channel;
    this.lock = lock;
  }

  /** The lock file of the container in {@code dir} (made on first use). */
  public static Path file(Path dir) {
    return dir.resolve(FILE);
  }

  /** Takes the lock of the container in {@code dir}, or fails with a message naming it. */
  public static ContainerLock acquire(Path dir, String name) throws IOException {
    Path file = file(dir).toAbsolutePath().normalize();
    if (!HELD.add(file)) {
      throw heldHere(name);
    }
    FileChannel channel = null;
    try {
      try {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      } catch (IOException e) {
        // a directory in its place, say: the message alone would not say what the file is for
        throw new IOException("container " + name + " cannot be opened for writing: its lock "
            + "file " + file + " does not open (" + e.getMessage() + ")", e);
      }
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        throw heldHere(name); // this JVM holds it, through another path to the store
      }
      if (lock == null) {
        throw busy(name);
      }
      return new ContainerLock(file, channel, lock);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      HELD.remove(file);
      throw e;
    }
  }

  private static IOException heldHere(String name) {
    return new IOException("container " + name + " is already open for writing in this "
        + "process: close that open first (read-only opens work meanwhile)");
  }

  private static IOException busy(String name) {
    return new IOException("container " + name + " is open for writing by another process: "
        + "close it there first (read-only opens, such as layerfs cat, ls, diff and export, "
        + "work meanwhile)");
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
      channel.close();
    } finally {
      HELD.remove(file);
    }
  }
}
