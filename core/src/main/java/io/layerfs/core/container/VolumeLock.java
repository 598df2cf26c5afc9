package io.layerfs.core.container;

import io.layerfs.core.content.ContentStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Orders removing a volume against a container starting to use it, across threads and processes:
 * {@code volume rm} and {@code prune} hold it from reading which containers use a volume until
 * the volume is renamed away; a container holds it while it mounts its volumes, its record (which
 * names them) already written. Either the removal sees the new container and refuses, or it
 * finishes first and the container gets a new, empty volume; never a container writing into a
 * volume being deleted. A {@link java.nio.channels.FileLock} on {@code
 * <store>/layerfs/volumes.lock} between processes, a {@link ReentrantLock} within the JVM (one
 * JVM's two file locks on one file would overlap).
 */
public final class VolumeLock implements AutoCloseable {
  private static final String LOCK_FILE = "volumes.lock";
  private static final ConcurrentMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

  private final ReentrantLock local;
  private final FileChannel channel;

  private VolumeLock(ReentrantLock local, FileChannel channel) {
    this.local = local;
    this.channel = channel;
  }

  /** The file whose OS lock is the store's volume lock (made on first use). */
  public static Path file(ContentStore store) throws IOException {
    return store.stateDir().resolve(LOCK_FILE);
  }

  /** Waits for the store's volume lock and holds it until {@link #close}. */
  public static VolumeLock acquire(ContentStore store) throws IOException {
    Path file = file(store);
    Files.createDirectories(file.getParent());
    Path key = file.getParent().toRealPath().resolve(LOCK_FILE);
    ReentrantLock local = IN_JVM.get(key); // not computeIfAbsent: a lambda is spun on first use
    if (local == null) {
      ReentrantLock made = new ReentrantLock();
      local = IN_JVM.putIfAbsent(key, made);
      local = local == null ? made : local;
    }
    local.lock();
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      channel.lock();
      return new VolumeLock(local, channel);
    } catch (IOException | RuntimeException e) {
      if (channel != null) {
        channel.close();
      }
      local.unlock();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      channel.close(); // releases the file lock
    } finally {
      local.unlock();
    }
  }
}
