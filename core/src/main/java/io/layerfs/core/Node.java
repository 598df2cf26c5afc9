package io.layerfs.core;

import java.util.Map;

/**
 * One file as {@code stat(2)} would describe it: an immutable snapshot of its metadata. A node is
 * either an entry of an image's layers ({@link Lower}: its bytes are a slice of one uncompressed
 * layer tar) or an entry of a container's own writable layer ({@link Upper}).
 *
 * <p>The type is never {@link EntryType#HARDLINK}: a hard link is the file it names, with that
 * file's type, metadata and {@link #fileKey()}; {@link #linkCount()} counts the names sharing it.
 */
public sealed interface Node permits Node.Lower, Node.Upper {

  /** An entry of an image's layers, merged as the OCI layer rules say. */
  non-sealed interface Lower extends Node {
    /** DiffID of {@link #layer()}, the uncompressed blob that {@link #dataOffset()} points into. */
    Digest layerDigest();

    /** Offset of the file's bytes in the uncompressed layer tar. */
    long dataOffset();
  }

  /** An entry of a container's writable layer: {@link #layer()} is -1. */
  non-sealed interface Upper extends Node {}

  /** The resolved absolute path ("/" for the root). */
  String path();

  EntryType type();

  default boolean isDirectory() {
    return type() == EntryType.DIRECTORY;
  }

  default boolean isRegularFile() {
    return type() == EntryType.FILE;
  }

  default boolean isSymbolicLink() {
    return type() == EntryType.SYMLINK;
  }

  /** Permission bits and setuid/setgid/sticky ({@code 07777}). */
  int mode();

  int uid();

  int gid();

  /** Owner name from the tar header ("" when absent). */
  String userName();

  /** Group name from the tar header ("" when absent). */
  String groupName();

  /** Modification time, nanoseconds since the epoch. */
  long mtimeNanos();

  /** Access time, nanoseconds since the epoch. */
  long atimeNanos();

  /** Status change time, nanoseconds since the epoch. */
  long ctimeNanos();

  /** Size in bytes: file data length, symlink target length (UTF-8 bytes), else 0. */
  long size();

  /** Symlink target as stored ("" for other types). */
  String linkTarget();

  int devMajor();

  int devMinor();

  /** Extended attributes ({@code SCHILY.xattr.*} in a layer); a fresh copy. */
  Map<String, byte[]> xattrs();

  /** Index in the layer list (bottom = 0) of the layer that holds this entry; -1 for upper. */
  int layer();

  /** Identity of the underlying file: equal for all hard links to it, distinct otherwise. */
  long fileKey();

  /** Number of visible names of this file (2 + subdirectories for a directory). */
  int linkCount();

  /**
   * Which file system of the container holds the file, as {@code stat(2)}'s {@code st_dev} tells
   * them apart: 0 for the container's own files and its image's, a number of its own for each
   * mount.
   */
  default long device() {
    return 0;
  }
}
