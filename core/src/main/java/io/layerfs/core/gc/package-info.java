/**
 * Garbage collection of a store: mark and sweep that removes the blobs, layer indexes and
 * signatures nothing references, and stale temp files ({@link
 * io.layerfs.core.gc.GarbageCollector}, the {@code gc} command; the result is a {@link
 * io.layerfs.core.GcReport}).
 *
 * <h2>Roots and marking</h2>
 *
 * The roots are every descriptor of {@code index.json} (tagged or not, of any media type,
 * including the holds that keep each container's image for tools such as {@code umoci gc}) and
 * every container's record ({@code layerfs/containers/NAME/container.json}; a {@code
 * container.json.tmp} of a container being created counts too when it reads): its manifest and
 * config are followed, and its layers and their DiffIDs marked directly, so a container keeps its
 * image even while the manifest blob cannot be read. So is the manifest of every read-only view
 * open in any process ({@link io.layerfs.core.content.ViewHold}: a locked file under {@code
 * layerfs/views/}); the hold file of a process that ended without closing its view is no root
 * and is removed. From each root, JSON blobs are followed
 * generically: every object with a {@code
 * digest} field is a descriptor, and every other string that is a digest ({@code
 * rootfs.diff_ids} of a config, cosign's {@code docker-manifest-digest}, annotations) is a
 * reference too. So image indexes keep their manifests, manifests their config, layers and OCI
 * 1.1 {@code subject}, and configs their uncompressed layers; media types layerfs does not know
 * keep whatever they reference that parses. Every reachable digest also keeps its layer index
 * {@code layerfs/index/<alg>/<hex>} (indexes are keyed by DiffID) and its signatures {@code
 * layerfs/signatures/<alg>/<hex>/}. In the design being merged, the collector asks each
 * subsystem for its roots and its folders instead of knowing their files itself.
 *
 * <p>Only JSON blobs are read, never layers: a descriptor is followed when its media type is a
 * manifest, index or config type ("must"), or ends in {@code json} or is absent, or the digest
 * is a loose string ("maybe": read only if at most 16 MiB and its first non-blank byte is
 * <code>{</code>); layer types, other binary types and {@code diff_ids} are kept without being
 * opened.
 *
 * <h2>Never delete on doubt</h2>
 *
 * If a blob that must be followed (a manifest, an image index, a config: of an {@code index.json}
 * entry, of an index or of a container) is missing or cannot be read (corrupt, too large, not
 * JSON), or a {@code container.json} cannot be read, the reachable set is uncertain: the blob
 * itself is kept, nothing under {@code blobs/}, {@code layerfs/index/} or {@code
 * layerfs/signatures/} is removed, and the report's problems say why (temp files are still
 * cleaned). A missing manifest may be restored, and what only it referenced must still be there
 * then; an image index that lists platforms whose manifests were never copied blocks collection
 * too, until it is untagged or completed. An unreadable {@code index.json} fails the run before
 * anything is deleted.
 *
 * <h2>What goes</h2>
 *
 * <ul>
 *   <li>Unreachable files under {@code blobs/<alg>/} whose names are digests; other files there,
 *       {@code oci-layout} and {@code index.json} are never touched, so the layout stays valid
 *       for umoci and skopeo. A removed blob with a layer index is reported as an uncompressed
 *       layer.
 *   <li>Unreachable layer indexes and signature directories.
 *   <li>Lazy state ({@code layerfs/lazy/<alg>/<hex>/}) of layers nothing references or whose
 *       blob is complete; its sparse partial blob counts as the ranges it holds ({@code
 *       LazyLayers.diskBytes}: the JDK cannot read allocated blocks).
 *   <li>Origin hints ({@code layerfs/origins/<alg>/<hex>}) of blobs the store does not hold or
 *       that this run removes, even when in doubt: a hint only helps a push of a blob the store
 *       has.
 *   <li>Temp files under {@code layerfs/tmp}, index temp files ({@code layerfs/index/<alg>/.tmp-*})
 *       and scratch directories of archive imports ({@code layerfs/unpack-*}, and {@code
 *       layerfs/archive-*}) whose newest file is older than an hour; younger ones may belong to a
 *       write in progress.
 * </ul>
 *
 * <p>Order: the removals of containers a crash cut short ({@code
 * layerfs/containers/.removing-UUID-NAME/}, reported as {@code container-leftover}: no removal is
 * under way while gc holds the gate, and their holds in {@code index.json} are no roots unless a
 * container of that name was created since; each hold is released before any blob goes, and one
 * that cannot be finished keeps its hold and puts the collection in doubt), signatures, layer
 * indexes (an index is only trusted with its blob, so removing it first is safe), blobs, temp
 * files, and the folders of volume removals cut short ({@code layerfs/volumes/.removing-UUID/},
 * {@code volume-leftover}; a removal under way in another process may delete the same folder at
 * the same time, each taking what is still there). A crash part way leaves only garbage that the
 * next run removes. Containers' own files and volumes are never collected: they go with {@code
 * rm} and {@code volume rm}.
 *
 * <h2>Releasing a change</h2>
 *
 * {@code GarbageCollector.releasing} applies an edit of {@code index.json} (an image prune) and
 * sweeps only the digests reachable before it and not after: it marks twice, from the index as
 * it was and as it is, and takes nothing outside the first set, so garbage from before (and temp
 * files) stays for a full run. It holds the lease gate as a full run does, around the edit too.
 *
 * <h2>Concurrency</h2>
 *
 * The whole run (mark and sweep; a dry run too, so its report is what a real run would do) holds
 * the exclusive side of the store's lease gate: it waits until every ingest lease, in this process
 * or another, is closed, and new leases wait until it is done; after the timeout (60 s by default)
 * it fails naming who holds leases. Writers that add blobs without a lease (a plain ingest
 * followed by a later tag) can lose their blob to a collection that runs in between. A read-only
 * view resolves its image and writes its hold under a lease, so a collection sees either no
 * image (the open then fails) or the hold. Calling it from a thread that holds a lease on the
 * store is an {@link IllegalStateException}.
 */
package io.layerfs.core.gc;
