/**
 * The JSON model of OCI and Docker image metadata: {@link io.layerfs.core.oci.Descriptor},
 * {@link io.layerfs.core.oci.ImageManifest} (OCI and Docker schema 2), {@link
 * io.layerfs.core.oci.ImageIndex} (OCI image indexes and Docker manifest lists, with platform
 * selection), {@link io.layerfs.core.oci.ImageConfig} (the platform and {@code rootfs.diff_ids}),
 * {@link io.layerfs.core.oci.OciIndex} (a layout's {@code index.json}), {@link
 * io.layerfs.core.oci.MediaTypes} and {@link io.layerfs.core.oci.OciJson}.
 *
 * <p>The model reads Jackson trees, not bound classes, so fields it does not know (umoci's and
 * skopeo's annotations, platform objects, later spec fields) survive a read-modify-write of
 * {@code index.json} untouched. A missing or mistyped field is an {@link java.io.IOException}
 * naming the document it came from. Layer media types are the OCI tar, tar+gzip and tar+zstd
 * types, their deprecated nondistributable variants, and Docker's rootfs diff types; any other
 * layer type is refused, so an image is never half understood. A tag is the {@code
 * org.opencontainers.image.ref.name} annotation of an {@code index.json} entry.
 *
 * <p>This package parses and serializes only; it does no file I/O. The records are immutable;
 * {@code OciIndex} is a mutable tree that one thread edits at a time ({@link
 * io.layerfs.core.content.ContentStore} serializes its read-modify-write cycles).
 */
package io.layerfs.core.oci;
