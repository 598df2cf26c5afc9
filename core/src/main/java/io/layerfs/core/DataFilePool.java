package io.layerfs.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

  /**
   * Disposes of the data file {@code path} of file {@code id}, whose last name and user are gone:
   * empties it through {@code open} (the file's still open channel, closed here) or by path, and
   * pools it, or deletes it when the pool is full.
   */
  void recycle(long id, Path path, FileChannel open) throws IOException {
    if (isFull()) {
      if (open != null) {
        open.close();
      }
      Files.deleteIfExists(path);
      return;
    }
    try (FileChannel c = open != null ? open
        : FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      if (open != null) {
        c.truncate(0);
      }
    } catch (NoSuchFileException e) {
      return; // the file never had data
    }
    add(id);
  }

  /** Pools the existing empty data file of {@code id} (found on load). */
  synchronized void add(long id) {
    free.addLast(id);
  }

  synchronized boolean isFull() {
    return free.size() >= MAX;
  }

  synchronized int size() {
    return free.size();
  }
}
