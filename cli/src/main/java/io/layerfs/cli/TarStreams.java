package io.layerfs.cli;

import io.layerfs.core.estargz.RawTarReader;
import io.layerfs.core.internal.NameBytes;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;
import org.apache.commons.compress.compressors.xz.XZUtils;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The tar streams of {@code layerfs cp} with {@code -}, as {@code docker cp} writes and reads
 * them: a source is archived under its own name (a directory with everything in it), and an
 * archive is extracted into an existing directory, never outside it.
 */
final class TarStreams {
  private TarStreams() {}

  /** Writes {@code src} (a file, link or directory tree) as a tar to {@code out}. */
  static void write(Path src, boolean followLink, OutputStream out) throws IOException {
    Path from = followLink ? src.toRealPath() : src;
    Path name = src.getFileName();
    String base = name == null ? "" : name.toString();
    // names as their bytes, each an ISO-8859-1 char, and long ones as GNU long names, which
    // hold bytes as they are: PAX records would encode the chars as UTF-8 (NameBytes)
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(shield(out), "ISO-8859-1")) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      Map<Object, String> linked = new HashMap<>(); // a file linked more than once: its name
      Files.walkFileTree(from, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a)
            throws IOException {
          entry(tar, dir, nameOf(base, from.relativize(dir)) + "/", a);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
          String name = nameOf(base, from.relativize(file));
          String first = a.isRegularFile() && a.fileKey() != null
              && (Integer) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS) > 1
              ? linked.putIfAbsent(a.fileKey(), name) : null;
          if (first != null) {
            // its second name: a hard link entry, as docker cp's and GNU tar's
            TarArchiveEntry e = new TarArchiveEntry(bytesOf(name), TarArchiveEntry.LF_LINK);
            e.setLinkName(bytesOf(first));
            metadata(e, file, a);
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
          } else {
            entry(tar, file, name, a);
          }
          return FileVisitResult.CONTINUE;
        }
      });
      tar.finish();
    }
  }

  /** A name's bytes, each as the ISO-8859-1 char the tar's encoding writes as that byte. */
  private static String bytesOf(String name) {
    return new String(NameBytes.encode(name), StandardCharsets.ISO_8859_1);
  }

  private static String nameOf(String base, Path relative) {
    String rel = relative.toString();
    if (base.isEmpty()) {
      return rel.isEmpty() ? "." : rel;
    }
    return rel.isEmpty() ? base : base + "/" + rel;
  }

  private static void entry(TarArchiveOutputStream tar, Path p, String name,
      BasicFileAttributes a) throws IOException {
    TarArchiveEntry e;
    if (a.isSymbolicLink()) {
      e = new TarArchiveEntry(bytesOf(name), TarArchiveEntry.LF_SYMLINK);
      e.setLinkName(bytesOf(Files.readSymbolicLink(p).toString()));
    } else if (a.isDirectory() || a.isRegularFile()) {
      e = new TarArchiveEntry(bytesOf(name));
      if (a.isRegularFile()) {
        e.setSize(a.size());
      }
    } else {
      e = special(p, name);
    }
    metadata(e, p, a);
    tar.putArchiveEntry(e);
    if (a.isRegularFile()) {
      try (InputStream in = Files.newInputStream(p)) {
        in.transferTo(tar);
      }
    }
    tar.closeArchiveEntry();
  }

  private static void metadata(TarArchiveEntry e, Path p, BasicFileAttributes a)
      throws IOException {
    e.setMode((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
    e.setUserId((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    e.setGroupId((Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS));
    e.setModTime(a.lastModifiedTime());
  }

  /**
   * The entry of a device or fifo, as docker cp's tar holds them (a tar can, where the host's
   * file system cannot be given one by Java); a socket is an error, as Go's archive/tar has no
   * entry for it.
   */
  private static TarArchiveEntry special(Path p, String name) throws IOException {
    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    byte flag = switch (mode & 0170000) {
      case 0020000 -> TarArchiveEntry.LF_CHR;
      case 0060000 -> TarArchiveEntry.LF_BLK;
      case 0010000 -> TarArchiveEntry.LF_FIFO;
      default -> throw new IOException(p + ": a socket has no tar entry");
    };
    TarArchiveEntry e = new TarArchiveEntry(bytesOf(name), flag);
    if (flag != TarArchiveEntry.LF_FIFO) {
      long rdev = (Long) Files.getAttribute(p, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
      e.setDevMajor((int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL)));
      e.setDevMinor((int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL)));
    }
    return e;
  }

  /**
   * Extracts the tar on {@code in} into the existing directory {@code dir}. Entries naming a
   * path outside it ({@code ..}, absolute names) are an error before anything is written for
   * them; owners are kept only with {@code keepOwners}. Names keep their bytes (one that is not
   * UTF-8 too: {@link NameBytes}), and so do {@code user.} extended attributes (PAX {@code
   * SCHILY.xattr.user.*}), as {@code docker cp} keeps them. Devices and fifos, which Java cannot
   * make, are skipped, as {@code cp NAME:SRC DIR} skips them, and so is an entry of a type no
   * tar tool writes for a file, and an extended attribute of another namespace, which the
   * file system's {@code user:} view cannot set; the rest is extracted.
   *
   * @return what was skipped: each one's path under {@code dir} and what it is, in tar order
   */
  static List<Skipped> extract(InputStream in, Path dir, boolean keepOwners) throws IOException {
    List<Skipped> skipped = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      throw new NotDirectoryException(dir + ": the destination must be an existing directory");
    }
    RawTarReader tar = new RawTarReader(tarOf(in));
    for (RawTarReader.Entry e = next(tar, null); e != null; e = next(tar, e)) {
      Path target = inside(dir, e.name);
      if (target.equals(dir)) {
        finish(tar, e); // "./"
        continue;
      }
      boolean directory = e.type == '5' || (e.isRegular() && e.name.endsWith("/"));
      if (directory) {
        Files.createDirectories(target);
      } else if (e.type == '2') {
        Files.deleteIfExists(target);
        Files.createSymbolicLink(target, dir.getFileSystem().getPath(e.linkName));
      } else if (e.type == '1') {
        // GNU tar's entry for a file's second name: the first was extracted before it
        Path first = inside(dir, e.linkName);
        if (!Files.exists(first, LinkOption.NOFOLLOW_LINKS)) {
          throw new IOException("tar entry " + e.name + " is a hard link to " + e.linkName
              + ", which is not in " + dir + " (a tar holds the file before its second name)");
        }
        Files.deleteIfExists(target);
        Files.createLink(target, first);
      } else if (e.isRegular()) {
        Files.createDirectories(target.getParent());
        copy(tar, e, target);
      } else {
        String what = e.type == '3'
            ? "a character device (" + e.devMajor() + ", " + e.devMinor() + ")"
            : e.type == '4'
                ? "a block device (" + e.devMajor() + ", " + e.devMinor() + ")"
                : e.type == '6' ? "a fifo" : null;
        skipped.add(new Skipped(target, what == null
            ? "a tar entry of type '" + e.type + "', which layerfs cannot make"
            : what + "; Java makes no device nodes, fifos or sockets"));
        finish(tar, e);
        continue;
      }
      finish(tar, e);
      if (e.type != '2') {
        Files.setAttribute(target, "unix:mode", e.mode());
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
          if (x.getKey().startsWith("user.")) {
            Files.setAttribute(target, "user:" + x.getKey().substring(5), x.getValue());
          } else {
            skipped.add(new Skipped(target, "its extended attribute " + x.getKey()
                + " (only user.* attributes can be set through the file system)"));
          }
        }
        Files.setLastModifiedTime(target, FileTime.from(e.mtimeNanos(), TimeUnit.NANOSECONDS));
      }
      if (keepOwners) {
        Files.setAttribute(target, "unix:uid", e.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(target, "unix:gid", e.gid(), LinkOption.NOFOLLOW_LINKS);
      }
    }
    return skipped;
  }

  /** A tar entry {@link #extract} did not make: where it would have gone, and what it is. */
  record Skipped(Path target, String what) {}

  /** A tar record: the least a tar holds (one header). */
  private static final int RECORD = 512;

  /**
   * The tar bytes of {@code in}: decompressed when it is gzip, bzip2, xz (with org.tukaani:xz) or
   * zstd, as {@code docker cp -} takes it; an error when it is shorter than one tar header
   * (Commons Compress would take such input, and so anything that is no tar, for an empty
   * archive).
   */
  static InputStream tarOf(InputStream in) throws IOException {
    InputStream buffered = new BufferedInputStream(in, 1 << 16);
    String compression = null;
    try {
      compression = CompressorStreamFactory.detect(buffered);
    } catch (CompressorException notCompressed) {
      // a plain tar, or not a tar at all: the header check below tells
    }
    InputStream tar = buffered;
    if (CompressorStreamFactory.XZ.equals(compression) && !XZUtils.isXZCompressionAvailable()) {
      throw new IOException("the tar on standard input is xz-compressed, which needs"
          + " org.tukaani:xz (not on the class path): decompress it first (xz -dc FILE |"
          + " layerfs cp - ...)");
    }
    if (compression != null && DOCKER_COMPRESSIONS.contains(compression)) {
      try {
        tar = new BufferedInputStream(new CompressorStreamFactory(true)
            .createCompressorInputStream(compression, buffered), 1 << 16);
      } catch (CompressorException e) {
        throw new IOException("the " + compression + " stream on standard input cannot be read ("
            + e.getMessage() + ")", e);
      }
    }
    tar.mark(RECORD);
    byte[] first = tar.readNBytes(RECORD);
    tar.reset();
    if (first.length < RECORD) {
      throw new IOException("standard input is not a tar archive: it ended after "
          + first.length + " byte(s), before the first 512-byte header");
    }
    return tar;
  }

  /** What docker's archive code decompresses; a tar starting with "x^" is no zlib stream. */
  private static final Set<String> DOCKER_COMPRESSIONS = Set.of(CompressorStreamFactory.GZIP,
      CompressorStreamFactory.BZIP2, CompressorStreamFactory.XZ,
      CompressorStreamFactory.ZSTANDARD);

  private static RawTarReader.Entry next(RawTarReader tar, RawTarReader.Entry previous)
      throws IOException {
    try {
      return tar.next();
    } catch (RawTarReader.Unsupported e) {
      throw e; // it names the entry
    } catch (IOException e) {
      throw damaged(e, previous);
    }
  }

  /** The current entry's bytes into {@code target}, replacing a file or link that is there. */
  private static void copy(RawTarReader tar, RawTarReader.Entry entry, Path target)
      throws IOException {
    byte[] buffer = new byte[1 << 16];
    Files.deleteIfExists(target);
    try (OutputStream out = Errors.naming(target, Files.newOutputStream(target,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
      while (true) {
        int n;
        try {
          n = tar.readPayload(buffer, 0, buffer.length);
        } catch (IOException e) {
          throw damaged(e, entry);
        }
        if (n < 0) {
          return;
        }
        out.write(buffer, 0, n);
      }
    }
  }

  /** Past the rest of the current entry: its payload not read, and its padding. */
  private static void finish(RawTarReader tar, RawTarReader.Entry entry) throws IOException {
    try {
      tar.skipPayload();
      tar.readPadding(entry.size);
    } catch (IOException e) {
      throw damaged(e, entry);
    }
  }

  /** A read error of the tar on standard input, named with the entry it is in or after. */
  private static IOException damaged(IOException e, RawTarReader.Entry at) {
    String where = at == null ? "" : " at entry '" + at.name + "'";
    return new IOException("the tar on standard input is truncated or damaged" + where + " ("
        + e.getMessage() + ")", e);
  }

  /** {@code name} below {@code dir}; an error for a name that climbs out or is absolute. */
  private static Path inside(Path dir, String name) throws IOException {
    Path rel = dir.getFileSystem().getPath(name).normalize();
    if (rel.isAbsolute() || rel.startsWith("..")) {
      throw new IOException("tar entry " + name + " points outside " + dir);
    }
    return dir.resolve(rel.toString()).normalize();
  }

  /** {@code out} without its close: the caller's standard output stays open. */
  private static OutputStream shield(OutputStream out) {
    return new java.io.FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        out.flush();
      }
    };
  }
}
