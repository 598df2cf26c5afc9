/**
 * Images in and out of a store through the transports skopeo names: {@code oci:DIR[:TAG]} (an
 * OCI image layout directory), {@code oci-archive:FILE[:TAG]} (a tar of such a layout) and
 * {@code docker-archive:FILE[:REF]} (what {@code docker save} writes and {@code docker load}
 * reads).
 *
 * <p>{@link io.layerfs.core.transfer.ImageTransfer} is the API, named by transport (its {@code
 * importArchive} also takes an archive whose kind is not given, to open an archive file as a file
 * system); {@link io.layerfs.core.transfer.Transport} parses the transport
 * strings. Behind them: {@code OciLayoutCopier} (layouts in and out), {@code DockerArchiveReader}
 * and {@code DockerArchiveWriter}, {@code UnpackedArchive} (an archive unpacked into a scratch
 * directory), {@code ArchiveCompression} (the compressions an archive may come in) and {@code
 * ArchiveWriter} (archives written reproducibly, all or nothing).
 *
 * <h2>Import</h2>
 *
 * <ul>
 *   <li>{@code oci:} and {@code oci-archive:} import the image tagged TAG, or the only image of
 *       the layout; it keeps that tag (its own ref.name; an image without one is kept untagged in
 *       {@code index.json}, found by its manifest digest) unless the caller gives another.
 *       Every blob it references is copied and verified against its descriptor's digest and
 *       size: the manifest (or image index and the manifests of it the layout holds), the
 *       config, every layer.
 *   <li>{@code docker-archive:} imports the image whose RepoTags match REF (Docker's normalization:
 *       {@code busybox} matches {@code docker.io/library/busybox:latest}), the N-th for {@code @N},
 *       or every image; each gets its RepoTags (one without any is kept untagged, found by its
 *       manifest digest, as {@code docker load} keeps it by its ID) unless the caller gives a tag,
 *       allowed only when one image is imported. Everything is found through {@code manifest.json},
 *       which covers {@code docker save}'s classic layout, skopeo's and Docker 25+'s (an OCI layout
 *       inside); archives from before Docker 1.10 are refused. The config must hash to its name
 *       when the name is a digest and list as many {@code diff_ids} as there are layers; each
 *       layer's uncompressed bytes must hash to its diff_id (a gzip or zstd layer, detected from
 *       its first bytes, in one pass that stores the compressed bytes and hashes the decompressed
 *       ones). Each image gets an OCI manifest built deterministically; the config is stored as it
 *       is, so the image ID is kept.
 *   <li>An archive of unknown kind ({@code importArchive}) is read as a docker-archive when it has
 *       a {@code manifest.json} (Docker 25+ writes both; its RepoTags carry full names), as an OCI
 *       archive when it only has an {@code oci-layout}; a directory is read as an OCI layout.
 *       Every image of it is imported: the tagged ones under their tags, the others untagged.
 *   <li>An archive (either kind, or of unknown kind) may be compressed with gzip, bzip2, xz or
 *       zstd, as {@code docker load} and skopeo take one ({@code ArchiveCompression}, by magic
 *       bytes): it is decompressed as it is unpacked and read to its end, so a cut or damaged
 *       stream fails the import before any blob is copied.
 * </ul>
 *
 * Archives are unpacked into a scratch directory {@code layerfs/unpack-*} of the store, removed
 * afterwards. Only regular files are written there, and an entry whose name is absolute or has a
 * {@code ..} component is refused before anything of it is written (tar-slip); links are never
 * created on disk but followed lexically within the archive, which is how skopeo's
 * docker-archives link {@code <id>/layer.tar} to {@code <diffid>.tar}. Every digest and size is
 * verified before anything is tagged; a failed import leaves no tag, at most unreferenced blobs
 * for gc. An ingest lease is held from the first blob to the last tag. Layers are stored as they
 * come; the store inflates and indexes them on first use.
 *
 * <h2>Export</h2>
 *
 * <ul>
 *   <li>{@code oci:DIR[:TAG]} adds the image to the layout (created when missing), keeping its
 *       other entries and moving a same-named tag; blobs are copied as stored, so the manifest
 *       digest is unchanged, and no {@code layerfs/} directory is left in a layout that had none.
 *   <li>{@code oci-archive:FILE[:TAG]} writes a tar of a layout holding just the image.
 *   <li>{@code docker-archive:FILE[:REF]} writes what {@code docker save} writes, with REF as its
 *       RepoTag ({@code :latest} added when REF has no tag): {@code <diffid hex>.tar} per distinct
 *       layer, uncompressed (Docker loads only those; their bytes are re-hashed against the
 *       diff_id on the way), {@code <config hex>.json} as stored (the image ID is kept), the legacy
 *       {@code <id>/VERSION}, {@code <id>/json} and {@code <id>/layer.tar} link per layer (ids are
 *       chain IDs, as skopeo writes them), {@code manifest.json}, and {@code repositories} when
 *       there is a tag.
 * </ul>
 *
 * Without TAG or REF, the image reference itself names the result when it is a tag (for {@code
 * docker-archive:} only when it is a Docker {@code name:tag}); exporting by digest to {@code oci:}
 * then needs an explicit TAG, while archives are written without a name. An archive is written to
 * a temp file beside the destination (so the rename cannot cross file systems), fsynced and
 * renamed when complete, so a failure leaves neither a half archive nor a damaged old one; it is
 * reproducible: fixed entry order, mtime 0, uid and gid 0, no owner names, fixed modes, POSIX tar.
 * {@code docker://} is recognized and refused: registries come with a later version.
 *
 * <p>Progress is reported per blob or layer: start, advance by bytes, done. Thread safety: every
 * call works on its own scratch files and archive writer; the store's own locks and leases order
 * concurrent imports.
 */
package io.layerfs.core.transfer;
