/**
 * The copy-on-write engine of a container: its upper layer over the image's read-only root file
 * system, resolved as Docker's overlay2 resolves it, persisted as a metadata log, a snapshot and
 * one data file per file; and the container's changes as {@code docker diff} lists them and as a
 * layer tar for commit.
 *
 * <p>This package owns, in a container's directory {@code layerfs/containers/NAME/}: {@code
 * meta.log}, {@code meta.snap} (and {@code meta.snap.tmp} while one is written), {@code data/ID}
 * and {@code locks/KEY} (and {@code locks/d-SHA256} of directories). The directory itself, its
 * {@code container.json} and its {@code lock} belong to the {@code container} package. Main types:
 * {@link io.layerfs.core.overlay.Overlay} (every read and change, with the JDK's Linux results and
 * exceptions), {@link io.layerfs.core.overlay.ContainerTree} (the merged view), {@link
 * io.layerfs.core.overlay.UpperLayer} (the upper entries and their records), {@link
 * io.layerfs.core.overlay.UpperDir} and {@link io.layerfs.core.overlay.UpperFile}, {@link
 * io.layerfs.core.overlay.MetaLog} (the log and snapshot files), {@link
 * io.layerfs.core.overlay.ContainerHandle} (an open file), {@link
 * io.layerfs.core.overlay.ChangeWalk} (diff), {@link io.layerfs.core.overlay.LayerCommit} and
 * {@link io.layerfs.core.overlay.ImageFlattener} (commit and flatten), {@link
 * io.layerfs.core.overlay.ContainerCheck} (the check and repair behind {@code fsck}).
 *
 * <h2>The merged view</h2>
 *
 * A directory of the view is a cursor: its upper directory (or none while it is only in the
 * image) and its lower path (or none: opaque or new). A name in it is the upper child if the upper
 * directory has one (a whiteout: no such name), else the lower child at the lower path, found in
 * the image's {@link io.layerfs.core.rootfs.RootFs}. An upper directory's lower path is overlay2's
 * three flags in one field: none is an opaque or new directory, its own path is a plain copied-up
 * directory, any other path is a redirect (a renamed image directory, overlay2's {@code
 * redirect_dir}), which keeps showing the children of the directory it came from. Layers are
 * immutable, so a lower path never changes meaning. Symbolic links resolve chroot-style across
 * both sides, as in the merged tree of the image.
 *
 * <h2>How a write flows</h2>
 *
 * Opening an image file for writing takes the tree's write lock, resolves the path, copies the
 * parent chain up (metadata only: one {@code DIR} op per directory) and makes the file a
 * <em>metacopy</em>: an {@link io.layerfs.core.overlay.UpperFile} with the image file's metadata
 * and, as its origin, the layer, offset and size of its bytes, with an empty chunk bitmap and no
 * data file. The {@code FILE} and {@code LINK} ops of that change are one record, appended to the
 * log before {@code open} returns. A write then takes the file's monitor and, for each 64 KiB
 * chunk it touches that is not yet in the bitmap, copies the chunk's lower bytes into the sparse
 * data file {@code data/ID} (unless the write covers the chunk whole) and writes the bytes; only
 * then are the chunks marked, and the file's new state appended to the log before the write
 * returns.
 * Byte {@code p} of a file is read from the lower layer when {@code p} is below the origin size
 * and its chunk is not in the bitmap, else from the data file (a hole, or a position past its end,
 * reads as zeros). So appending a line to a 1 GiB image file copies at most one chunk; {@code
 * chmod}, {@code chown}, {@code touch}, rename and hard links of an image file copy metadata only;
 * when every chunk is present the origin is dropped, and a {@code map} first copies every chunk
 * (a read-only container, which cannot, maps the image's bytes, the data file, or a private copy
 * of a range that needs both). Deleting an image name records a whiteout; removing an image
 * directory and creating it again gives an opaque directory; renaming an image directory makes a
 * redirect and copies no data. A copy-up is per name, so hard links of an image file break on
 * copy-up, as overlay2's do. A channel opened for reading on an image file moves onto the file's
 * copy-up when another operation makes one ({@code LowerReaders}, by the image entry, so one
 * name of a hard link keeps the image's bytes when another is copied up), and so reads what is
 * written from then on, as a file descriptor on the kernel's overlay does since Linux 4.19.
 *
 * <h2>Records, the log and the snapshot</h2>
 *
 * A record is a batch of ops applied together, so a rename (unlink one name, link another) is
 * atomic. Each op assigns state, so replaying a record over a state that already holds it changes
 * nothing. Ops, big-endian as {@link java.io.DataOutputStream} writes them (a string is an int
 * length and UTF-8 bytes, bytes an int length and the bytes):
 *
 * <pre>
 * 1 DIR     id (long), meta, has lower path (boolean), [lower path (string)]
 * 2 FILE    id (long), meta, type (byte: EntryType code), link target (string), devMajor,
 *           devMinor (ints), size (long), origin layer (int, -1: none), origin offset, origin
 *           size (longs), chunk bitmap (bytes, BitSet.toByteArray)
 * 3 LINK    parent id (long), name (string), child id (long, -1: a whiteout)
 * 4 UNLINK  parent id (long), name (string)
 * 5 DROP    id (long)
 * 6 IMAGE_KEY id (long), file key of the image file it was copied up from (long)
 * 7 KEPT_IMAGE_KEY  as IMAGE_KEY, for a file or directory whose key is the image entry's
 * meta      mode, uid, gid (ints), user name, group name (strings), mtime, atime, ctime (longs,
 *           ns), xattr count (int), then per xattr: name (string), value (bytes)
 * </pre>
 *
 * <p>The root directory has id 0. Ids name data files; a deleted file's emptied data file is kept
 * (up to 65,536) and a new file takes over its id, because on ext4 without a journal allocating
 * an inode after many deletions costs hundreds of microseconds; the log replays in order, so the
 * old file's {@code DROP} precedes the new one's {@code FILE}. A data file that was ever mapped
 * is never reused: a mapping outlives its channel and cannot be tracked, so when its file goes
 * the data file is unlinked, and the mapping keeps the old bytes as on the host (emptying it
 * would fault the mapping, reusing it would show another file's bytes). A read-only view, whose
 * handles its writer (perhaps another process) cannot see, checks after each read through a data
 * file that the file still has its name: the writer renames a data file away before anything
 * reuses it, so a read that still finds the name read the deleted file's bytes, and one that
 * does not is an error (a mapping the view made cannot be checked so). Such an error, and a data
 * file shorter than the view's state says (the writer truncated the file since), need not be
 * damage: the view's handle then loads the container's state again ({@code Overlay.reload},
 * one load shared by the view's handles until one finds it stale too) and reads the path there
 * from then on, up to three loads a read ({@code ContainerHandle}); a path gone from that state
 * is a file the writer deleted, and what still disagrees is damage. The view's export does the
 * same per file ({@code ExportFollow}): it reads a file's first bytes (all of one up to 8 MiB)
 * before writing its tar header, so a file found stale goes in as the state loaded again has it,
 * header and bytes, and one deleted since is left out.
 * Link counts are derived after loading, and entries no name reaches are dropped then. Data
 * files are opened and deleted relative to the data directory, held open ({@code openat}), so
 * creating a small file looks up one name instead of the store's whole path.
 *
 * <p>{@code IMAGE_KEY} (version 3) follows the {@code FILE} op of a copy-up, and of every copied-up
 * file in a snapshot. It gives the file its lock identity: {@code FileChannel.lock} on a file
 * with no data file of its own (an image file) goes through {@code locks/KEY}, KEY the image
 * file's key, and a file copied up keeps locking that same lock file, never its data file, so a
 * lock taken through a handle opened before the copy-up (or by a read-only process that still
 * sees the image file) and one taken after exclude each other, across processes, and within one
 * JVM throw {@code OverlappingFileLockException} as the JDK's rules ask. A read-only container
 * makes the lock file when no writer made it yet (the one file it makes here), so its lock holds
 * against a writer's later one; in a store it cannot write, such a lock, and that of a file of
 * its own with no data file, is held in the container's table for this process (by the JDK's
 * rules for one JVM; no other process sees it). A directory opened as a handle of this package
 * locks {@code locks/d-SHA256}, the SHA-256 of its path (the provider locks a directory opened
 * as a channel in its file system's own table, by the directory's key, which a copied-up
 * directory keeps, {@code UpperDir.imageKey}): the {@code d-} keeps it apart from every file's
 * bare hex key and the hash from every other directory's (the path's 32-bit hash code, used
 * before, collided with both).
 *
 * <p>{@code KEPT_IMAGE_KEY} (version 5) stands in its place for a file whose image file had no
 * other name, and follows the {@code DIR} op of every directory copied up: the entry's key
 * ({@code fileKey}, {@code unix:ino}) stays the image entry's, as overlayfs keeps such an inode's
 * number across its copy-up, so a program that compares keys sees one file before and after the
 * first write, and after a reopen. The names of an image's hard link part at a copy-up there, so
 * a name copied up gets a key of its own.
 *
 * <p>{@code meta.log} is a 40-byte header, {@code [long magic "LFSMLOG1"][int version 5][long
 * generation][long, long container id][int CRC32C of the 36 bytes before]}, then {@code [int
 * length][int CRC32C of the payload][payload]} records, big-endian. The container id is the random
 * UUID of {@code container.json} (zeros: none, for a container opened without a record); both files
 * carry it so that another container's file, which reads just as well and may even have the same
 * generation, is refused: a file whose id is not the record's, or a log and a snapshot of different
 * ids (one of them with none), is an {@code IOException} naming the file. Version 2 and 3 headers
 * (24 bytes, no id) are read as before and checked against nothing. A record is copied into a
 * shared memory mapping of the end of the file, payload and checksum first, then a store fence, the
 * length last; the file grows ahead by 1 MiB of written zeros, so a full disk is an {@code
 * IOException} when growing rather than a fault on a mapped page. A killed process can therefore
 * leave only an incomplete <em>last</em> record: replay stops at the first record that is empty
 * (the zeros past the end), longer than 64 MiB or than the file, or fails its checksum, and that is
 * a torn tail, which a writer cuts, only if no intact record follows it anywhere in the file. An
 * intact record after a bad one is corruption, and so are a log shorter than its header, a wrong
 * magic (a zeroed file, or one of an older layerfs, whose log had no header), version or header
 * checksum: each is an {@code IOException} naming the file and the byte offset, for a read-write
 * and a read-only open alike, since serving a state that silently lacks acknowledged writes is
 * worse than refusing. A record with an unknown op or type code, or one that ends inside an op, is
 * an {@code IOException} naming the file and the record's offset.
 *
 * <p>{@code meta.snap} is {@code [long magic "LFSMETA1"][int version 5][long generation][long, long
 * container id][int length][int CRC32C of the generation, the id and the payload]} (version 2 and
 * 3: no id, the CRC32C of the generation and the payload) followed by a payload of the same ops
 * ({@code DIR} of every directory, {@code FILE} of every file, {@code LINK} of every name),
 * big-endian. Generations tie the two files together. A new container's log has generation 0 and
 * there is no snapshot. Closing the container writes the snapshot of generation G + 1 (the log's G
 * plus one) to {@code meta.snap.tmp}, forces it, renames it over the old one, forces the directory
 * and only then empties the log: it cuts it to its header and rewrites the header with generation G
 * + 1. When the log is empty and no file has an unlogged size or times (nothing changed since the
 * last compaction), the snapshot already holds the state and the close writes nothing: a container
 * opened only to read leaves its files as they were. A writer that stays open compacts too, once
 * the log holds 256 KiB of records or four times the snapshot's bytes, whichever is more (so a
 * compaction, which rewrites the whole state, is paid for by as many logged bytes): every load
 * replays the log, and a program that writes for days must not fill the disk with it. It compacts
 * at the end of a change, under the tree's write lock, or after a handle's close logs a file, if
 * that lock is free. Records of files come without that lock (a size a writing thread logs), so the
 * log marks its end before the state is taken and, holding its own monitor so that no record comes
 * meanwhile, writes the records since the mark after the state in the new snapshot (each states a
 * file whole: replayed twice is harmless). The log is then emptied as at a close. A compaction that
 * fails before the snapshot is renamed into place (a full disk) changes nothing and is tried again
 * once as many bytes more are logged; one that fails after leaves the log refusing records until
 * the container reopens. Loading reads the snapshot, then the log: a log of the snapshot's
 * generation is replayed; one generation behind is a compaction stopped before emptying the log
 * (its records are in the snapshot), skipped and emptied by a writer; any other generation, a log
 * of generation above 0 without a snapshot, a missing log beside a snapshot, or a missing log and
 * snapshot beside a {@code data} directory (a writer creates the log, by temp file and rename,
 * before the data directory) is an {@code IOException} naming the files. A container never written
 * (no log, no snapshot, no data directory) opens empty. A read-only open that races a compaction
 * reads both files again (three reads in all at most), also where the log raised no problem but the
 * snapshot was replaced since it was read (a log being emptied holds no records for a moment under
 * the old header). A wrong magic, a version other than 2 to 5, a wrong length or checksum of the
 * snapshot is an {@code IOException} naming the file: version 1 containers are refused, never
 * misread. Version 2 files are version 3 without {@code IMAGE_KEY}, version 3 files version 4
 * without the id, version 4 files version 5 without {@code KEPT_IMAGE_KEY}; all read as they are. A
 * writer that opens files of an older version, or without the id its record now carries, compacts
 * them at once (snapshot of the next generation, then the log emptied into it), so the files it
 * appends to are version 5 with the id; a layerfs that reads only up to version 4 refuses them,
 * naming the version. The ops have no version of their own: a change to them or to the meta
 * encoding needs a new version of both files.
 *
 * <h2>Durability</h2>
 *
 * The log's mapped pages are the kernel's page cache, which outlives a killed process: a crash of
 * the JVM ({@code kill -9}) loses at most the operation in flight. Copied chunks reach the data
 * file before the record that adds them to the bitmap, so a crashed process never exposes a hole
 * as data. Size and times changed by plain writes are logged lazily (when a handle is closed or
 * forced, and at close); on reopen a file's size is at least its data file's length, since writes
 * land at their own offsets. The log is forced to the disk only when a caller forces a file
 * (data file first, then the log) and when the container closes, as a host file system keeps
 * unforced writes: after a machine crash, only what was forced is certain (unforced records may
 * then be torn anywhere, and a log whose torn record has an intact one after it is refused;
 * {@link io.layerfs.core.overlay.ContainerCheck#repair} cuts it). On load, and only after a load
 * that found no problem, a writer drops the data files no file owns (pooling the empty ones).
 *
 * <p>Nothing is applied before it is logged. A change takes log space before it touches memory:
 * {@code UpperLayer.batch} (every mutation) and a write that copies chunks, a truncate or a
 * copy-up for {@code map} first make sure the mapping holds 256 KiB past the last record, growing
 * the file by writing zeros if not, so a full disk (ENOSPC) fails there with nothing changed, and
 * the same operation succeeds once space returns. Reserving was chosen over undoing: a batch
 * changes the directory maps, link counts, ids and the data file pool as it records, and undoing
 * all of that on every error path would be far more code than one check that costs a comparison
 * while space remains ({@code setxattr} reserves room for the entry's attributes on top). A
 * record larger than the reservation (a chunk bitmap of a file of hundreds of GiB, or the state
 * of a file with megabytes of extended attributes, which a link or a write logs) that then
 * meets a full disk leaves memory ahead of the log; the container then refuses further changes
 * and, at close, writes no snapshot (the log, which the next open replays, stays the truth). A
 * file's own state, which is small, is undone instead: a write
 * marks chunks and grows the size only after its bytes are in the data file, and puts size,
 * times, origin and bitmap back if logging them fails; a failed write cuts from the data file what
 * it added past the size (which a reopen would take for bytes written). A truncate is logged
 * before the data file shrinks. Tests fill the disk on demand through {@code
 * UpperLayer.wrapChannels}, a package-private seam around the log's and data files' channels,
 * and see the forces through it and through {@code MetaLog.Opener}, which opens the metadata
 * files and their directory.
 *
 * <p>Data files are checked against the log, with one {@code fstat} when a file's data file is
 * opened (its first read or write through a handle): it must exist and hold {@code
 * UpperFile.dataLength} bytes, the size of a file with no lower origin (writes and read-write
 * mappings extend the data file that far; a truncate never extends), else the end of the highest
 * chunk copied and any bytes appended past the origin. A missing or shorter one is an {@code
 * IOException} naming the container, the path inside it and the data file, never zeros; it is
 * never created afresh. {@link io.layerfs.core.overlay.ContainerCheck#check} does the same for
 * every file without opening the container. A data file cut after it was opened is the same
 * error at the first read that meets its end. A file with no origin left has all its bytes in
 * its data file, and its {@code transferTo} is the data file's, which lets the OS copy.
 *
 * <h2>Diff and commit</h2>
 *
 * {@link io.layerfs.core.overlay.ChangeWalk} follows the upper layer, not the whole tree. A
 * directory copied up in place is walked incrementally: an entry for it, then only its upper
 * children (whiteouts become {@code .wh.NAME}). Any other upper directory (new, opaque, or a
 * redirect) is walked in full: the directory, an opaque marker when the image has a directory
 * there, and every name of the merged directory; that is how a redirect becomes plain OCI layer
 * entries. For {@code docker diff}, an entry is {@code A} when the image has nothing at its path
 * and {@code C} when it has; a whiteout is {@code D}, and so is each image name gone from a
 * directory walked in full (not its children). The root is a {@code ./} entry when its own
 * metadata changed, never a diff line. {@link io.layerfs.core.overlay.LayerTarWriter} writes the
 * walk as an OCI layer tar: parents before children, names sorted, second and later names of a
 * file as hard links to the first, and one PAX header per entry built here for what ustar cannot
 * hold (long or non-ASCII names, nanosecond times, binary xattrs byte for byte, which Commons
 * Compress would mangle); sizes of 8 GiB and more in base-256. The output depends only on the
 * walk (no atime, ctime or host names; times clamped to a {@code SOURCE_DATE_EPOCH}), so equal
 * container states give equal layers. {@link io.layerfs.core.overlay.LayerCommit} compresses it
 * into a blob, keeps the tar itself as the blob of its DiffID (so the store never inflates a
 * layer it wrote) and has {@link io.layerfs.core.image.ImageAssembler} write the image, under an
 * ingest lease. {@link io.layerfs.core.overlay.ImageFlattener} walks an image with an empty upper
 * layer in full: one layer, no whiteouts.
 *
 * <h2>Thread safety and lock order</h2>
 *
 * An {@code Overlay} is safe for any number of threads. Locks are taken in this order: the tree
 * lock (a read-write lock: read for lookups, listings, opening for reading, diff and commit;
 * write for every mutation and opening for writing), then an {@code UpperFile}'s monitor (its
 * data state: size, origin, bitmap, channel, and its metadata fields), then the {@code MetaLog}'s
 * monitor (appends). The maps of the upper layer and the children of upper directories are
 * guarded by the tree lock; a record is built and committed under the write lock, except a
 * file's own state, which file handles log without the tree lock, encoded and appended under the
 * file's monitor (and the log's for the append), so that a file's records go in the order its
 * states were taken. A change under the write lock that took an existing file's state (a chmod)
 * appends it later; where a handle logged the file meanwhile, the change logs the file once more,
 * so its last record is its last state. A truncation compares sizes under the file's monitor.
 * The data file pool and the data directory lock themselves. Commit holds the read lock, so
 * mutations wait; writes through handles already open should be finished first (as Docker pauses
 * a container), or their bytes may land half in the layer.
 */
package io.layerfs.core.overlay;
