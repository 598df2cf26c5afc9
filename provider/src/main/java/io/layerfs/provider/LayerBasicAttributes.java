package io.layerfs.provider;

import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.TimeUnit;

/**
 * A node's attributes as plain {@link BasicFileAttributes}, what was asked for and no more: not
 * castable to {@code PosixFileAttributes}, as the default provider's. A class of its own, apart
 * from {@link LayerFileAttributes}, as a walk reads nothing else: a fresh JVM loads only this.
 */
record LayerBasicAttributes(Node node) implements BasicFileAttributes {
  static FileTime time(long nanos) {
    return FileTime.from(nanos, TimeUnit.NANOSECONDS);
  }

  /** A device or a FIFO: neither a file, a directory nor a link (a plain test, no switch map). */
  static boolean isOther(EntryType type) {
    return type == EntryType.CHAR_DEVICE || type == EntryType.BLOCK_DEVICE
        || type == EntryType.FIFO;
  }

  @Override
  public FileTime lastModifiedTime() {
    return time(node.mtimeNanos());
  }

  @Override
  public FileTime lastAccessTime() {
    return time(node.atimeNanos());
  }

  /** Linux keeps no birth time that stat reports: the mtime, as the JDK answers. */
  @Override
  public FileTime creationTime() {
    return lastModifiedTime();
  }

  @Override
  public boolean isRegularFile() {
    return node.type() == EntryType.FILE;
  }

  @Override
  public boolean isDirectory() {
    return node.type() == EntryType.DIRECTORY;
  }

  @Override
  public boolean isSymbolicLink() {
    return node.type() == EntryType.SYMLINK;
  }

  @Override
  public boolean isOther() {
    return isOther(node.type());
  }

  @Override
  public long size() {
    // a constant: javac copies it here, so LayerFileAttributes is not loaded for it
    return node.type() == EntryType.DIRECTORY ? LayerFileAttributes.DIRECTORY_SIZE : node.size();
  }

  @Override
  public Object fileKey() {
    return node.fileKey();
  }
}
