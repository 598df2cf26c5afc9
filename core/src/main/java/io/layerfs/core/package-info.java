/**
 * The vocabulary of layerfs: the values every subsystem and every user of the core shares. Nothing
 * here reads or writes a store.
 *
 * <ul>
 *   <li>{@link io.layerfs.core.Digest}: a {@code sha256:} or {@code sha512:} digest, parsed
 *       strictly because it becomes a file name under {@code blobs/}.
 *   <li>{@link io.layerfs.core.EntryType}: the kind of a file. Its {@link
 *       io.layerfs.core.EntryType#code() codes} are written to disk (layer indexes, container
 *       metadata), so they never change.
 *   <li>{@link io.layerfs.core.Compression}: none, gzip or zstd, detected from a blob's first
 *       bytes; both codecs are deterministic.
 *   <li>{@link io.layerfs.core.Layer}, {@link io.layerfs.core.Change}, {@link
 *       io.layerfs.core.Mount} (a {@code --mount} spec), {@link
 *       io.layerfs.core.CommitOptions}, {@link io.layerfs.core.ContainerInfo}, {@link
 *       io.layerfs.core.GcReport}, {@link io.layerfs.core.FsckReport}, {@link
 *       io.layerfs.core.SignatureInfo} and {@link
 *       io.layerfs.core.SignatureException}: what the subsystems take and return.
 *   <li>{@link io.layerfs.core.FileHandle}: an open file, positional I/O as a {@code FileChannel}
 *       has it; {@link io.layerfs.core.Progress}: progress of long work, called from the working
 *       thread.
 *   <li>{@link io.layerfs.core.FileTree} and {@link io.layerfs.core.Node}: a file tree is what
 *       the provider reads and writes through, implemented by a container and by a read-only view
 *       of an image; a node is one file as {@code stat(2)} describes it, a sealed interface with
 *       one kind per side ({@link io.layerfs.core.Node.Lower}, an entry of the image's layers,
 *       made in {@code rootfs}; {@link io.layerfs.core.Node.Upper}, an entry of a container's own
 *       layer, made in {@code overlay}).
 * </ul>
 *
 * <h2>The core's packages</h2>
 *
 * One package per subsystem. A package depends only on packages before it in this order: this
 * one, {@code internal} (shared helpers), {@code oci} (the JSON model), {@code content} (the OCI
 * layout: blobs, {@code index.json}, leases), {@code image} (references resolved, images
 * written), {@code rootfs} (layers inflated, indexed and merged), {@code overlay} (the
 * copy-on-write engine), {@code container} (named, locked containers; volumes), {@code mount}
 * (volumes, bind and tmpfs mounts over a container's tree), {@code transfer}
 * (imports and exports), {@code signing} (simple signing), {@code gc}, {@code fsck} (checks and
 * repairs); and {@code store}, the entry point opened from a path, through which a Java user and
 * the CLI reach images, containers, volumes, transfers, gc, fsck and signing. The module exports
 * only this package, {@code store}, {@code image} and {@code container}; the others are its
 * implementation. ARCHITECTURE.md at the root of the repository maps the packages, the flows
 * through them and the files of a store.
 *
 * <p>Thread safety: the records, enums and {@code Digest} are immutable; implementations of
 * {@code FileHandle} are safe for concurrent use.
 */
package io.layerfs.core;
