/**
 * The content-addressed store: an OCI image layout directory whose blobs never change, its
 * {@code index.json} of tags, and the leases that keep the garbage collector away from blobs
 * still being written.
 *
 * <p>{@link io.layerfs.core.content.ContentStore} opens (or creates) the layout, reads blobs,
 * ingests and tags; {@link io.layerfs.core.content.BlobWriter} writes one blob; {@link
 * io.layerfs.core.content.VerifiedCopy} copies a file into the store checking its size and
 * digest; {@link io.layerfs.core.content.Lease} and {@link io.layerfs.core.content.LeaseGate} are
 * the ingest leases, {@link io.layerfs.core.content.ViewHold} the holds of open views.
 *
 * <h2>The layout</h2>
 *
 * <pre>
 * oci-layout          {"imageLayoutVersion":"1.0.0"}
 * index.json          the OCI image index of the layout: one descriptor per tagged image, and
 *                     one without a ref.name per image kept untagged
 * blobs/ALG/HEX       every blob, named by its digest (sha256 or sha512)
 * layerfs/            layerfs' own state, which umoci and skopeo ignore
 *   index.lock        file lock of index.json updates across processes
 *   gc.lock           file lock of the lease gate: shared by leases, exclusive by gc
 *   views/            PID-N-ALG-HEX.hold: the manifest an open read-only view reads
 *   tmp/              temp files of writes in progress, PREFIX-UUID.tmp
 * </pre>
 *
 * <p>Opening an empty or missing directory creates the layout, {@code oci-layout} last, since its
 * presence marks a complete layout; opening an existing one changes nothing. A non-empty
 * directory without {@code oci-layout} is refused, and so is an {@code imageLayoutVersion} that
 * is not 1.x (an {@code IOException} naming the file) or a layout without {@code index.json}. A
 * layout written by umoci or skopeo opens as it is, and stays readable by them: fields and entries
 * layerfs does not understand are written back as read. The subsystems above keep their own
 * files under {@code layerfs/}.
 *
 * <h2>Writes</h2>
 *
 * A blob is written as containerd ingests one: a temp file under {@code layerfs/tmp}, hashed as
 * it is written, fsynced, its size and digest checked against what the caller expects, renamed
 * atomically to {@code blobs/<alg>/<hex>}, and the directory fsynced. A crash before the rename
 * leaves only a temp file (removed by gc after an hour); a blob that exists is never rewritten;
 * writing past the expected size fails at once, so a lying source cannot fill the disk.
 * {@code index.json} is replaced the same way, so a reader sees the old or the new file. Its
 * read-modify-write cycles are serialized by a lock per layout directory within the JVM, then by
 * a file lock on {@code layerfs/index.lock} across JVMs. Tagging moves a tag; the image it
 * leaves stays untagged when nothing else names it, as docker keeps a dangling image.
 *
 * <h2>Leases</h2>
 *
 * A multi-step writer (import, commit, image build: blobs first, tag last) holds a lease around
 * the whole write; the garbage collector waits until no lease is held, in any process, and new
 * leases wait while it runs. Across processes the gate is a file lock on {@code
 * layerfs/gc.lock}, shared while the JVM holds any lease and exclusive while it collects; within
 * the JVM it is a counting monitor, because a second file lock on one file in one JVM throws. A
 * monitor rather than a read-write lock, on purpose: a lease may be closed by another thread than
 * the one that took it, and a queued writer would make new readers wait, so an import taking a
 * second lease in a helper thread while a collector waits would deadlock. A lease therefore waits
 * only for a running collection; a collector can be starved and then fails after its timeout,
 * saying so. Leases are reentrant (counted). Lock order: the gate's monitor, then the file lock.
 *
 * <p>A read-only view keeps its image from gc with a hold (containers keep theirs through their
 * records): a file under {@code layerfs/views/}, locked exclusively while the view is open. It
 * is made under a lease taken before the image is resolved, so gc, which scans the holds while
 * it holds the gate exclusively, never sees a hold half made nor misses one made after its
 * marking began. A hold whose lock is free belongs to a process that died; gc removes it. This
 * JVM's own holds are known in memory: gc must not open their files, as closing its descriptor
 * would drop the view's POSIX lock, which belongs to the process.
 *
 * <p>Thread safety: {@code ContentStore} and the lease gate are safe for concurrent use; a
 * {@code BlobWriter} belongs to one thread. Committed blobs never change, so reads need no lock.
 */
package io.layerfs.core.content;
