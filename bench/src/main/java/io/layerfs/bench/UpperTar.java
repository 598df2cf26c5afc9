package io.layerfs.bench;

import io.layerfs.core.Compression;
import io.layerfs.core.Digest;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The peers' side of {@link CommitBenchmark}: what a naive {@code docker commit} does with an
 * overlay upper directory. It walks the directory in sorted order (parents before children, one
 * {@code lstat} per entry), writes a PAX tar with Commons Compress through a SHA-256 of the tar
 * (the DiffID), gzip (the JDK's at its default level with a 64 KiB buffer, as layerfs) and a
 * SHA-256 of the compressed blob into a new host file, and forces that to disk. Uncompressed, one
 * SHA-256 serves as both digests.
 *
 * <p>File times are written in whole seconds (as Docker does); uid and gid come from the host's
 * {@code unix} attribute view (the same {@code lstat}) and are 0 on other file systems (their
 * POSIX view gives names, not ids). Links and special files are not handled: the upper directory
 * of the benchmark has none.
 */
final class UpperTar {
  private static final int BUFFER = 1 << 16;
  private static final String HOST_ATTRIBUTES = "unix:mode,uid,gid,size,lastModifiedTime";

  /** A layer written: its blob digest, its DiffID and how many entries it holds. */
  record Packed(Digest digest, Digest diffId, int entries) {}

  private UpperTar() {}

  /**
   * Packages the tree below {@code root} as a layer blob in the new host file {@code target}: a
   * PAX tar, its SHA-256 (the DiffID), compressed, the blob's SHA-256; forced to disk.
   */
  static Packed pack(Path root, Path target, Compression codec) throws IOException {
    boolean gzip = codec == Compression.GZIP;
    MessageDigest blobHash = sha256();
    MessageDigest tarHash = gzip ? sha256() : blobHash;
    int entries;
    try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      OutputStream file = new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER);
      OutputStream blob = new DigestOutputStream(file, blobHash);
      GZIPOutputStream gz = gzip ? new GZIPOutputStream(blob, BUFFER) : null;
      OutputStream tarBytes = gzip ? new DigestOutputStream(gz, tarHash) : blob;
      // the tar's close would close the channel before it is forced
      OutputStream shielded = new FilterOutputStream(tarBytes) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
          flush();
        }
      };
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(shielded, 512, "UTF-8")) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        boolean host = root.getFileSystem() == FileSystems.getDefault();
        entries = addTree(tar, root, "", host, new byte[BUFFER]);
        tar.finish();
      }
      if (gz != null) {
        gz.finish();
      }
      file.flush();
      ch.force(true);
    }
    // digest() resets the hash: uncompressed, the one hash is both
    Digest blobDigest = digest(blobHash);
    return new Packed(blobDigest, gzip ? digest(tarHash) : blobDigest, entries);
  }

  /** Adds the children of {@code dir} in sorted order, parents before children. */
  private static int addTree(TarArchiveOutputStream tar, Path dir, String prefix, boolean host,
      byte[] buffer) throws IOException {
    List<Path> children;
    try (Stream<Path> s = Files.list(dir)) {
      children = s.sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
    }
    int n = 0;
    for (Path child : children) {
      String name = prefix + child.getFileName().toString();
      int mode;
      int uid = 0;
      int gid = 0;
      long size;
      FileTime mtime;
      boolean directory;
      if (host) {
        Map<String, Object> a = Files.readAttributes(child, HOST_ATTRIBUTES,
            LinkOption.NOFOLLOW_LINKS);
        mode = (Integer) a.get("mode");
        uid = (Integer) a.get("uid");
        gid = (Integer) a.get("gid");
        size = (Long) a.get("size");
        mtime = (FileTime) a.get("lastModifiedTime");
        directory = (mode & 0170000) == 0040000;
      } else {
        PosixFileAttributes a = Files.readAttributes(child, PosixFileAttributes.class,
            LinkOption.NOFOLLOW_LINKS);
        directory = a.isDirectory();
        mode = permissionBits(a.permissions()) | (directory ? 0040000 : 0100000);
        size = a.size();
        mtime = a.lastModifiedTime();
      }
      TarArchiveEntry e = new TarArchiveEntry(directory ? name + "/" : name);
      e.setMode(mode);
      e.setIds(uid, gid);
      e.setModTime(mtime.to(TimeUnit.SECONDS) * 1000);
      if (!directory) {
        e.setSize(size);
      }
      tar.putArchiveEntry(e);
      if (!directory) {
        try (InputStream in = Files.newInputStream(child)) {
          for (int r; (r = in.read(buffer)) > 0; ) {
            tar.write(buffer, 0, r);
          }
        }
      }
      tar.closeArchiveEntry();
      n++;
      if (directory) {
        n += addTree(tar, child, name + "/", host, buffer);
      }
    }
    return n;
  }

  /** What a layer blob holds, read back: its tar's entries, size and SHA-256 (the DiffID). */
  record Readback(long entries, long tarBytes, Digest diffId) {}

  /** Reads a layer blob (gzip or plain tar) to its end; the caller closes {@code blob}. */
  static Readback readBack(InputStream blob) throws IOException {
    InputStream in = blob.markSupported() ? blob : new BufferedInputStream(blob, BUFFER);
    in.mark(2);
    boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
    in.reset();
    MessageDigest hash = sha256();
    InputStream tarIn = new DigestInputStream(gzip ? new GZIPInputStream(in, BUFFER) : in, hash);
    long entries = 0;
    TarArchiveInputStream tar = new TarArchiveInputStream(tarIn);
    while (tar.getNextEntry() != null) {
      entries++;
    }
    // the tar stream stops at its end marker: the DiffID covers the padding after it too
    long bytes = tar.getBytesRead() + tarIn.transferTo(OutputStream.nullOutputStream());
    return new Readback(entries, bytes, digest(hash));
  }

  private static int permissionBits(Set<PosixFilePermission> perms) {
    int bits = 0;
    for (PosixFilePermission p : perms) {
      bits |= 0400 >> p.ordinal();
    }
    return bits;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }

  private static Digest digest(MessageDigest md) {
    return Digest.of("sha256", md.digest());
  }
}
