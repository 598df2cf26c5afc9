package io.layerfs.core.mount;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The directories of a mount that stay open between calls, by their path in the mount, so that
 * reaching a name costs one relative {@code stat} per directory above it rather than an {@code
 * openat} (and the JDK's {@code dup}, {@code fcntl}, {@code fstat} and two {@code close}s) each.
 * A directory is used again only while its name, looked at relative to its parent's open
 * directory without following links, still leads to the same file (device and inode): a renamed,
 * deleted or replaced directory is a miss, and while the directory is held open its inode cannot
 * be given to another file. The least recently used are closed once more than {@link #capacity}
 * are open, but never while a caller holds one.
 *
 * <p>Thread safety: any number of threads; one lock guards the table.
 */
final class OpenDirs implements AutoCloseable {
  private final int capacity;
  private final Map<String, Entry> entries;
  private boolean closed;

  /** A directory in the table; it is closed when evicted and no longer held. */
  static final class Entry {
    final SecureDirectoryStream<Path> stream;
    final Object fileKey;
    private int holders;
    private boolean evicted;

    private Entry(SecureDirectoryStream<Path> stream, Object fileKey) {
      this.stream = stream;
      this.fileKey = fileKey;
    }
  }

  OpenDirs(int capacity) {
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(16, 0.75f, true);
  }

  /**
   * The open directory at {@code path} if it is the file {@code fileKey} names, held until
   * {@link #release}; otherwise null, and a stale one there is dropped.
   */
  synchronized Entry acquire(String path, Object fileKey) throws IOException {
    Entry e = entries.get(path);
    if (e == null) {
      return null;
    }
    if (fileKey == null || !Objects.equals(e.fileKey, fileKey)) {
      entries.remove(path);
      evict(e);
      return null;
    }
    e.holders++;
    return e;
  }

  /**
   * Keeps {@code stream}, just opened at {@code path} where a {@code stat} found {@code fileKey},
   * and returns it held; or null when it cannot be kept (no file key, or the table is closed),
   * and then the caller closes the stream itself.
   */
  synchronized Entry offer(String path, Object fileKey, SecureDirectoryStream<Path> stream)
      throws IOException {
    if (closed || fileKey == null || capacity == 0) {
      return null;
    }
    Entry e = new Entry(stream, fileKey);
    e.holders = 1;
    Entry old = entries.put(path, e);
    if (old != null) {
      evict(old);
    }
    Iterator<Entry> eldest = entries.values().iterator();
    while (entries.size() > capacity) {
      Entry victim = eldest.next();
      eldest.remove();
      evict(victim);
    }
    return e;
  }

  /** Gives back a directory {@link #acquire} or {@link #offer} handed out. */
  synchronized void release(Entry e) throws IOException {
    if (--e.holders == 0 && e.evicted) {
      e.stream.close();
    }
  }

  /** Drops every directory at {@code path} or below it (a name this tree removed or renamed). */
  synchronized void forget(String path) throws IOException {
    Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Entry> m = it.next();
      String p = m.getKey();
      if (p.equals(path) || (p.startsWith(path) && p.charAt(path.length()) == '/')) {
        it.remove();
        evict(m.getValue());
      }
    }
  }

  synchronized int size() {
    return entries.size();
  }

  @Override
  public synchronized void close() throws IOException {
    closed = true;
    IOException failure = null;
    for (Entry e : entries.values()) {
      try {
        evict(e);
      } catch (IOException x) {
        failure = failure == null ? x : failure;
      }
    }
    entries.clear();
    if (failure != null) {
      throw failure;
    }
  }

  private static void evict(Entry e) throws IOException {
    e.evicted = true;
    if (e.holders == 0) {
      e.stream.close();
    }
  }
}
