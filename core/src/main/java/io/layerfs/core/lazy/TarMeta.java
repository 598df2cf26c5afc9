package io.layerfs.core.lazy;

import io.layerfs.core.estargz.RawTarReader;
import java.util.Map;

/**
 * What a tar header says of an entry beyond its name, type, size and link: what a stat of it
 * shows ({@link LazyEntry}). Kept per entry a lazy scan or search has read, so it holds no
 * header bytes.
 */
record TarMeta(int mode, int uid, int gid, String userName, String groupName, long mtimeNanos,
    long atimeNanos, long ctimeNanos, int devMajor, int devMinor, Map<String, byte[]> xattrs) {

  static TarMeta of(RawTarReader.Entry e) {
    return new TarMeta(e.mode(), e.uid(), e.gid(), e.userName(), e.groupName(), e.mtimeNanos(),
        e.atimeNanos(), e.ctimeNanos(), e.devMajor(), e.devMinor(),
        e.xattrs().isEmpty() ? Map.of() : Map.copyOf(e.xattrs()));
  }
}
