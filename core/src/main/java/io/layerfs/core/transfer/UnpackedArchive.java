package io.layerfs.core.transfer;

import io.layerfs.core.LimitException;
import io.layerfs.core.Limits;
import io.layerfs.core.Progress;
import io.layerfs.core.internal.FileTrees;
import io.layerfs.core.internal.OptionalLibrary;
import io.layerfs.core.internal.PathNames;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * An image archive (OCI archive or docker-archive) unpacked into a scratch directory, whose
 * members are looked up by the names the archive's own metadata uses. A compressed archive
 * (gzip, bzip2, xz, zstd: see {@link ArchiveCompression}) is decompressed as it is read, and read
 * to its end so that a cut or damaged stream is an error before any blob of it is used.
 *
 * <h2>Tar-slip</h2>
 *
 * Only regular files are written, and only inside the scratch directory: an entry whose name is
 * absolute or has a {@code ..} component is refused with an {@link IOException} naming the entry
 * and the archive, before anything of it is written (containers/image refuses such names too).
 * Symbolic and hard links are never created on disk; they are remembered and followed lexically
 * within the archive by {@link #member}, which is how skopeo's docker-archives link the legacy
 * {@code <id>/layer.tar} to {@code <diffid>.tar}.
 *
 * <p>Not thread-safe. {@link #close} deletes the scratch directory.
 */
public final class UnpackedArchive implements AutoCloseable {
  /** Prefixes of the scratch folders archives are unpacked into, today's and older versions'. */
  public static final List<String> SCRATCH_PREFIXES = List.of("unpack-", "archive-");

  /** Prefix of the scratch folders archives are unpacked into (gc removes old ones). */
  public static final String SCRATCH_PREFIX = "unpack-";

  private static final int BUFFER = 1 << 16;
  // a link chain longer than this is a loop
  private static final int MAX_LINKS = 16;

  private final Path archive;
  // what errors call the archive: its path, or what it was copied from (standard input)
  private final String label;
  private final Path dir;
  private final Limits limits;
  // normalized name (no leading slash) -> normalized target name
  private final Map<String, String> links = new HashMap<>();

  private UnpackedArchive(Path archive, String label, Path dir, Limits limits) {
    this.archive = archive;
    this.label = label;
    this.dir = dir;
    this.limits = limits;
  }

  /**
   * Unpacks {@code archive} into a fresh directory under {@code scratchParent}; errors call it
   * {@code label}. A compressed archive may inflate as far as {@code limits} let a layer.
   *
   * @throws IOException if the file is not a tar, an entry would leave the directory, the
   *     archive inflates past the limits, or the copy fails (a full disk: naming the file it
   *     could not write); the scratch directory is removed then
   */
  static UnpackedArchive unpack(Path archive, String label, Path scratchParent, Limits limits,
      Progress progress) throws IOException {
    Path dir = Files.createTempDirectory(scratchParent, SCRATCH_PREFIXES.get(0));
    UnpackedArchive unpacked = new UnpackedArchive(archive, label, dir, limits);
    try {
      unpacked.extract(progress);
      return unpacked;
    } catch (IOException | RuntimeException e) {
      unpacked.close();
      throw e;
    }
  }

  /** The archive file. */
  Path archive() {
    return archive;
  }

  /** The scratch directory holding the regular files. */
  Path dir() {
    return dir;
  }

  /** True if the archive holds a regular file (or a link to one) called {@code name}. */
  boolean has(String name) {
    try {
      return Files.isRegularFile(resolve(name));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The unpacked file that {@code name} (as the archive's metadata spells it) names, following
   * links inside the archive.
   *
   * @throws IOException naming the archive if there is no such regular file
   */
  Path member(String name) throws IOException {
    Path file = resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new IOException(label + " has no file '" + name + "'");
    }
    return file;
  }

  private Path resolve(String name) throws IOException {
    String current = clean(name);
    for (int i = 0; i <= MAX_LINKS; i++) {
      String target = links.get(current);
      if (target == null) {
        return current.isEmpty() ? dir : dir.resolve(current);
      }
      current = target;
    }
    throw new IOException("links in " + label + " loop at '" + name + "'");
  }

  @Override
  public void close() throws IOException {
    FileTrees.deleteTree(dir);
  }

  private void extract(Progress progress) throws IOException {
    progress.start("unpack " + label.substring(label.lastIndexOf('/') + 1),
        Files.size(archive));
    // progress counts the file's bytes: a compressed archive is read once, as it streams
    try (InputStream raw = new ProgressInputStream(Files.newInputStream(archive), progress);
        InputStream plain = decompressed(new BufferedInputStream(raw, BUFFER));
        TarArchiveInputStream tar = new TarArchiveInputStream(plain, "UTF-8")) {
      byte[] buffer = new byte[BUFFER];
      TarArchiveEntry entry;
      String last = null;
      while ((entry = nextEntry(tar, last)) != null) {
        String name = checkedName(entry.getName());
        last = entry.getName();
        if (name.isEmpty()) {
          continue;
        }
        if (entry.isSymbolicLink()) {
          links.put(name, linkTarget(name, entry.getLinkName()));
        } else if (entry.isLink()) {
          links.put(name, checkedName(entry.getLinkName()));
        } else if (entry.isFile()) {
          links.remove(name);
          Path target = dir.resolve(name);
          Files.createDirectories(target.getParent());
          copyEntry(tar, last, target, buffer);
        }
      }
      drain(plain);
    } finally {
      progress.done();
    }
  }

  /** The archive's tar: decompressed (gzip, bzip2, xz, zstd) as it is read, or as it is. */
  private InputStream decompressed(InputStream in) throws IOException {
    try {
      return ArchiveCompression.decompressed(in, limits, label);
    } catch (OptionalLibrary.Missing e) {
      throw e; // names the artifact to add
    } catch (IOException e) {
      throw damaged(e, "at its start");
    }
  }

  /**
   * Reads a compressed archive to its end after the tar's: a gzip or xz stream is checked (its
   * checksum, a cut) only there. Bytes after the tar's end blocks are ignored, as tar does.
   */
  private void drain(InputStream plain) throws IOException {
    try {
      plain.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw damaged(e, "at its end");
    }
  }

  private TarArchiveEntry nextEntry(TarArchiveInputStream tar, String previous)
      throws IOException {
    try {
      return tar.getNextEntry();
    } catch (IOException e) {
      throw damaged(e, previous == null ? "at its start" : "after entry '" + previous + "'");
    }
  }

  /**
   * Copies the current entry's bytes to {@code target}. A failed read is the archive's fault and
   * says so; a failed write (a full disk) is the file system's error, naming the file.
   */
  private void copyEntry(TarArchiveInputStream tar, String entry, Path target, byte[] buffer)
      throws IOException {
    try (OutputStream out = Files.newOutputStream(target)) {
      while (true) {
        int n;
        try {
          n = tar.read(buffer);
        } catch (IOException e) {
          throw damaged(e, "in entry '" + entry + "'");
        }
        if (n < 0) {
          return;
        }
        try {
          out.write(buffer, 0, n);
        } catch (IOException e) {
          // the JDK's "No space left on device" names no file
          throw new IOException("cannot unpack entry '" + entry + "' of " + label + " to "
              + target + ": " + e.getMessage(), e);
        }
      }
    }
  }

  /**
   * Commons Compress' "Truncated TAR archive" names no file: this names the archive. A limit
   * hit while reading is no damage: it stays the limit's error, which names the archive.
   */
  private IOException damaged(IOException e, String where) {
    if (e instanceof LimitException limit) {
      return limit;
    }
    return new IOException(label + " is truncated or damaged " + where + " (" + e.getMessage()
        + ")", e);
  }

  /** The entry name without {@code ./} and slashes; refuses names that would leave the dir. */
  private String checkedName(String name) throws IOException {
    if (name.startsWith("/")) {
      throw slip(name);
    }
    for (String part : PathNames.componentsRaw(name)) {
      if (part.equals("..")) {
        throw slip(name);
      }
    }
    return clean(name);
  }

  private IOException slip(String name) {
    return new IOException(
        "entry '" + name + "' of " + label + " would leave the archive (absolute or ../ name);"
            + " refusing to unpack it");
  }

  /** A symlink target relative to its directory (or absolute in the archive), cleaned. */
  private static String linkTarget(String linkName, String target) {
    if (target.startsWith("/")) {
      return clean(target);
    }
    int slash = linkName.lastIndexOf('/');
    String parent = slash < 0 ? "" : linkName.substring(0, slash + 1);
    return clean(parent + target);
  }

  /** Lexically cleaned, relative, never above the root: {@code ./a//b/../c} is {@code a/c}. */
  private static String clean(String name) {
    List<String> parts = PathNames.components(name);
    return String.join("/", parts);
  }

  /** Reports every byte read to a {@link Progress}. */
  static final class ProgressInputStream extends FilterInputStream {
    private final Progress progress;

    ProgressInputStream(InputStream in, Progress progress) {
      super(in);
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        progress.advance(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        progress.advance(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(n);
      if (skipped > 0) {
        progress.advance(skipped);
      }
      return skipped;
    }
  }
}
