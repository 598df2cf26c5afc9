package io.layerfs.core.mount;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * This JVM's one open channel and mapping of a volume's counter file ({@link VolumeGeneration}),
 * shared by every user of the file in the JVM (keyed by its real path, counted, closed with the
 * last user), and the file lock by which the JVM says it is alive.
 *
 * <h2>Why one per JVM</h2>
 *
 * A file lock belongs to the process: on Linux, closing any descriptor of the file drops every
 * lock the process holds on it, and a second lock of one JVM on the same file throws {@code
 * OverlappingFileLockException}. So this class opens the file once per JVM and nothing else in
 * the JVM may open it (fsck goes through {@link #abandoned} too). A file deleted or replaced
 * behind layerfs's back is mapped afresh by the next open; the users of the old one keep it until
 * they close.
 *
 * <h2>Changes left under way by a dead process</h2>
 *
 * A process killed between {@code beginChange} and {@code endChange} leaves the count of changes
 * under way above 0, and readers never use the fast path again. So every user that may count
 * changes (a writer: a writable container) holds a shared lock on the whole file for as long as
 * it has the file open, taken before it can begin a change. When the count is above 0 and none
 * of this JVM's changes is under way, an open gives its shared lock back and tries an exclusive
 * one: it gets it only if no other process holds a shared lock, that is if no live process may
 * have begun a change; the count is then a dead process's, and is set to 0 after the generation
 * was raised (as {@code endChange} does), so nothing checked before stands. Then the shared lock
 * is taken again. Why that is safe:
 *
 * <ul>
 *   <li>Two processes opening at once: the kernel gives the exclusive lock to one at a time and
 *       never beside a shared one; each takes its shared lock before it can begin a change and
 *       tries the exclusive one only while it has no change under way (its count of own changes
 *       is checked, and the shared lock given back, under the monitor {@code beginChange} takes
 *       too). So whenever a process holds the exclusive lock, every change under way is a dead
 *       process's. A process waiting for its shared lock while another resets waits a moment.
 *       Two processes that open at once may each find the other's shared lock and leave a dead
 *       process's count: the next writable open, or fsck's repair, tries again.
 *   <li>A reader: a reset is the end of every change left under way; a reader that read the old
 *       generation with the count at 0 walks after the reset, and the raised generation refuses
 *       what it marks at the old one. Readers hold no lock: a read-only container, or one that
 *       may not write the file, never begins a change, so it has nothing to protect; nor does it
 *       reset a count (a writer's open does), so a volume only read keeps a dead writer's count
 *       until a writable container opens it or fsck repairs it. The channel is opened for
 *       writing whenever the file allows, so that a writer of the same JVM can lock it later.
 *   <li>A process that is alive but stopped (a debugger, SIGSTOP) keeps its lock: its change may
 *       still end, so its count stays, and readers check every directory meanwhile.
 *   <li>A file system without locks: the shared lock cannot be taken, so no process can show
 *       it is alone, and nothing is reset (the counter is only a shortcut: reads check every
 *       directory). Layerfs before this class took no lock: a change such a process has under
 *       way may be taken for a dead one's.
 * </ul>
 *
 * <p>Thread safety: {@link #acquire}, {@link #release} and {@link #abandoned} serialize on the
 * table of open files; the count of own changes and the lock on this object's monitor.
 */
final class CounterFile {
  private static final Map<Path, CounterFile> OPEN = new HashMap<>(); // guarded by itself
  private static final long WHOLE = Long.MAX_VALUE;

  private final Path key;
  private final Object fileKey;
  private final FileChannel channel;
  /** The file's words, shared with every process that maps it. */
  final MappedByteBuffer map;
  /** Whether channel and mapping may write (this user may write the file). */
  final boolean writable;
  private int users; // guarded by OPEN
  private int writers; // guarded by OPEN
  private FileLock shared; // guarded by this; held while writers > 0
  private int changes; // guarded by this: this JVM's changes under way

  private CounterFile(Path key, Object fileKey, FileChannel channel, MappedByteBuffer map,
      boolean writable) {
    this.key = key;
    this.fileKey = fileKey;
    this.channel = channel;
    this.map = map;
    this.writable = writable;
  }

  /**
   * This JVM's open counter file at {@code file}, made when missing if {@code writer}; with
   * {@code writer}, its shared lock is held until the matching {@link #release}, and a count of
   * changes left under way by dead processes is reset. Null when the file is missing (and not
   * {@code writer}), cannot be made or mapped, or is damaged.
   */
  static CounterFile acquire(Path file, boolean writer) {
    synchronized (OPEN) {
      Path key = key(file);
      if (key == null) {
        return null;
      }
      CounterFile c = OPEN.get(key);
      if (c != null && !c.isAt(file)) {
        OPEN.remove(key); // deleted or replaced: its users keep the old file until they close
        c = null;
      }
      if (c == null) {
        c = map(file, key, writer);
        if (c == null) {
          return null;
        }
        OPEN.put(key, c);
      }
      c.users++;
      if (writer && c.writable && c.writers++ == 0) {
        synchronized (c) {
          c.lockShared();
        }
      }
      if (writer) {
        c.resetIfAlone(true);
      }
      return c;
    }
  }

  /**
   * The number of changes left under way in the counter at {@code file} by processes that died
   * (0 when none, when a live process, this one included, may have one under way, or when there
   * is no readable counter), set to 0 if {@code reset}. Makes nothing.
   */
  static long abandoned(Path file, boolean reset) {
    synchronized (OPEN) {
      Path key = key(file);
      CounterFile c = key == null ? null : OPEN.get(key);
      if (c != null && c.isAt(file)) {
        return c.resetIfAlone(reset);
      }
      c = key == null ? null : map(file, key, false);
      if (c == null) {
        return 0;
      }
      try {
        return c.resetIfAlone(reset);
      } finally {
        c.close(); // no lock of this JVM is on it: it was not open here
      }
    }
  }

  /** Ends a use that {@link #acquire} began, with the same {@code writer}. */
  void release(boolean writer) {
    synchronized (OPEN) {
      if (writer && writable && --writers == 0) {
        synchronized (this) {
          unlockShared(); // no changes can be under way: every writer closed
        }
      }
      if (--users == 0) {
        OPEN.remove(key, this);
        close();
      }
    }
  }

  /** Called before one of this JVM's changes is counted: no reset may run until it ended. */
  synchronized void began() {
    changes++;
  }

  /** Called after one of this JVM's changes ended. */
  synchronized void ended() {
    changes--;
  }

  private static Path key(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      return parent.toRealPath().resolve(file.getFileName());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Whether {@code file} is still the file this one mapped (not deleted, not replaced). */
  private boolean isAt(Path file) {
    try {
      return fileKey == null || fileKey.equals(fileKey(file));
    } catch (IOException e) {
      return false;
    }
  }

  private static Object fileKey(Path file) throws IOException {
    return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
        .fileKey();
  }

  private static CounterFile map(Path file, Path key, boolean writer) {
    FileChannel ch = null;
    try {
      boolean writable = true;
      try {
        ch = writer
            ? FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE, LinkOption.NOFOLLOW_LINKS)
            : FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        // another user's file, a read-only file system, or missing (a reader makes nothing)
        writable = false;
        ch = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      }
      long size = ch.size();
      boolean starting = writer && writable;
      if (size != VolumeGeneration.SIZE && (size != 0 || !starting)) {
        ch.close();
        return null;
      }
      // a new file (here or in another process) is extended with zeros by the mapping
      // (ftruncate): never written over, so two processes starting it at once lose nothing
      MappedByteBuffer map = ch.map(writable ? FileChannel.MapMode.READ_WRITE
          : FileChannel.MapMode.READ_ONLY, 0, VolumeGeneration.SIZE);
      if (starting) { // a new file: marked once, by anyone
        VolumeGeneration.LONGS.compareAndSet(map, VolumeGeneration.MAGIC_AT, 0L,
            VolumeGeneration.MAGIC);
      }
      if ((long) VolumeGeneration.LONGS.getVolatile(map, VolumeGeneration.MAGIC_AT)
          != VolumeGeneration.MAGIC) {
        ch.close();
        return null;
      }
      return new CounterFile(key, fileKey(file), ch, map, writable);
    } catch (IOException | RuntimeException | InternalError e) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // the counter is given up either way
        }
      }
      return null;
    }
  }

  /**
   * Resets (if {@code reset}) a count of changes under way that only dead processes can have
   * left, and returns it; 0 when the count is 0, or a live process may have a change under way.
   */
  private synchronized long resetIfAlone(boolean reset) {
    if (!writable || changes != 0) {
      return 0;
    }
    try {
      if ((long) VolumeGeneration.LONGS.getVolatile(map, VolumeGeneration.CHANGING_AT) == 0) {
        return 0;
      }
    } catch (InternalError e) {
      return 0; // truncated under the mapping
    }
    boolean held = shared != null;
    try {
      unlockShared();
      FileLock alone = channel.tryLock(0, WHOLE, false);
      if (alone == null) {
        return 0; // another process holds the shared lock: alive
      }
      try {
        long left = (long) VolumeGeneration.LONGS.getVolatile(map,
            VolumeGeneration.CHANGING_AT);
        if (reset && left != 0) {
          VolumeGeneration.LONGS.getAndAdd(map, VolumeGeneration.GENERATION_AT, 1L);
          VolumeGeneration.LONGS.setVolatile(map, VolumeGeneration.CHANGING_AT, 0L);
        }
        return left;
      } finally {
        alone.release();
      }
    } catch (IOException | RuntimeException | InternalError e) {
      return 0; // no locks here (or a damaged file): nothing can be shown dead
    } finally {
      if (held) {
        lockShared();
      }
    }
  }

  /**
   * Takes the shared lock, waiting while another process holds the exclusive one for a reset
   * (a moment). A polled {@code tryLock}, as {@code lock} would close the channel of every user
   * in the JVM when the waiting thread is interrupted. Without locks on this file system, none.
   */
  private void lockShared() {
    long wait = 10_000; // ns, doubled up to 10 ms
    try {
      FileLock l;
      while ((l = channel.tryLock(0, WHOLE, true)) == null) {
        LockSupport.parkNanos(wait);
        wait = Math.min(wait * 2, 10_000_000);
      }
      shared = l;
    } catch (IOException e) {
      shared = null; // no locks: no process resets, see the class comment
    }
  }

  private void unlockShared() {
    FileLock l = shared;
    shared = null;
    if (l != null) {
      try {
        l.release();
      } catch (IOException e) {
        // released with the channel at the latest
      }
    }
  }

  private void close() {
    try {
      channel.close(); // drops the locks; the mapping stays valid until collected
    } catch (IOException e) {
      // nothing more to release
    }
  }
}
