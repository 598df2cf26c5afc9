package io.layerfs.core.lazy;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.Node;
import io.layerfs.core.estargz.RawTarReader;
import io.layerfs.core.internal.NameBytes;
import java.util.HashMap;
import java.util.Map;

/**
 * A file of an image as {@link LazyMerge} found it in a lazily read layer: what a view of the
 * image shows at the path, from the header of the entry that wins, without an index of any
 * layer. {@link #linkCount} is not known without the whole tree: 1 for a file (2 for a
 * directory), which a caller that needs it exactly must ask a full view for.
 */
public final class LazyEntry implements Node.Lower {
  private final String path;
  private final EntryType type;
  private final TarMeta meta;
  private final long size;
  private final String link;
  private final int layer;
  private final Digest diffId;
  private final long dataOffset;
  private final long fileKey;
  private final LazyLayer.Lookup found;
  private final LazyLayer source;
  private final long drops;

  /** {@code drops}: the merge's {@link LazyMerge#drops} the entry was found at. */
  LazyEntry(String path, LazyLayer.Lookup found, int layer, LazyLayer source, long fileKey,
      long drops) {
    this.path = path;
    this.type = typeOf(found.type());
    this.meta = found.meta();
    this.link = type == EntryType.SYMLINK ? found.storedLink() : "";
    this.size = switch (type) {
      case FILE -> found.size();
      case SYMLINK -> NameBytes.encode(link).length;
      default -> 0;
    };
    this.layer = layer;
    this.diffId = source.layer().diffId();
    this.dataOffset = found.dataOffset();
    this.fileKey = fileKey;
    this.found = found;
    this.source = source;
    this.drops = drops;
  }

  /** The merge's {@link LazyMerge#drops} when this entry was found. */
  long drops() {
    return drops;
  }

  private static EntryType typeOf(char code) {
    return switch (code) {
      case '0', '\0', '7' -> EntryType.FILE;
      case '2' -> EntryType.SYMLINK;
      case '3' -> EntryType.CHAR_DEVICE;
      case '4' -> EntryType.BLOCK_DEVICE;
      case '5' -> EntryType.DIRECTORY;
      case '6' -> EntryType.FIFO;
      default -> throw new IllegalArgumentException("tar entry type '" + code + "'");
    };
  }

  /** The bytes of the file this entry holds (a search of the stream found them), or 0. */
  long heldBytes() {
    return found.data() == null ? 0 : found.data().length;
  }

  /** The file's bytes, read (inflated only as far as the file) at once. */
  byte[] data() throws java.io.IOException {
    return source.data(path, found);
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public EntryType type() {
    return type;
  }

  @Override
  public int mode() {
    return meta.mode();
  }

  @Override
  public int uid() {
    return meta.uid();
  }

  @Override
  public int gid() {
    return meta.gid();
  }

  @Override
  public String userName() {
    return meta.userName();
  }

  @Override
  public String groupName() {
    return meta.groupName();
  }

  @Override
  public long mtimeNanos() {
    return meta.mtimeNanos();
  }

  @Override
  public long atimeNanos() {
    return meta.atimeNanos() == RawTarReader.NO_TIME ? meta.mtimeNanos() : meta.atimeNanos();
  }

  @Override
  public long ctimeNanos() {
    return meta.ctimeNanos() == RawTarReader.NO_TIME ? meta.mtimeNanos() : meta.ctimeNanos();
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public String linkTarget() {
    return link;
  }

  @Override
  public int devMajor() {
    return meta.devMajor();
  }

  @Override
  public int devMinor() {
    return meta.devMinor();
  }

  @Override
  public Map<String, byte[]> xattrs() {
    if (meta.xattrs().isEmpty()) {
      return Map.of();
    }
    Map<String, byte[]> copy = new HashMap<>();
    meta.xattrs().forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  @Override
  public int layer() {
    return layer;
  }

  @Override
  public Digest layerDigest() {
    return diffId;
  }

  /** Offset of the file's bytes in the layer's tar; -1 when a search of the stream found it. */
  @Override
  public long dataOffset() {
    return dataOffset;
  }

  @Override
  public long fileKey() {
    return fileKey;
  }

  @Override
  public int linkCount() {
    return type == EntryType.DIRECTORY ? 2 : 1;
  }

  @Override
  public String toString() {
    return "LazyEntry[" + path + " " + type + " " + Integer.toOctalString(mode()) + " size="
        + size + " layer=" + layer + "]";
  }
}
