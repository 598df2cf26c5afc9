package io.layerfs.core.rootfs;

import io.layerfs.core.EntryType;
import io.layerfs.core.estargz.EStargzWriter;
import io.layerfs.core.estargz.Toc;
import io.layerfs.core.estargz.TocEntry;
import io.layerfs.core.internal.NameBytes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the {@link LayerIndex} of an eStargz layer from its TOC alone, so a lazily read layer
 * lists and stats without a byte of file data. The index is kept in memory only: its {@code
 * dataOffset}s are not tar offsets but numbers of the {@link #files} list, which a read hands to
 * the lazy layer. The TOC and landmark entries are left out, as the stargz-snapshotter hides
 * them.
 */
final class TocIndexer {
  /** An index and the TOC names of its files, by the dataOffset its entries carry. */
  record Indexed(LayerIndex index, List<String> files) {}

  private TocIndexer() {}

  static Indexed index(Toc toc) throws IOException {
    LayerIndexBuilder builder = new LayerIndexBuilder();
    List<String> files = new ArrayList<>();
    // the snapshotter's writer names a uid or gid only where it changes: carry the names on
    java.util.Map<Long, String> users = new java.util.HashMap<>();
    java.util.Map<Long, String> groups = new java.util.HashMap<>();
    for (TocEntry e : toc.entries()) {
      String clean = Toc.cleanName(e.name());
      if (e.type().equals("chunk") || clean.equals(Toc.TAR_NAME)
          || clean.equals(EStargzWriter.NO_PREFETCH_LANDMARK)
          || clean.equals(".prefetch.landmark")) {
        continue;
      }
      LayerIndexBuilder.Inode ino = new LayerIndexBuilder.Inode();
      ino.type = switch (e.type()) {
        case "dir" -> EntryType.DIRECTORY;
        case "reg" -> EntryType.FILE;
        case "symlink" -> EntryType.SYMLINK;
        case "hardlink" -> EntryType.HARDLINK;
        case "char" -> EntryType.CHAR_DEVICE;
        case "block" -> EntryType.BLOCK_DEVICE;
        case "fifo" -> EntryType.FIFO;
        default -> throw new IOException("TOC entry '" + e.name() + "' has type " + e.type());
      };
      ino.mode = (int) (e.mode() & 07777);
      ino.uid = Math.toIntExact(e.uid());
      ino.gid = Math.toIntExact(e.gid());
      if (!e.userName().isEmpty()) {
        users.put(e.uid(), e.userName());
      }
      if (!e.groupName().isEmpty()) {
        groups.put(e.gid(), e.groupName());
      }
      ino.uname = users.getOrDefault(e.uid(), "");
      ino.gname = groups.getOrDefault(e.gid(), "");
      ino.mtimeNanos = Math.multiplyExact(e.mtimeSeconds(), 1_000_000_000L);
      ino.xattrs = e.xattrs();
      switch (ino.type) {
        case FILE -> {
          ino.size = e.size();
          ino.dataOffset = files.size();
          files.add(e.name());
        }
        case SYMLINK, HARDLINK -> ino.link = e.linkName();
        case CHAR_DEVICE, BLOCK_DEVICE -> {
          ino.devMajor = Math.toIntExact(e.devMajor());
          ino.devMinor = Math.toIntExact(e.devMinor());
        }
        default -> { }
      }
      if (ino.type == EntryType.SYMLINK) {
        ino.size = NameBytes.encode(ino.link).length;
      }
      builder.add(e.name(), ino);
    }
    return new Indexed(builder.build(), List.copyOf(files));
  }
}
