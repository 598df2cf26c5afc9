/**
 * The read-only root file system of an image: layers inflated and indexed once, merged into one
 * tree, and read in place.
 *
 * <p>This package owns the uncompressed layer blobs (blobs like any other, addressed by their
 * DiffID under {@code blobs/<alg>/}; for an uncompressed layer it is the layer blob itself), the
 * layer indexes under {@code layerfs/index/<alg>/<diffId hex>}, and the one shared read channel
 * per uncompressed blob. Compressed blobs are kept as pulled, so umoci and skopeo still see what
 * they wrote. Main types: {@link io.layerfs.core.rootfs.LayerStore} (blobs, indexes, channels),
 * {@code IndexBuilder} (an index built from the blobs, the one pass below), {@link
 * io.layerfs.core.rootfs.TarIndexer} (a tar to a {@link
 * io.layerfs.core.rootfs.LayerIndex}), {@link io.layerfs.core.rootfs.MergedTree} (the layers
 * merged), {@link io.layerfs.core.rootfs.RootFs} (the view of one image) and the nodes lookups
 * answer.
 *
 * <h2>First use of a layer: one pass</h2>
 *
 * The compression is detected from the blob's first bytes ({@link
 * io.layerfs.core.Compression#detect}), as containerd does, not taken from the media type, which
 * must still be a known layer type: skopeo 1.9 labels some uncompressed layers {@code tar+gzip}.
 * A compressed blob is decompressed once, split over two threads so that decompression alone sets
 * the pace ({@link io.layerfs.core.rootfs.InflatePipeline}): a pooled thread decompresses into a
 * bounded ring of 2 MiB buffers; the caller's thread hands each buffer whole to a {@link
 * io.layerfs.core.content.BlobWriter} (which hashes it and writes it to a temp file), then to the
 * indexer, and hashes a slice of the compressed blob beside each chunk, read on its own (trailing
 * bytes after the last frame included): the caller waits for the decompressor anyway, and a
 * hashing thread of its own would take a core from it. {@link io.layerfs.core.rootfs.SyncBehind}
 * flushes the temp file in the background every 8 MiB, so the final fsync finds little dirty.
 * The uncompressed blob commits only if the compressed bytes match the layer's digest and size
 * and the uncompressed bytes hash to the DiffID; a mismatch is an {@link java.io.IOException}
 * naming both digests and leaves neither blob nor index behind. The index is written atomically
 * on the pool while the blob commits (and deleted if the blob fails): an index is only used when
 * its blob exists, so one whose blob never landed is simply built again; an index that fails to
 * load (corrupt, truncated, another format version) or does not belong to the blob (another
 * DiffID, another blob length: an index file swapped in, a blob truncated) is rebuilt from the
 * blob, which is re-verified; a blob that fails that check is rebuilt from the compressed blob
 * when there is one. A failure while inflating (a corrupt gzip trailer, an early end, a zstd
 * error, a zeroed blob read as an empty tar) is an {@link java.io.IOException} naming the blob
 * file and the layer, and saying first whether the compressed bytes still hash to the layer
 * digest.
 *
 * <h2>Indexing a tar</h2>
 *
 * {@link io.layerfs.core.rootfs.TarIndexer} reads the uncompressed tar once, front to back, with
 * Commons Compress. Under it, {@link io.layerfs.core.rootfs.TarGuardStream} walks the tar records
 * on its own: it counts bytes (an entry's data offset, cross-checked with the tar reader), refuses
 * meta entries over the {@code headerBytes} limit (1 MiB) before buffering them (a 4 GiB GNU long
 * name would otherwise be an OOM), and captures {@code SCHILY.xattr.*} values byte for byte.
 * Sparse entries, bad sizes, and a tar that ends inside an entry are an {@code IOException}; the
 * store's {@link io.layerfs.core.Limits} bound each name's bytes and depth, the entries of the
 * layer and of each directory (checked as entries are added), and, for a compressed layer, the
 * inflated bytes ({@code InflateBound}, a multiple of the compressed size), each a {@code
 * LimitException} naming the limit and the entry or layer. {@link
 * io.layerfs.core.rootfs.LayerIndexBuilder} applies the entries in order to an in-memory tree, the
 * layer's own "diff directory" as overlay2 would extract it:
 *
 * <ul>
 *   <li>A later entry for a path replaces the earlier one; a directory over a directory replaces
 *       only its metadata. Every entry implies its parent directories (an <em>implied</em>
 *       directory has no metadata of its own: 0755, 0:0, time 0).
 *   <li>{@code .wh.NAME} records a whiteout of NAME; {@code .wh..wh..opq} marks its directory
 *       opaque; other {@code .wh..wh.*} names and {@code .wh.}, {@code .wh..}, {@code .wh...} are
 *       ignored. A whiteout and an entry for the same path in one layer: the entry stays, marked
 *       <em>fresh</em> (nothing below shows through, as the spec applies whiteouts first); so is a
 *       directory created where the layer had a non-directory.
 *   <li>Below a path this layer has (at that point of the tar) as a non-directory, a whiteout or
 *       opaque marker is ignored and any other entry is an {@code IOException}: what {@code umoci
 *       unpack} does ({@code UnpackEntry}: ENOTDIR on a marker's target means "nothing there",
 *       {@code MkdirAll} of another entry's parent fails). umoci resolves a symlink parent through
 *       the link; layerfs does not write through links while indexing.
 *   <li>A hard link to an earlier entry of the layer shares its inode (metadata and data); one
 *       whose target is not in the layer stays a {@link io.layerfs.core.EntryType#HARDLINK} entry,
 *       resolved by the merged tree in the layers below. A hard link to a directory is an error.
 * </ul>
 *
 * <h2>The layer index file (format version 3)</h2>
 *
 * One little-endian buffer, the same on disk and in memory: a loaded index is a read-only memory
 * map of its file (a heap copy below 64 KiB), read in place, so its heap cost is a few objects
 * whatever the entry count.
 *
 * <pre>
 * header (96)   magic "LFSINDEX" (8), version (int, 3), entryCount, dirCount, stringCount,
 *               linkPairCount, unresolvedCount (ints), extrasLength, poolLength,
 *               totalLength (longs), dataCount, sumCount (ints), blobLength (long),
 *               diffIdOff, diffIdLen (ints: the DiffID string in the pool, "" for none),
 *               16 unused bytes
 * entries       entryCount x 72 bytes, below
 * dirs          dirCount x 16: pathOff, pathLen, firstEntry, entryCount
 * strings       stringCount x 8: off, len (user and group names, deduplicated)
 * link pairs    linkPairCount x 8: (inode, entry) for inodes with several names, sorted
 * data rows     dataCount x 24: dataOffset, size (longs), firstSum, unused (ints): one per
 *               regular file with data (an inode: hard links share it), by data offset
 * unresolved    unresolvedCount x 4: entries that are hard links into a lower layer
 * sums          sumCount x 4: CRC32C of each 64 KiB chunk of each row's data, chunks aligned
 *               to the file's first byte (the last one shorter), row after row
 * (pad to 8)
 * extras        per entry that has any: atime, ctime (longs), devMajor, devMinor, xattr count
 *               (ints), then per xattr: key length, key, value length, value
 * pool          the bytes of names, directory paths, link targets and strings, as the tar
 *               held them (version 2 had made bytes that are not UTF-8 each a {@code ?})
 * crc32c (4)    over everything before it
 *
 * entry (72)    0 name offset, 4 name length, 8 type code (byte), 9 flags (byte), 10 mode
 *               (short, 07777), 12 uid, 16 gid, 20 inode (first entry naming the same file),
 *               24 mtime ns (long), 32 size (long), 40 data offset in the tar (long), 48 link
 *               target offset (-1: none), 52 its length, 56 user name id, 60 group name id
 *               (-1: none), 64 extras offset (-1: none), 68 child directory (-1: none)
 * </pre>
 *
 * <p>The type code is an {@link io.layerfs.core.EntryType#code()} or 7 for a whiteout; flags are
 * 1 implied, 2 opaque, 4 fresh. Entries are sorted by (parent directory path, name), both as
 * unsigned bytes; the root is entry 0 (parent {@code ""}, name {@code ""}); the directory table
 * lists each parent path once, sorted, with its run of entries. A lookup is a binary search in
 * the directory table and one in the run. Loading checks the magic, the version, the lengths
 * (the header's total against the file, the sections against the total), the checksum, every
 * type code and the data rows (sorted, inside the blob, their sums adding up); any mismatch is
 * an {@code IOException} naming the file, and {@link
 * io.layerfs.core.rootfs.LayerStore} then rebuilds the index from its blob. Changing the layout
 * means a new version number: old indexes are then rebuilt, never misread. The file is written
 * to a temp file beside it ({@code .tmp-<hex>*.idx}), fsynced, renamed over, and the directory
 * fsynced.
 *
 * <h2>Merging layers</h2>
 *
 * Going down from the top layer, a name of a directory is taken from the first layer that has
 * it; a whiteout hides the name in the layers below its own; a directory entry marked opaque or
 * fresh stops the walk for its children; a non-directory hides everything below it, and a
 * directory hides a lower non-directory. A directory's metadata is that of the topmost explicit
 * entry in the run of layers where it continuously is a directory (down to a whiteout, a
 * non-directory or a fresh entry), else it is implied. A hard link into a lower layer resolves
 * in the tree of the layers below it, not following its last component (as {@code link(2)}
 * does); if that finds nothing, or a directory, the name does not exist. Known differences from
 * {@code umoci unpack}, which applies every layer to one directory, where layerfs does what
 * overlay2 shows (each layer extracted into a directory of its own, parents created there): a
 * marker in a directory no layer has creates an implied empty directory here, and umoci nothing;
 * an entry or marker under a lower layer's file or symlink, the layer having no entry for that
 * path, makes it an implied directory here, where umoci fails on a file (but ignores a marker
 * under it) and writes through a symlink. {@code RandomImageUmociIT} checks everything else.
 *
 * <h2>Lookup</h2>
 *
 * Paths resolve component by component as Linux does inside a chroot: {@code ..} at the root
 * stays there, absolute symlink targets start at the root, relative ones at the link's
 * directory, and {@code ..} goes to the parent of the directory actually reached. Errors are
 * those of the JDK's default provider on Linux: {@link java.nio.file.NoSuchFileException} for a
 * missing component, {@code FileSystemException(path, null, "Not a directory")} for a
 * non-directory in the middle, {@link java.nio.file.NotDirectoryException} only for listing a
 * non-directory, and "Too many levels of symbolic links" after 40 links. {@code find} answers
 * null instead of throwing for a missing path: existence checks are frequent, and a stack trace
 * costs more than the lookup.
 *
 * <p>Merged directories are computed on first use (their contributing layers and metadata when
 * reached, their children when first searched or listed) and cached in an {@link
 * io.layerfs.core.internal.LruCache}, bounded by the total number of children (one million),
 * least recently stored first; the root stays. A cached directory keeps direct
 * pointers to its computed subdirectories (cleared when a child is evicted), so a lookup of a
 * cached path is one hash probe per component. A plain path (no {@code .}, {@code ..} or link to
 * follow) resolves without allocating per component. Layer indexes are cached by {@link
 * io.layerfs.core.rootfs.LayerStore} in an {@code LruCache} too, bounded by weight (256 MiB by
 * default); concurrent requests for one layer share one build (a monitor: {@code
 * CompletableFuture} is outside the JDK's class archive, and its start sets up the common
 * fork-join pool). Neither needs Caffeine: both are
 * filled once per layer or directory and read only behind faster structures, and Caffeine's
 * start (its classes, a thread pool, the JDK's logging) cost a fresh JVM more than opening an
 * image and listing it. Verified file data ({@code VerifiedChunks}), read hot and concurrently,
 * is cached in stripes of {@code LruCache} by key, so that readers of different chunks rarely
 * share a lock; Caffeine's start there cost the first read of a fresh JVM about 50 ms of CPU. The
 * cache is made on the first read of a file's data: a walk makes none.
 *
 * <h2>Nodes</h2>
 *
 * A lookup answers a node: one file as {@code stat(2)} describes it, an immutable snapshot. Its
 * type is never {@code HARDLINK}: a hard link is the file it names, with that file's type,
 * metadata, data location and file key, and its link count counts the visible names sharing it.
 * A directory takes its metadata from the topmost layer with an explicit entry for it, and its
 * layer is the topmost layer that has it. A node of the image's layers is made on every lookup,
 * so making one only records where its metadata is (the winning index entry, or nothing for an
 * implied directory); accessors read the immutable index when called, strings are decoded on
 * first use and kept (a race decodes twice, with equal results), and the link count is computed
 * on first use (a directory's needs its merged children). A container's upper entries are nodes
 * too, frozen from the upper layer under the container's lock; in the design being merged, the
 * node is a sealed interface of the root package with one implementation per side, this
 * package's for entries of the image's layers and {@code overlay}'s for a container's upper
 * layer.
 *
 * <h2>Reading</h2>
 *
 * A file's bytes are the slice {@code [dataOffset, dataOffset + size)} of its layer's
 * uncompressed tar, read with positional reads on the layer's shared {@link
 * java.nio.channels.FileChannel}: no per-file open, no extraction. A channel closed by an
 * interrupted reader is reopened on the next call.
 *
 * <p>Every read is verified, wherever lower bytes are read: {@link
 * io.layerfs.core.rootfs.RootFs} reads, {@code transferTo} and {@code map} (the mapped range's
 * chunks are verified when mapping), and a container's copy-up and reads of chunks not copied
 * yet (so commit too) all go through {@link io.layerfs.core.rootfs.LayerStore#read}. {@link
 * io.layerfs.core.rootfs.VerifiedLayer} reads a whole 64 KiB chunk of the file into a buffer of
 * its own, compares its CRC32C with the index's, and serves bytes only from that buffer; a
 * short read of the blob is damage too, never zeros or a short result. Verified chunks stay in
 * {@link io.layerfs.core.rootfs.VerifiedChunks}, a cache bounded by bytes (128 MiB, or an eighth
 * of the heap), so sequential small reads and re-reads neither re-read nor re-hash a chunk: as
 * fs-verity trusts verified pages, but the pages are ours, so the bytes served are the bytes
 * verified. {@code transferTo} writes the verified chunks (read-only views) to the target.
 *
 * <p>On damage (a mismatch, a short blob), a layer whose compressed blob is in the store heals:
 * the uncompressed blob and index are rebuilt from it by the same inflate (both digests
 * verified), the shared channel is swapped (the old one stays open for readers still on it) and
 * the read is retried once. One heal per damage: readers that saw the damage wait for the heal
 * and retry with the new checksums. Readers racing a heal verify against whichever index they
 * hold; any correct index of a DiffID has the same checksums, so they never pass wrong bytes.
 * When healing is impossible (an uncompressed layer, a missing or damaged compressed blob) the
 * {@link java.io.IOException} names the path, the layer (digest and DiffID), the blob file, the
 * bytes of the file and why it cannot heal. {@link
 * io.layerfs.core.rootfs.LayerStore#verify} checks a layer in full for {@code fsck}, and {@link
 * io.layerfs.core.rootfs.LayerStore#rebuild} rebuilds it.
 *
 * <p>Thread safety: {@code LayerIndex}, {@code MergedTree}, nodes and {@code RootFs} are
 * immutable once published and safe for any number of threads (two threads computing the same
 * merged directory get equal results); {@code LayerStore} is thread-safe (its channel map is
 * guarded by its own monitor). Builders, the indexer and the inflate pipeline's stages are
 * confined to one thread each.
 */
package io.layerfs.core.rootfs;
