package io.layerfs.provider;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import io.layerfs.core.lazy.LazyEntry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * A file of a {@link LazyTree} as the lazy merge found it; only its link count, which needs the
 * whole tree (the names of a file, the subdirectories of a directory), is asked of the view's
 * full tree, opened for it (an I/O error doing so is thrown as {@link UncheckedIOException},
 * which the attribute views throw as the {@code IOException} it wraps).
 */
final class LazyNode implements Node.Lower {
  private final LazyTree view;
  private final LazyEntry entry;
  private volatile int linkCount;

  LazyNode(LazyTree view, LazyEntry entry) {
    this.view = view;
    this.entry = entry;
  }

  @Override
  public int linkCount() {
    int c = linkCount;
    if (c == 0) {
      try {
        Node whole = Uninterrupted.call(() -> view.full().lookup(entry.path(), false));
        c = whole.linkCount();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      linkCount = c;
    }
    return c;
  }

  @Override
  public Digest layerDigest() {
    return entry.layerDigest();
  }

  @Override
  public long dataOffset() {
    return entry.dataOffset();
  }

  @Override
  public String path() {
    return entry.path();
  }

  @Override
  public EntryType type() {
    return entry.type();
  }

  @Override
  public int mode() {
    return entry.mode();
  }

  @Override
  public int uid() {
    return entry.uid();
  }

  @Override
  public int gid() {
    return entry.gid();
  }

  @Override
  public String userName() {
    return entry.userName();
  }

  @Override
  public String groupName() {
    return entry.groupName();
  }

  @Override
  public long mtimeNanos() {
    return entry.mtimeNanos();
  }

  @Override
  public long atimeNanos() {
    return entry.atimeNanos();
  }

  @Override
  public long ctimeNanos() {
    return entry.ctimeNanos();
  }

  @Override
  public long size() {
    return entry.size();
  }

  @Override
  public String linkTarget() {
    return entry.linkTarget();
  }

  @Override
  public int devMajor() {
    return entry.devMajor();
  }

  @Override
  public int devMinor() {
    return entry.devMinor();
  }

  @Override
  public Map<String, byte[]> xattrs() {
    return entry.xattrs();
  }

  @Override
  public int layer() {
    return entry.layer();
  }

  @Override
  public long fileKey() {
    return entry.fileKey();
  }

  @Override
  public String toString() {
    return entry.toString();
  }
}
