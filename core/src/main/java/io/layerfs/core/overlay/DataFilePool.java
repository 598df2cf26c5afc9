package io.layerfs.core.overlay;

import java.util.ArrayDeque;

/**
 * Emptied data files of deleted container files, kept for new files to reuse: a file deleted in
 * the container truncates its data file {@code data/ID} instead of unlinking it, and the next new
 * file takes over that id and its (empty) data file.
 *
 * <p>Why: creating a file must allocate an inode, and on ext4 without a journal the allocator
 * avoids inodes freed in the last minutes (up to five), checking each free one it passes: after
 * a few thousand deletions, every create there pays hundreds of microseconds.
 * Docker's overlay2 and the host pay that in create-and-delete churn; a container that reuses
 * its own inodes does not, and on other file systems reusing an inode is no dearer than
 * allocating one.
 *
 * <p>An id is only pooled once its file has no name and no open handle left (its data file is
 * empty then), and only ids of files are pooled. Ids are the container's inode numbers, which a
 * file system reuses too; the log replays in order, so the {@code DROP} of the old file precedes
 * the {@code FILE} record of the new one. On load, empty data files no file owns are pooled
 * again, non-empty ones (a crash between a deletion and the truncation) are deleted. At most
 * {@value #MAX} files are kept; beyond that data files are deleted.
 *
 * <p>The pool only keeps the ids; {@link UpperLayer#dropData} empties the files.
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
