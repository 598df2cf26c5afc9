/**
 * Checking a store, as {@code git fsck} checks a repository ({@link io.layerfs.core.fsck.Fsck},
 * {@code Store.fsck}, the {@code fsck} command; the result is a {@link
 * io.layerfs.core.FsckReport}).
 *
 * <h2>Checks</h2>
 *
 * {@code Fsck} runs one small class per kind of check, in order, over one {@code FsckRun} that
 * holds the problems and what the earlier checks learned for the later ones:
 *
 * <ol>
 *   <li>{@code ImageCheck}: every entry of {@code index.json}, tagged or not, is followed to
 *       every manifest of an image index (all platforms), each manifest's config and layers; a
 *       manifest, index or config that does not parse, an unknown layer type, or a config whose
 *       {@code diff_ids} do not match the layers is a broken image. The blobs are recorded as
 *       needed, with who needs them and the size their descriptor says; the layers are recorded,
 *       and which uncompressed blob (named by its DiffID) is derived from which compressed one.
 *       {@code index.json} itself has no checksum (the OCI layout gives it none, and umoci or
 *       skopeo may write it), so a tag that is no valid OCI ref.name is reported naming it, and
 *       so is a tag renamed since layerfs last wrote it ({@code layerfs/index.json.written}, a
 *       copy kept for this alone): a manifest that lost the tag layerfs gave it and has one
 *       layerfs never wrote, or none. A tag added or an entry removed by another tool is not.
 *   <li>{@code ContainerCheck}: every container's {@code container.json} must read ({@code
 *       ContainerRecord}); the manifest, config and layers it records are needed, and the
 *       manifest must still resolve to that config and those layers. {@code index.json} must
 *       hold each container's image (an entry annotated {@code io.layerfs.container=NAME}, which
 *       keeps it from {@code umoci gc}) and hold none for a container that is gone
 *       ({@code image-hold}; for one whose removal a crash cut short, the message names the
 *       folder left); a repair adds or removes the entry (and finishes such a removal).
 *   <li>{@code BlobCheck}: every file under {@code blobs/<alg>/} named by a digest is re-hashed
 *       (the progress counts its bytes); a needed blob that is absent is missing, one whose size
 *       is not what a descriptor says has a bad size.
 *   <li>{@code LayerIndexCheck}: each layer in use whose uncompressed blob is present (and not
 *       already reported corrupt) is verified by {@code LayerStore.verify}: the blob hashes to
 *       the DiffID, the index loads and belongs to that DiffID and blob length, every file's
 *       chunks match their CRC32C. A repair rebuilds blob and index from the compressed blob.
 *   <li>{@code ContainerFilesCheck}: each container's metadata log and snapshot (a torn last
 *       record is not damage; anything else is named with its byte offset; a file that carries
 *       another container's id than {@code container.json} is another container's) and every
 *       data file against the bytes the log says it holds: missing, no regular file, or shorter
 *       ({@code overlay.ContainerCheck}). Their bytes have no checksum, so a flipped byte or
 *       another file of the same size is not seen, as on overlay2 over ext4. A repair, under
 *       the container's lock, keeps the corrupt log as {@code meta.log.damaged-<time>} and cuts
 *       it at the first bad record, dropping the changes recorded from there on; a lost data
 *       file cannot be repaired.
 *   <li>{@code VolumeCheck}: a volume a container mounts whose data directory is missing or no
 *       directory (what was written to it is lost; the container's next start creates it empty,
 *       or fails); a volume whose fill from an image was cut short (its fill mark is
 *       there; a fill under way in another process looks the same) is reported; the next
 *       container that fills it starts over, so there is nothing to repair. So is a volume whose
 *       counter of directory changes says a change is under way that only a process now dead
 *       can have left (no other process holds the counter's lock: {@code mount.CounterFile}),
 *       which keeps its reads off their fast path: a repair sets the count to 0.
 *   <li>{@code LazyCheck}: the bytes held of each lazily read layer ({@code layerfs/lazy/}), each
 *       64 KiB piece against the CRC32C taken when it was fetched; a ranges list that does not
 *       read is reported too. Reads never serve such bytes (they fetch them again); a repair
 *       drops them from the list. A recorded origin ({@code origin}: the registry reference
 *       another process attaches the layer again from) that does not read or parse is
 *       reported, not repaired.
 *   <li>{@code LockFileCheck}: a lock file that is there but is no regular file (a directory in
 *       its place) keeps every process from taking the lock: the store's ({@code index.lock},
 *       {@code gc.lock}, {@code volumes.lock}: kind {@code lock-file}) and each container's
 *       ({@code damaged-container}). A repair removes an empty directory in its place; a plain
 *       check takes no lock, so it reports a broken {@code gc.lock} that a repair, which takes
 *       it, cannot get past.
 * </ol>
 *
 * <h2>Repair</h2>
 *
 * Nothing is ever deleted that cannot be rebuilt. A blob whose bytes do not match its digest is
 * moved to {@code layerfs/quarantine/<alg>/<hex>} ({@code .N} appended if taken), and its layer
 * index, if any, removed; the problem counts as repaired only if nothing needs the blob,
 * otherwise the image or container stays broken until the blob is imported again. A corrupt
 * uncompressed layer whose compressed blob is present and intact is derived data: it is removed
 * with its layer index, and {@code LayerStore} rebuilds both on the next use. A repair holds the
 * exclusive side of the lease gate, as gc does, so no import, commit or collection runs
 * meanwhile; a plain check takes no lock, and a blob removed while it runs is skipped. Missing
 * blobs, bad sizes, broken images and containers are reported, never repaired.
 *
 * <p>Depends on {@code content}, {@code oci}, {@code image}, {@code rootfs} (the layer index
 * folder, {@code LayerStore.verify} and {@code rebuild}), {@code overlay} (its {@code
 * ContainerCheck}), {@code container} and {@code mount} (a volume's counter); only {@code
 * store} depends on it.
 */
package io.layerfs.core.fsck;
