package io.layerfs.core.content;

import io.layerfs.core.Digest;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the image an open read-only view reads from the garbage collector, in any process, as a
 * containerd lease keeps what a client uses: an empty file {@code
 * layerfs/views/PID-N-ALG-HEX.hold} named by the image's manifest digest (N unique in the
 * process; nothing to write, so a full disk seldom stops it), locked exclusively while the
 * view is open and deleted when it closes. gc marks from every hold file whose lock is taken, and
 * removes the others (left by a process that died). The package documentation says why holds
 * are taken under a lease.
 */
public final class ViewHold implements Closeable {
  static final String DIR = "views";
  private static final String SUFFIX = ".hold";
  /** This JVM's holds by file name: gc reads these without opening their files (see scan). */
  private static final Map<String, Digest> HELD_HERE = new ConcurrentHashMap<>();
  /**
   * {@code PID-TIME.}, a hold's name up to its count: this process's id, for people looking at
   * the folder ("0" where /proc does not say), and the time this class loaded, against a dead
   * process's hold of the same id.
   */
  private static final String PREFIX = pid() + "-" + Long.toHexString(System.nanoTime()) + ".";
  /** Numbers this JVM's holds apart. */
  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final Path file;
  private final FileChannel channel;
  private boolean closed;

  private ViewHold(Path file, FileChannel channel) {
    this.file = file;
    this.channel = channel;
  }

  /** The folder of the holds, {@code layerfs/views}. */
  public static Path folder(ContentStore store) throws IOException {
    return store.stateDir().resolve(DIR);
  }

  /**
   * Whether views of a store can hold their images: false where this process cannot write its
   * state directory {@code stateDir} (a store on read-only media), where no gc can run either.
   */
  public static boolean possible(Path stateDir) {
    return Files.isWritable(stateDir);
  }

  /** A hold of nothing, for a store where {@link #possible} is false. */
  public static ViewHold none() {
    return new ViewHold(null, null);
  }

  /**
   * Holds {@code manifest} in the store whose state directory is {@code stateDir} until closed
   * (the caller asks {@link ContentStore#stateDir} once: each call makes sure of the folder).
   * Call it under a {@link ContentStore#lease()} taken before the image was resolved: gc cannot
   * then run between the resolution and the hold, nor see the hold file before it is locked.
   *
   * @throws IOException if the hold file cannot be made (naming it)
   */
  public static ViewHold take(Path stateDir, Digest manifest) throws IOException {
    Path dir = stateDir.resolve(DIR);
    String name = PREFIX + Long.toHexString(SEQUENCE.incrementAndGet()) + "-"
        + manifest.algorithm() + "-" + manifest.hex() + SUFFIX;
    Path file = dir.resolve(name);
    FileChannel ch = null;
    try {
      try {
        ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (NoSuchFileException e) {
        Files.createDirectories(dir); // once per store: no exception per open
        ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      }
      ch.lock();
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
        Files.deleteIfExists(file);
      }
      String reason = e instanceof FileSystemException f && f.getReason() != null
          ? f.getReason() : e.toString();
      boolean noFolder = Files.exists(dir, LinkOption.NOFOLLOW_LINKS)
          && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS);
      throw new IOException("cannot keep image " + manifest + " from gc for a view: " + file
          + ": " + reason + (noFolder ? " (" + dir + " is no folder; fsck repairs it)" : ""), e);
    }
    HELD_HERE.put(name, manifest);
    return new ViewHold(file, ch);
  }

  /** Ends the hold: its file is deleted, then unlocked. Closing twice is harmless. */
  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed || file == null) {
        closed = true;
        return;
      }
      closed = true;
    }
    try {
      Files.deleteIfExists(file);
    } finally {
      HELD_HERE.remove(file.getFileName().toString());
      channel.close();
    }
  }

  /** What {@link #scan} found: the images held, the files no process holds, and problems. */
  public record Scan(List<Digest> held, List<Path> stale, List<String> problems) {}

  /**
   * The holds of {@code store}'s open views, in this process and others. Call it while no lease
   * is held anywhere (gc's exclusive gate), so no hold is being made. This JVM's own holds are
   * answered from memory: opening and closing one of their files here would release the view's
   * lock (POSIX locks belong to the process, and closing any descriptor of a file drops them).
   */
  public static Scan scan(ContentStore store) throws IOException {
    Path dir = folder(store);
    List<Digest> held = new ArrayList<>();
    List<Path> stale = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return new Scan(held, stale, problems);
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path file : files) {
        Digest here = HELD_HERE.get(file.getFileName().toString());
        if (here != null) {
          held.add(here);
          continue;
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
          FileLock free = ch.tryLock(0, Long.MAX_VALUE, true);
          if (free != null) {
            stale.add(file); // its process is gone: closing the channel drops our lock
            continue;
          }
          Digest manifest = manifestOf(file.getFileName().toString());
          if (manifest != null) {
            held.add(manifest);
          } else {
            problems.add("view hold " + file + " names no image");
          }
        } catch (NoSuchFileException e) {
          // its view closed meanwhile
        }
      }
    }
    return new Scan(held, stale, problems);
  }

  /**
   * This process's id as {@code /proc/self} names it: one system call, where {@code
   * ProcessHandle} would start its class's thread pool in a fresh JVM's view open.
   */
  private static String pid() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self")).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "0";
    }
  }

  /** The digest in a hold's name, {@code PID-N-ALG-HEX.hold}; null if there is none. */
  private static Digest manifestOf(String name) {
    String[] parts = name.substring(0, name.length() - SUFFIX.length()).split("-", 4);
    try {
      return parts.length == 4 ? Digest.parse(parts[2] + ":" + parts[3]) : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
