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
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What keeps a container that is open read-only from being removed under its readers: every
 * read-only open holds a shared OS file lock on {@code NAME/readers}, which a removal must take
 * exclusively (under the writer's lock) until the folder is renamed away. Writers do not take it,
 * so readers and the one writer still open side by side. Within the JVM one channel per file
 * carries one lock for all its readers, counted: closing a second channel on the file would drop
 * the process's lock (POSIX locks belong to the process).
 */
public final class ContainerReaders {
  private static final String FILE = "readers";
  // @GuardedBy("SHARES"): by the folder's real path; readers == 0 marks a removal's exclusion
  private static final Map<Path, Share> SHARES = new HashMap<>();

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
    synchronized (SHARES) {
      Share share = SHARES.get(key);
      if (share != null) {
        if (share.readers == 0) {
          throw gone(name, dir, "it is being removed");
        }
        share.readers++;
        return new Held(key);
      }
      try (DirectoryStream<Path> folder = Files.newDirectoryStream(dir)) {
        FileChannel channel;
        try {
          channel = open(folder, file(dir));
        } catch (IOException e) {
          return new Held(null);
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
          SHARES.put(key, new Share(channel, 1));
          return new Held(key);
        } catch (IOException | RuntimeException e) {
          channel.close();
          throw e;
        }
      } catch (NoSuchFileException e) {
        throw gone(name, dir, "its folder is gone");
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
    synchronized (SHARES) {
      if (SHARES.containsKey(key)) {
        throw new IOException("container " + name + " is open read-only in this process: close "
            + "that file system or view first");
      }
      FileChannel channel;
      try {
        channel = FileChannel.open(file(dir), StandardOpenOption.CREATE,
            StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (IOException e) {
        return new Held(null);
      }
      try {
        if (tryLock(channel, false) == null) {
          throw new IOException("container " + name + " is open read-only by another process "
              + "(a program's file system, or layerfs cat, ls, diff, cp or export): close it "
              + "there first");
        }
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      SHARES.put(key, new Share(channel, 0));
      return new Held(key);
    }
  }

  private static void leave(Path key) throws IOException {
    synchronized (SHARES) {
      Share share = SHARES.get(key);
      if (share == null) {
        return;
      }
      if (share.readers > 1) {
        share.readers--;
        return;
      }
      SHARES.remove(key);
      share.channel.close(); // releases the lock
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

  private static FileChannel open(DirectoryStream<Path> folder, Path file) throws IOException {
    Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    if (folder instanceof SecureDirectoryStream<Path> secure
        && secure.newByteChannel(file.getFileName(), options) instanceof FileChannel channel) {
      return channel; // openat(2) in the folder held open, whose identity is checked after
    }
    return FileChannel.open(file, options);
  }

  private static FileLock tryLock(FileChannel channel, boolean shared) throws IOException {
    try {
      return channel.tryLock(0, Long.MAX_VALUE, shared);
    } catch (OverlappingFileLockException e) {
      return null; // this JVM holds the file through a path the key did not resolve to
    }
  }

  private static IOException gone(String name, Path dir, String why) {
    return new IOException("container " + name + " was removed as it was being opened: " + why,
        new NoSuchFileException(dir.toString(), null, why));
  }

  /**
   * A reader's share or a removal's exclusion, until closed (once); none when {@code key} is
   * null. A class, not a lambda: a fresh JVM spins one for a lambda's first use.
   */
  private static final class Held implements Closeable {
    private Path key;

    Held(Path key) {
      this.key = key;
    }

    @Override
    public synchronized void close() throws IOException {
      if (key != null) {
        Path left = key;
        key = null;
        leave(left);
      }
    }
  }

  /** One JVM's lock on a readers file: its readers, or 0 for a removal's exclusive lock. */
  private static final class Share {
    final FileChannel channel;
    int readers;

    Share(FileChannel channel, int readers) {
      this.channel = channel;
      this.readers = readers;
    }
  }
}
