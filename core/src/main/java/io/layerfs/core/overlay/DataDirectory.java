package io.layerfs.core.overlay;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.LinkOption;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.util.Set;

/**
 * A container's data directory ({@code data/ID} per file), held open so that data files are
 * opened and deleted relative to it ({@code openat}, {@code unlinkat} through a {@link
 * SecureDirectoryStream}): the kernel then looks up one name instead of walking the store's
 * whole path for every file created, which is a good part of what creating a small file costs.
 * Where the platform offers no secure directory stream, or it does not hand out file channels,
 * files are opened by path.
 *
 * <p>Thread-safe (the JDK's stream locks itself; paths need no lock).
 */
final class DataDirectory implements Closeable {
  private final Path dir;
  private final SecureDirectoryStream<Path> open;

  private DataDirectory(Path dir, SecureDirectoryStream<Path> open) {
    this.dir = dir;
    this.open = open;
  }

  /** Opens {@code dir}, which must exist. */
  static DataDirectory open(Path dir) throws IOException {
    DirectoryStream<Path> s = Files.newDirectoryStream(dir);
    if (s instanceof SecureDirectoryStream<Path> secure) {
      return new DataDirectory(dir, secure);
    }
    s.close();
    return new DataDirectory(dir, null);
  }

  /** The data file of {@code id}. */
  Path path(long id) {
    return dir.resolve(Long.toString(id));
  }

  /** Opens the data file of {@code id} with {@code options}, as {@code FileChannel.open} does. */
  FileChannel channel(long id, Set<? extends OpenOption> options) throws IOException {
    if (open != null) {
      SeekableByteChannel c = open.newByteChannel(name(id), options);
      if (c instanceof FileChannel f) {
        return f;
      }
      c.close();
    }
    return FileChannel.open(path(id), options);
  }

  /** Whether the data file of {@code id} exists (one relative {@code stat}). */
  boolean exists(long id) throws IOException {
    if (open == null) {
      return Files.exists(path(id), LinkOption.NOFOLLOW_LINKS);
    }
    try {
      open.getFileAttributeView(name(id), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .readAttributes();
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /** Deletes the data file of {@code id} if it exists. */
  void delete(long id) throws IOException {
    if (open == null) {
      Files.deleteIfExists(path(id));
      return;
    }
    try {
      open.deleteFile(name(id));
    } catch (NoSuchFileException e) {
      // never written
    }
  }

  /** Renames the data file of {@code from} to that of {@code to}, replacing nothing. */
  void rename(long from, long to) throws IOException {
    if (open == null) {
      Files.move(path(from), path(to), StandardCopyOption.ATOMIC_MOVE);
      return;
    }
    open.move(name(from), open, name(to));
  }

  private Path name(long id) {
    return dir.getFileSystem().getPath(Long.toString(id));
  }

  @Override
  public void close() throws IOException {
    if (open != null) {
      open.close();
    }
  }
}
