/**
 * Containers and volumes: what names, locks and records a container (an image plus its own
 * writable layer, as {@code docker create} makes it), and the named volumes of a store.
 *
 * <p>The facade users hold, {@code io.layerfs.core.store.Container}, sits in the exported
 * {@code store} package: it opens (or creates) a container by name with the helpers of this
 * package and hands every file operation, diff and commit to the container's {@link
 * io.layerfs.core.overlay.Overlay}. {@code ContainerDirectory}
 * handles what needs no open container (names, {@code container.json}, listing, describing,
 * removing), {@code ContainerLock} the one-writer lock, {@code ContainerReaders} what keeps an
 * open container from removal, and {@link
 * io.layerfs.core.container.Volumes} the volumes.
 *
 * <h2>A container's directory</h2>
 *
 * <pre>
 * layerfs/containers/NAME/
 *   container.json   the container's record (ContainerRecord): its image whole, its id
 *   record.memo      that record as it parsed, with the file's bytes (RecordMemo; derived)
 *   lock             the one-writer lock (an OS file lock)
 *   readers          the lock read-only opens share and a removal takes (ContainerReaders)
 *   held             index.json's file key, size and time when its hold was last found (a hint)
 *   meta.log         the upper layer's metadata records since the last snapshot (overlay)
 *   meta.snap        the upper layer's compacted metadata (overlay)
 *   data/ID          the bytes of upper file ID, sparse for a partial copy-up (overlay)
 *   locks/KEY        lock files for {@code FileChannel.lock} on files that have no data file
 *   locks/d-SHA256   lock files for {@code FileChannel.lock} on directories (by path)
 * </pre>
 *
 * <p>Names match {@code [a-zA-Z0-9][a-zA-Z0-9_.-]*}; a directory without {@code container.json}
 * is not a container. {@code container.json} ({@link io.layerfs.core.container.ContainerRecord})
 * is a pretty-printed JSON object: {@code version} (the number 1), the strings {@code name},
 * {@code id} (the container's identity: a random UUID, which the headers of its metadata log and
 * snapshot carry too, so that another container's file put in their place is refused naming it;
 * a record an older layerfs wrote has none, and is given one, rewritten as it was written, by
 * the first writable open; an older layerfs ignores it),
 * {@code image} (as the user named it), {@code created} (an ISO-8601 instant), {@code manifest}
 * and {@code config} (digests), and {@code layers}, an array of objects {@code mediaType},
 * {@code digest}, {@code size} and {@code diffId}, bottom to top. It records the image whole, so
 * gc and fsck treat the container as a root on its own, without reading the manifest blob; an
 * open checks that the manifest still resolves to that config and those layers. A file that
 * cannot be read whole (missing, truncated, not JSON, no or another {@code version}, a field
 * missing or not parsing) is an {@link java.io.IOException} naming the file and what was
 * expected: the container neither opens nor is described, gc removes nothing, fsck reports it.
 * Unknown fields are ignored; a change of meaning needs a new version. It is written at creation
 * (and once more to add an id to an older record), as {@code container.json.tmp}, forced, renamed
 * and the directory forced; the image is resolved and the file written under an ingest lease,
 * because the file is what keeps the image from the garbage collector (which also counts a {@code
 * container.json.tmp} that parses); a removal holds a lease too (below). Before the
 * record, the image is held in the store's {@code index.json} (an entry without a ref.name,
 * annotated {@code io.layerfs.container=NAME}, naming an image index of its own that lists the
 * manifest; see {@code io.layerfs.core.oci.OciIndex}), because tools that know only the layout
 * ({@code umoci gc}) collect garbage from {@code index.json} alone; a writable open adds the hold
 * back when it is missing (a container made before holds, or a hold a concurrent writer of {@code
 * index.json} dropped), checking only when {@code index.json} changed since {@code held} was
 * written (the check costs a fresh JVM the JSON parser and the security providers). Removing a
 * container takes its lock and renames its folder to {@code .removing-UUID-NAME} (no name starts
 * with a dot), so it is gone at once: a crash part way leaves no half container that {@code
 * list}, an open, gc or fsck would find; then the folder is emptied (on a full disk that frees
 * the room a rewrite of {@code index.json} needs), the hold released and the empty folder, the
 * removal's mark till then, deleted, all under a lease (emptied again if another process's
 * writer open, which found the folder before the rename, made its lock file in it meanwhile:
 * the lock file is opened in the folder held open); a crash in between leaves a folder that
 * gc or {@code fsck --repair} finishes (releasing the hold unless a container of that name was
 * created since), never another removal, which could not tell it from one under way. {@code
 * record.memo} keeps the record with the exact bytes it parsed from, so a fresh JVM reads a
 * record whose file is unchanged without a JSON or date parser (a first open: about 30 ms less);
 * anything else (other bytes, a checksum that fails) is ignored, and only an open under the lock
 * writes it, by rename, so no memo appears in a folder being removed.
 *
 * <p>Opening checks that a given image resolves to the manifest the container was created from
 * (an {@link IllegalArgumentException} naming both otherwise); without {@code container.json}, a
 * writable open creates the container from the given image, and a read-only open of a missing
 * container is a transient view of the image with an empty upper layer, nothing written. An open
 * that finds the container gone between its look and its lock (a removal in another process,
 * perhaps a creation of the same name after it, whose folder it may have locked before its
 * record was written) lets go and looks again, up to three times.
 *
 * <h2>One writer</h2>
 *
 * A writable open holds the container's lock until close: an OS file lock on {@code NAME/lock},
 * which excludes other processes, plus a registry of the lock files this JVM holds, checked first,
 * so a second writer in the same JVM never opens (and, closing it, releases: POSIX locks belong to
 * the process) a channel on a lock file the JVM holds. The second writer gets an {@code
 * IOException} "container NAME is open for writing by another process: close it there first"
 * (or "already open for writing in this process" from the registry). The lock file is opened in
 * the container's folder held open, and once locked the folder is checked to be still the one at
 * its name: a removal elsewhere may rename it away between that open and the lock, and a creation
 * put a new folder of the name in its place, whose lock this is not (such an open or removal finds
 * the container gone). A read-only open takes no writer's lock and shows the state as of
 * opening; many threads may share one open container. It joins the container's readers instead
 * ({@code ContainerReaders}): a shared OS lock on {@code NAME/readers}, which a removal takes
 * exclusively, under the writer's lock, until the folder is renamed away; so a container open
 * read-only anywhere is not removed ("open read-only by another process: close it there
 * first"), as {@code docker rm} refuses a running container, rather than its reads failing once
 * its files are deleted.
 *
 * <h2>Volumes</h2>
 *
 * Volume NAME is the directory {@code layerfs/volumes/NAME/_data}, plain files of the host, as
 * Docker's {@code local} driver lays them out; names follow Docker's rule (at most 255
 * characters). Creating is idempotent. Removing renames the volume's directory to a hidden {@code
 * .removing-<uuid>} (no volume name starts with a dot) and then deletes it, so a failure part way
 * never leaves a half volume that {@code list} shows; the next removal of any volume, and every
 * {@code volume prune}, deletes such remains (removals hold the volume lock, so none is under
 * way then).
 *
 * <p>Thread safety: a {@code Container} is safe for any number of threads (the overlay's lock
 * order applies); the static operations and {@code Volumes} keep no state and rely on the file
 * system's atomic renames, directory creations and file locks across threads and processes.
 */
package io.layerfs.core.container;
