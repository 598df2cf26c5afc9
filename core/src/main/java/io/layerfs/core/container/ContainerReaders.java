package io.layerfs.core.container;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What keeps a container that is open read-only from being removed under its readers: every
 * read-only open holds a shared OS file lock on {@code NAME/readers}, which a removal must take
 * exclusively (under the writer's lock) until the folder is renamed away. Writers do not take it,
 * so readers and the one writer still open side by side. Within the JVM one channel per file
 * carries one lock for all its readers, counted: closing a second channel on the file would drop
 * the process's lock (POSIX locks belong to the process). Each file's share has a monitor of
 * its own, held across the file calls that open it, so opens of different containers do not
 * wait for each other.
 */
public final class ContainerReaders {
  private static final String FILE = "readers";
  private static final Set<StandardOpenOption> OPTIONS = Set.of(StandardOpenOption.CREATE,
      StandardOpenOption.READ, StandardOpenOption.WRITE);
  /** By the folder's real path; a share leaves the map when its lock is given up. */
  private static final ConcurrentMap<Path, Share> SHARES = new ConcurrentHashMap<>();

  private ContainerReaders() {}

  /** The lock file of the readers of the container in {@code dir} (made on first use). */
  public static Path file(Path dir) {
    return dir.resolve(FILE);
  }

  /**
   * Joins the readers of the container in {@code dir} until the result is closed. A container
   * being removed (by this process or another) or renamed away since the look fails with an
   * {@code IOException} whose cause is a {@link NoSuchFileException}. Where the lock file cannot
   * be made or opened (a store this process may not write, say), nothing is held: a removal
   * cannot take it either.
   */
  public static Closeable join(Path dir, String name) throws IOException {
    Path key = key(dir, name);
    while (true) {
      Share share = SHARES.computeIfAbsent(key, k -> new Share());
      synchronized (share) {
        if (share.left) {
          continue; // given up meanwhile: a new share for the key
        }
        if (share.channel != null) {
          if (share.readers == 0) {
            throw gone(name, dir, "it is being removed");
          }
          share.readers++;
          return new Held(key, share);
        }
        try (DirectoryStream<Path> folder = Files.newDirectoryStream(dir)) {
          FileChannel channel;
          try {
            channel = ContainerLock.openIn(folder, file(dir), OPTIONS);
          } catch (IOException e) {
            share.leave(key);
            return new Held(null, null);
          }
          try {
            FileLock lock = tryLock(channel, true);
            if (lock == null) {
              throw gone(name, dir, "it is being removed"); // by another process
            }
            if (folder instanceof SecureDirectoryStream<Path> secure
                && !ContainerLock.stillAt(secure, dir)) {
              throw gone(name, dir, "its folder was renamed away");
            }
          } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
          }
          share.channel = channel;
          share.readers = 1;
          return new Held(key, share);
        } catch (NoSuchFileException e) {
          share.leave(key);
          throw gone(name, dir, "its folder is gone");
        } catch (IOException | RuntimeException e) {
          share.leave(key);
          throw e;
        }
      }
    }
  }

  /**
   * Keeps readers of the container in {@code dir} out until the result is closed, for its
   * removal (which holds the writer's lock and renames the folder away meanwhile). Where the
   * lock file does not open (a full disk, say, where it was never made), no reader holds it
   * either, and nothing is kept out: a removal that frees space must not need any.
   *
   * @throws IOException naming the container when it is open read-only here or elsewhere
   */
  public static Closeable exclude(Path dir, String name) throws IOException {
    Path key = key(dir, name);
    while (true) {
      Share share = SHARES.computeIfAbsent(key, k -> new Share());
      synchronized (share) {
        if (share.left) {
          continue;
        }
        if (share.channel != null) {
          throw new IOException("container " + name + " is open read-only in this process: "
              + "close that file system or view first");
        }
        FileChannel channel;
        try {
          channel = FileChannel.open(file(dir), OPTIONS);
        } catch (IOException e) {
          share.leave(key);
          return new Held(null, null);
        }
        try {
          if (tryLock(channel, false) == null) {
            throw new IOException("container " + name + " is open read-only by another "
                + "process (a program's file system, or layerfs cat, ls, diff, cp or export): "
                + "close it there first");
          }
        } catch (IOException | RuntimeException e) {
          channel.close();
          share.leave(key);
          throw e;
        }
        share.channel = channel;
        share.readers = 0;
        return new Held(key, share);
      }
    }
  }

  /** The folder's real path: two paths to one store share one channel. */
  private static Path key(Path dir, String name) throws IOException {
    try {
      return dir.toRealPath().resolve(FILE);
    } catch (NoSuchFileException e) {
      throw gone(name, dir, "its folder is gone");
    }
  }

  private static FileLock tryLock(FileChannel channel, boolean shared) throws IOException {
    try {
      return channel.tryLock(0, Long.MAX_VALUE, shared);
    } catch (OverlappingFileLockException e) {
      return null; // this JVM holds the file through a path the key did not resolve to
    }
  }

  private static IOException gone(String name, Path dir, String why) {
    return ContainerLock.gone(name, dir, why, null);
  }

  /**
   * A reader's share or a removal's exclusion, until closed (once); none when {@code share} is
   * null. A class, not a lambda: a fresh JVM spins one for a lambda's first use.
   */
  private static final class Held implements Closeable {
    private final Path key;
    private Share share;

    Held(Path key, Share share) {
      this.key = key;
      this.share = share;
    }

    @Override
    public synchronized void close() throws IOException {
      if (share != null) {
        Share s = share;
        share = null;
        s.drop(key);
      }
    }
  }

  /**
   * One JVM's lock on a readers file, once {@code channel} is set: its readers, or 0 for a
   * removal's exclusive lock. Its monitor guards it.
   */
  private static final class Share {
    FileChannel channel;
    int readers;
    /** Out of the map: a caller that finds it so makes a new one. */
    boolean left;

    /** Takes this share out of the map (under its monitor). */
    void leave(Path key) {
      left = true;
      SHARES.remove(key, this);
    }

    synchronized void drop(Path key) throws IOException {
      if (readers > 1) {
        readers--;
        return;
      }
      leave(key);
      channel.close(); // releases the lock
    }
  }
}
