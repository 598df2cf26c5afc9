package io.layerfs.core;

import io.layerfs.core.rootfs.LayerIndex;

/**
 * The kind of a file in a layer or in a merged tree, as a tar header names it.
 *
 * <p>{@link #HARDLINK} appears only in a {@link LayerIndex}, for a hard link whose target is not in
 * the same layer; a {@link Node} of a merged tree never has it (a hard link is the file it names).
 */
public enum EntryType {
  FILE,
  DIRECTORY,
  SYMLINK,
  HARDLINK,
  CHAR_DEVICE,
  BLOCK_DEVICE,
  FIFO
}
