package io.layerfs.core.overlay;

import java.util.ArrayDeque;

/**
 * Emptied data files of deleted container files, kept for new files to reuse: deleting a file
 * truncates its data file {@code data/ID} and renames it to an id no entry ever had instead of
 * unlinking it, and the next new file takes that id over (never the old name: a read-only view
 * of the container loaded before the deletion would read the new file's bytes as the deleted
 * one's; files pooled at load are renamed when taken). On ext4 without a journal, the inode
 * allocator avoids recently freed inodes and
 * checks each one it passes, so after a few thousand deletions every create pays hundreds of
 * microseconds; reusing the container's own inodes avoids that, and elsewhere costs nothing.
 *
 * <p>Only ids of files with no name and no open handle are pooled, at most {@value #MAX}; the
 * pool keeps the ids, {@link UpperLayer#dropData} empties the files.
 *
 * <p>Thread-safe: deletions happen under the tree lock or under a file's own monitor.
 */
final class DataFilePool {
  static final int MAX = 1 << 16;

  private final ArrayDeque<Long> free = new ArrayDeque<>();

  /** An id whose data file exists and is empty, or -1. */
  synchronized long take() {
    Long id = free.pollLast();
    return id == null ? -1 : id;
  }

  /** Pools {@code id}, whose data file exists and is empty. */
  synchronized void add(long id) {
    free.addLast(id);
  }

  synchronized boolean isFull() {
    return free.size() >= MAX;
  }
}
