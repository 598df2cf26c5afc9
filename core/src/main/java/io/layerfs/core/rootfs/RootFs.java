package io.layerfs.core.rootfs;

import io.layerfs.core.Digest;
import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.Node;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.content.ViewHold;
import io.layerfs.core.image.Images;
import io.layerfs.core.internal.InJvmLocks;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The read-only root file system of one image: its layers merged into one tree, with the file
 * data read in place from the uncompressed layer blobs.
 *
 * <p>Reads go through {@link LayerStore}, which reads the one shared {@link FileChannel} per
 * layer and verifies each 64 KiB chunk against the layer index's checksums: no per-file open, no
 * extraction. A file's bytes are the slice {@code [dataOffset, dataOffset + size)} of its
 * layer's uncompressed tar.
 *
 * <p>Thread safety: immutable after {@link #open}; safe for any number of threads.
 */
public final class RootFs implements FileTree {
  private final Image image;
  private final MergedTree tree;
  private final LayerStore layers;
  private final List<Digest> diffIds;
  /** The locks of this view's files, which have no host file to lock. */
  final InJvmLocks locks = new InJvmLocks();

  /** What keeps the image from gc while this view is open; closed with it. */
  private final Closeable hold;

  private RootFs(Image image, MergedTree tree, LayerStore layers, List<Digest> diffIds,
      Closeable hold) {
    this.image = image;
    this.tree = tree;
    this.layers = layers;
    this.diffIds = diffIds;
    this.hold = hold;
  }

  /**
   * Resolves {@code ref} in the store and indexes its layers (inflating compressed ones on first
   * use). The caller owns {@code layers} and closes it after the last use of this view.
   */
  public static RootFs open(ContentStore store, LayerStore layers, String ref) throws IOException {
    return open(layers, Images.resolveRemembered(store, ref), ViewHold.none());
  }

  /**
   * A view of {@code image}, resolved by the caller, that closes {@code hold} (what keeps the
   * image from gc) when it closes. The caller owns {@code layers}, as above.
   */
  public static RootFs open(LayerStore layers, Image image, Closeable hold) throws IOException {
    List<LayerIndex> indexes = new ArrayList<>();
    List<Digest> diffIds = new ArrayList<>();
    for (Layer layer : image.layers()) {
      indexes.add(layers.index(layer));
      diffIds.add(layer.diffId());
    }
    return new RootFs(image, MergedTree.of(indexes, diffIds), layers, List.copyOf(diffIds), hold);
  }

  public Image image() {
    return image;
  }

  @Override
  public boolean readOnly() {
    return true;
  }

  /** Opens an image file for reading: a window onto its layer, no system call. */
  @Override
  public FileHandle open(String absPath, Set<? extends OpenOption> options, int createMode)
      throws IOException {
    LayerNode node = lookup(absPath, !options.contains(LinkOption.NOFOLLOW_LINKS));
    EntryType type = node.type();
    if (type != EntryType.FILE && type != EntryType.DIRECTORY && type != EntryType.SYMLINK) {
      // devices and fifos of an image are descriptions, not devices: as a container refuses
      throw new FileSystemException(absPath, null, "Operation not supported");
    }
    return new ImageFileHandle(this, node);
  }

  /** Releases the image's hold; the caller owns the {@link LayerStore}. */
  @Override
  public void close() throws IOException {
    hold.close();
  }

  /** Looks up a normalized absolute path, following symbolic links chroot-style. */
  @Override
  public LayerNode lookup(String path, boolean followLast) throws IOException {
    return tree.lookup(path, followLast);
  }

  /** {@link #lookup}, but null for a missing path (see {@link MergedTree#find}). */
  @Override
  public LayerNode find(String path, boolean followLast) throws IOException {
    return tree.find(path, followLast);
  }

  /** A listing that keeps the directory's node: a child is then one probe away. */
  @Override
  public Listing listing(String dir) throws IOException {
    LayerNode node = tree.lookup(dir, true); // one lookup: the names come from the node
    if (!node.isDirectory()) {
      throw new NotDirectoryException(dir); // as list(dir) says it
    }
    return new NodeListing(dir, tree.list(node), node);
  }

  /** The child {@code name} of a listed directory in one step ({@link MergedTree#findChild}). */
  @Override
  public LayerNode findChild(Listing dir, String name) throws IOException {
    return dir instanceof NodeListing n ? tree.findChild(n.node, name) : null;
  }

  /** The child {@code name} of a directory node, in one step (see {@link MergedTree#findChild}). */
  public LayerNode findChild(LayerNode dir, String name) throws IOException {
    return tree.findChild(dir, name);
  }

  private static final class NodeListing extends Listing {
    final LayerNode node;

    NodeListing(String path, List<String> names, LayerNode node) {
      super(path, names);
      this.node = node;
    }
  }

  /** An image's layers never change, nor does a view of them. */
  @Override
  public boolean immutable() {
    return true;
  }

  /** The sorted names in a directory node. */
  public List<String> list(LayerNode dir) throws IOException {
    return tree.list(dir);
  }

  /** The sorted names in a directory. */
  @Override
  public List<String> list(String dir) throws IOException {
    return tree.list(dir);
  }

  /**
   * Reads file bytes at {@code position} into {@code dst}, filling it up to the end of the file;
   * -1 at the end. The bytes are verified against the layer index's checksums ({@link
   * LayerStore#read}).
   */
  public int read(Node.Lower file, ByteBuffer dst, long position) throws IOException {
    return layers.read(layer(file), file.dataOffset(), file.size(), dst, position);
  }

  /** Transfers verified file bytes to {@code target} ({@link LayerStore#transferTo}). */
  public long transferTo(Node.Lower file, long position, long count, WritableByteChannel target)
      throws IOException {
    return layers.transferTo(layer(file), file.dataOffset(), file.size(), position, count, target);
  }

  /** Maps a read-only slice of the file's bytes, verified when mapped. */
  public MappedByteBuffer map(Node.Lower file, long position, long size) throws IOException {
    return map(file, position, size, FileChannel::map);
  }

  /** {@link #map(Node.Lower, long, long)}, the blob's range mapped by {@code mapper}. */
  public <T> T map(Node.Lower file, long position, long size, FileHandle.Mapper<T> mapper)
      throws IOException {
    return layers.map(layer(file), file.dataOffset(), file.size(), position, size, mapper);
  }

  /** The layers bottom to top, as the image lists them. */
  @Override
  public List<Layer> layers() {
    return image.layers();
  }

  private Layer layer(Node.Lower file) {
    return image.layers().get(file.layer());
  }
}
