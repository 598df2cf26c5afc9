package io.layerfs.core.container;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
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

  /**
   * Takes the lock of the container in {@code dir}, or fails with a message naming it. A folder
   * renamed away meanwhile (another process removing the container) fails with an {@code
   * IOException} whose cause is a {@link NoSuchFileException}, even where a new container of the
   * name is there by the time the lock is held: that one's lock is not this.
   */
  public static ContainerLock acquire(Path dir, String name) throws IOException {
    return acquire(dir, name, () -> {});
  }

  /** As above, {@code afterLocking} run once the lock is held, before the folder is checked. */
  static ContainerLock acquire(Path dir, String name, Runnable afterLocking) throws IOException {
    Path file = file(dir).toAbsolutePath().normalize();
    if (!HELD.add(file)) {
      throw heldHere(name);
    }
    FileChannel channel = null;
    // the lock file is opened in the folder held open, whose identity is then compared with
    // what the name leads to once the lock is held
    try (DirectoryStream<Path> folder = openFolder(dir, name)) {
      try {
        channel = openIn(folder, file, Set.of(StandardOpenOption.CREATE,
            StandardOpenOption.WRITE));
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
      afterLocking.run();
      if (folder instanceof SecureDirectoryStream<Path> secure && !stillAt(secure, dir)) {
        throw gone(name, dir, "its folder was renamed away", null);
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

  private static DirectoryStream<Path> openFolder(Path dir, String name) throws IOException {
    try {
      return Files.newDirectoryStream(dir);
    } catch (NoSuchFileException e) {
      throw gone(name, dir, "its folder " + dir + " is gone", e);
    }
  }

  /**
   * Opens {@code file} of the folder {@code folder} holds open: through the held folder
   * ({@code openat(2)}, Linux's), whose identity the caller checks after, where the JDK can.
   */
  static FileChannel openIn(DirectoryStream<Path> folder, Path file,
      Set<StandardOpenOption> options) throws IOException {
    if (folder instanceof SecureDirectoryStream<Path> secure
        && secure.newByteChannel(file.getFileName(), options) instanceof FileChannel channel) {
      return channel;
    }
    return FileChannel.open(file, options);
  }

  /** Whether the folder {@code secure} holds open is still the one at {@code dir}. */
  static boolean stillAt(SecureDirectoryStream<Path> secure, Path dir)
      throws IOException {
    Object held = secure.getFileAttributeView(BasicFileAttributeView.class).readAttributes()
        .fileKey();
    try {
      return held != null && held.equals(
          Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
              .fileKey());
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * The error of an open that found the container removed, saying {@code why}; its cause is a
   * {@link NoSuchFileException} ({@code causeOrNull}, or one made of {@code why}), which callers
   * tell such a race by.
   */
  static IOException gone(String name, Path dir, String why, NoSuchFileException causeOrNull) {
    return new IOException("container " + name + " was removed as it was being opened: " + why,
        causeOrNull != null ? causeOrNull : new NoSuchFileException(dir.toString(), null, why));
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
