package io.layerfs.core;


/**
 * The kind of a file in a layer or in a merged tree, as a tar header names it.
 *
 * <p>{@link #HARDLINK} appears only in a {@code LayerIndex}, for a hard link whose target is not in
 * the same layer; a {@link Node} of a merged tree never has it (a hard link is the file it names).
 *
 * <p>The {@link #code() codes} are a file format: layer indexes and container metadata records
 * store them, so a code never changes and is never reused; a new type takes a new code (7 is
 * taken by the layer index's whiteout, so the next is 8). They equal the ordinals of the first
 * release, so stores written then still read.
 */
public enum EntryType {
  FILE(0),
  DIRECTORY(1),
  SYMLINK(2),
  HARDLINK(3),
  CHAR_DEVICE(4),
  BLOCK_DEVICE(5),
  FIFO(6);

  private static final EntryType[] BY_CODE = new EntryType[7];

  static {
    for (EntryType t : values()) {
      BY_CODE[t.code] = t;
    }
  }

  private final int code;

  EntryType(int code) {
    this.code = code;
  }

  /** The number that stands for this type on disk. */
  public int code() {
    return code;
  }

  /**
   * The type of an on-disk code.
   *
   * @throws IllegalArgumentException naming the code if no type has it; a reader of a file turns
   *     it into an {@link java.io.IOException} naming the file
   */
  public static EntryType fromCode(int code) {
    EntryType t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    if (t == null) {
      throw new IllegalArgumentException("unknown entry type code " + code);
    }
    return t;
  }
}
