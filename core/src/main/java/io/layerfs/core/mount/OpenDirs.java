package io.layerfs.core.mount;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The directories of a mount that stay open between calls, by their path in the mount, so that
 * reaching a name costs one relative {@code stat} per directory above it rather than an {@code
 * openat} (and the JDK's {@code dup}, {@code fcntl}, {@code fstat} and two {@code close}s) each.
 * A directory is used again only while its name, looked at relative to its parent's open
 * directory without following links, still leads to the same file (device and inode): the caller
 * compares, and {@link #discard}s a renamed, deleted or replaced directory; while a directory is
 * held open its inode cannot be given to another file. Each entry also keeps its last name as the
 * relative path that look-up takes, made once, and the kept directory it was opened in (or that
 * it was opened in the root), so that a caller can take the whole chain of kept directories down
 * to a path at once ({@link #acquireChain}) and check each name from the root down, without a
 * look-up of each prefix. The least recently used are closed once more than {@link #capacity}
 * are open, but never while a caller holds one.
 *
 * <p>Thread safety: any number of threads; one lock guards the table.
 */
final class OpenDirs implements AutoCloseable {
  private final int capacity;
  private final Map<String, Entry> entries;
  /** The leaf {@link #acquireChain} handed out last (maybe evicted since), or null. */
  private Entry lastLeaf;
  private boolean closed;

  /** A directory in the table; it is closed when evicted and no longer held. */
  static final class Entry {
    final SecureDirectoryStream<Path> stream;
    /** The last name of the entry's path, relative, as its parent's stream takes it. */
    final Path name;
    final Object fileKey;
    /** The kept directory this one was opened in, or null (the root, or one not kept). */
    final Entry parent;
    /** Whether this one was opened in the mount's root directory. */
    final boolean top;
    /**
     * The volume's generation at which this directory and the kept ones above it were last
     * found where their names lead ({@link VolumeGeneration#stable}), or {@link
     * VolumeGeneration#UNKNOWN}.
     */
    volatile long generation = VolumeGeneration.UNKNOWN;
    private final String path;
    private int holders;
    private boolean evicted;

    private Entry(String path, Path name, Object fileKey, SecureDirectoryStream<Path> stream,
        Entry parent, boolean top) {
      this.path = path;
      this.name = name;
      this.fileKey = fileKey;
      this.stream = stream;
      this.parent = parent;
      this.top = top;
    }
  }

  OpenDirs(int capacity) {
    this.capacity = capacity;
    this.entries = new LinkedHashMap<>(16, 0.75f, true);
  }

  /**
   * The open directory kept at {@code path}, held until {@link #release} (or {@link #discard}),
   * or null. The caller checks that the name still leads to it ({@link Entry#fileKey}).
   */
  synchronized Entry acquire(String path) {
    Entry e = entries.get(path);
    if (e != null) {
      e.holders++;
    }
    return e;
  }

  /**
   * The open directory kept at {@code path} with every kept directory above it, each held until
   * {@link #releaseChain}, when the whole chain up to one opened in the root is still in the
   * table ({@link Entry#parent}, {@link Entry#top}); null otherwise. The caller checks each name
   * of the chain, from the root down.
   */
  synchronized Entry acquireChain(String path) {
    return acquireChain(path, path.length());
  }

  /**
   * {@link #acquireChain(String)} of {@code path.substring(0, end)}; the chain found last is
   * tried first, which spares the substring and its hash when reads go to one directory.
   */
  synchronized Entry acquireChain(String path, int end) {
    Entry leaf = lastLeaf;
    if (leaf != null && !leaf.evicted && leaf.path.length() == end
        && path.startsWith(leaf.path)) {
      entries.get(leaf.path); // recently used (its hash is cached)
    } else {
      leaf = entries.get(end == path.length() ? path : path.substring(0, end));
      if (leaf == null) {
        return null;
      }
    }
    for (Entry e = leaf; !e.top; ) {
      e = e.parent;
      if (e == null || e.evicted) {
        return null;
      }
      entries.get(e.path); // recently used, as the directory below it
    }
    for (Entry e = leaf; e != null; e = e.top ? null : e.parent) {
      e.holders++;
    }
    lastLeaf = leaf;
    return leaf;
  }

  /** Gives back a chain {@link #acquireChain} handed out. */
  synchronized void releaseChain(Entry leaf) throws IOException {
    for (Entry e = leaf; e != null; e = e.top ? null : e.parent) {
      release(e);
    }
  }

  /**
   * Gives back a held directory whose name no longer leads to it (renamed, deleted or replaced):
   * it leaves the table, and is closed once no caller holds it.
   */
  synchronized void discard(Entry e) throws IOException {
    if (entries.get(e.path) == e) {
      entries.remove(e.path);
    }
    e.evicted = true;
    release(e);
  }

  /**
   * Keeps {@code stream}, just opened at {@code path} (last name {@code name}) where a {@code
   * stat} found {@code fileKey}, and returns it held; or null when it cannot be kept (no file
   * key, or the table is closed), and then the caller closes the stream itself.
   */
  synchronized Entry offer(String path, Path name, Object fileKey,
      SecureDirectoryStream<Path> stream) throws IOException {
    return offer(path, name, fileKey, stream, null, false);
  }

  /**
   * {@link #offer(String, Path, Object, SecureDirectoryStream)}, opened in the kept directory
   * {@code parent} (held by the caller), or in the root when {@code top}: a directory {@link
   * #acquireChain} can reach.
   */
  synchronized Entry offer(String path, Path name, Object fileKey,
      SecureDirectoryStream<Path> stream, Entry parent, boolean top) throws IOException {
    if (closed || fileKey == null || capacity == 0) {
      return null;
    }
    Entry e = new Entry(path, name, fileKey, stream, top ? null : parent, top);
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
    lastLeaf = null;
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
