package io.layerfs.core.transfer;

import io.layerfs.core.Digest;
import io.layerfs.core.Progress;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.FileTrees;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes an image archive (OCI archive or docker-archive) reproducibly and all-or-nothing.
 *
 * <p>Reproducible: entries come in the order the caller adds them, every header has mtime 0
 * (the epoch), uid/gid 0, empty owner names and a fixed mode (files 0644, directories 0755, links
 * 0777), and the tar is POSIX (PAX for long names), so the same image gives the same bytes.
 *
 * <p>All-or-nothing: the tar is written to a temp file beside the destination (same directory,
 * so the rename cannot cross file systems), fsynced and renamed over the destination by {@link
 * #commit}. {@link #close} without a commit deletes the temp file, so a failure leaves neither a
 * half archive nor a damaged old one. A destination reached through a symbolic link is the file
 * the link names (the link stays); one that exists but is no regular file (a device, a fifo) is
 * refused, since the rename would replace it.
 *
 * <p>Not thread-safe.
 */
final class ArchiveWriter implements AutoCloseable {
  private static final int BUFFER = 1 << 16;
  private static final int FILE_MODE = 0100644;
  private static final int DIR_MODE = 040755;
  private static final int LINK_MODE = 0120777;

  private final Path destination;
  private final Path temp;
  private final FileChannel channel;
  private final TarArchiveOutputStream tar;
  private boolean done;

  ArchiveWriter(Path destination) throws IOException {
    if (Files.isDirectory(destination)) {
      // the rename at the end would fail naming the temp file, which the user never gave
      throw new IOException(destination + " is a directory; an archive is written to a file");
    }
    if (Files.exists(destination) && !Files.isRegularFile(destination)) {
      // the rename would replace a device, a fifo or /dev/stdout's link with a regular file
      throw new IOException(destination + " is not a regular file; an archive is written to a "
          + "temp file beside its destination and renamed over it");
    }
    // through a link, the file it names is replaced and the link stays
    this.destination = (Files.isSymbolicLink(destination) ? destination.toRealPath()
        : destination.toAbsolutePath()).normalize();
    Path parent = this.destination.getParent();
    Files.createDirectories(parent);
    this.temp =
        parent.resolve("." + this.destination.getFileName() + "-" + UUID.randomUUID() + ".tmp");
    this.channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER);
    this.tar = new TarArchiveOutputStream(out, TarConstants.DEFAULT_RCDSIZE, "UTF-8");
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
  }

  /** Adds a directory entry; {@code name} ends with {@code /}. */
  void directory(String name) throws IOException {
    TarArchiveEntry entry = entry(name, TarConstants.LF_DIR, DIR_MODE);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  /** Adds a regular file holding {@code data}. */
  void file(String name, byte[] data) throws IOException {
    TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL, FILE_MODE);
    entry.setSize(data.length);
    tar.putArchiveEntry(entry);
    tar.write(data);
    tar.closeArchiveEntry();
  }

  /**
   * Adds a regular file copied from {@code source}, which must be {@code size} bytes long; the
   * bytes are hashed on the way and must match {@code expected}.
   *
   * @throws IOException naming the source, the expected and the actual digest on a mismatch
   */
  void file(String name, Path source, long size, Digest expected, Progress progress)
      throws IOException {
    TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL, FILE_MODE);
    entry.setSize(size);
    tar.putArchiveEntry(entry);
    MessageDigest hasher = expected.newMessageDigest();
    byte[] buffer = new byte[BUFFER];
    long copied = 0;
    try (InputStream in = Files.newInputStream(source)) {
      int n;
      while (copied < size && (n = in.read(buffer, 0, (int) Math.min(buffer.length, size - copied)))
          > 0) {
        hasher.update(buffer, 0, n);
        tar.write(buffer, 0, n);
        copied += n;
        progress.advance(n);
      }
      if (copied != size || in.read() >= 0) {
        throw new IOException(
            source + " changed size while archiving it: expected " + size + " bytes");
      }
    }
    Digest actual = Digest.of(expected.algorithm(), hasher.digest());
    if (!actual.equals(expected)) {
      throw new IOException(
          "corrupt blob " + source + ": expected " + expected + ", actual " + actual);
    }
    tar.closeArchiveEntry();
  }

  /** Adds a symbolic link {@code name} pointing at {@code target}. */
  void symlink(String name, String target) throws IOException {
    TarArchiveEntry entry = entry(name, TarConstants.LF_SYMLINK, LINK_MODE);
    entry.setLinkName(target);
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  /** Finishes the tar, makes it durable and renames it to the destination. */
  void commit() throws IOException {
    if (done) {
      throw new IOException("archive " + destination + " is already finished");
    }
    try {
      tar.finish();
      tar.flush();
      channel.force(true);
      tar.close();
      try {
        Files.move(temp, destination, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot rename " + temp + " atomically to " + destination, e);
      }
      FileTrees.fsyncDirectory(destination.getParent());
    } finally {
      done = true;
      abandon();
    }
  }

  /** Discards the archive unless it was committed. */
  @Override
  public void close() throws IOException {
    if (!done) {
      done = true;
      abandon();
    }
  }

  private void abandon() throws IOException {
    try {
      tar.close();
    } catch (IOException e) {
      // the temp file is deleted either way; a failed close of a discarded tar loses nothing
    } finally {
      channel.close();
      Files.deleteIfExists(temp);
    }
  }

  private static TarArchiveEntry entry(String name, byte type, int mode) {
    TarArchiveEntry entry = new TarArchiveEntry(name, type);
    entry.setMode(mode);
    entry.setUserId(0);
    entry.setGroupId(0);
    entry.setUserName("");
    entry.setGroupName("");
    entry.setModTime(0);
    return entry;
  }
}
