package io.layerfs.core.overlay;

import io.layerfs.core.Node;
import java.util.Map;
import java.util.TreeMap;

/**
 * An entry of a container's upper layer: the metadata every kind shares. {@link UpperDir} and
 * {@link UpperFile} (every non-directory, hard links included) add the rest; {@link #WHITEOUT}
 * marks a deleted lower name in its directory.
 *
 * <p>Mutable; guarded by the container's tree lock (see {@link Overlay}), except the data state
 * of an {@link UpperFile}, which its own monitor guards.
 */
abstract class UpperEntry {
  /** A deleted lower name: hides the name of the directory's lower path. */
  static final UpperEntry WHITEOUT = new UpperEntry(-1) {};

  /**
   * Identity: unique among the container's live entries, never reused within a session; the
   * data file name of a file. A new file may take over the emptied data file of a deleted one
   * under its own id ({@link DataFilePool}).
   */
  final long id;
  int mode;
  int uid;
  int gid;
  String userName = "";
  String groupName = "";
  long mtime;
  long atime;
  long ctime;
  Map<String, byte[]> xattrs = new TreeMap<>();

  UpperEntry(long id) {
    this.id = id;
  }

  /** Copies the metadata of a lower node (copy-up). */
  void copyMeta(Node n) {
    mode = n.mode();
    uid = n.uid();
    gid = n.gid();
    userName = n.userName();
    groupName = n.groupName();
    mtime = n.mtimeNanos();
    atime = n.atimeNanos();
    ctime = n.ctimeNanos();
    xattrs = new TreeMap<>(n.xattrs());
  }

  /** Sets all times to {@code nanos}, as a freshly created entry has. */
  void born(long nanos) {
    mtime = nanos;
    atime = nanos;
    ctime = nanos;
  }

  /** The identity a {@link Node} reports: for an entry made here, distinct from every lower key. */
  long fileKey() {
    return Long.MIN_VALUE | id;
  }
}
