/**
 * Images: resolving a reference to a manifest, a config and layers, and writing new images.
 *
 * <p>{@link io.layerfs.core.image.Images} resolves a reference in a {@link
 * io.layerfs.core.content.ContentStore} to an {@link io.layerfs.core.Image} (a value of the root
 * package); {@link io.layerfs.core.image.ImageAssembler} writes a new
 * image from a base image's config plus one new layer (commit, flatten); {@link
 * io.layerfs.core.image.LayerBlob} writes a layer blob, hashing the DiffID of the uncompressed
 * tar on the way. This package writes blobs and tags
 * only through the content store. Its one file of its own is {@code layerfs/resolved}, the memo
 * of {@code Images.resolveRemembered} ({@code ResolvedImages}), which opening a view of an image
 * uses: what resolving read, byte for byte, and the image it gave, so that a fresh JVM opens an
 * image opened before without a JSON parser or a hash; it is used only while every input reads
 * the same bytes. {@code Images.resolve} neither reads nor writes it.
 *
 * <h2>References</h2>
 *
 * A reference is resolved against {@code index.json} in this order, first hit wins:
 *
 * <ol>
 *   <li>{@code sha256:<hex>} (or {@code sha512:}): the manifest or image index with that digest,
 *       whether index.json lists it or not; or, when no entry of index.json has that digest and
 *       it is the config of an image index.json lists, that image's entry: docker's image ID is
 *       the config digest ({@code docker history sha256:<id>}).
 *   <li>An entry whose {@code org.opencontainers.image.ref.name} equals the reference exactly:
 *       {@code "1"}, {@code "demo:1"} or {@code "docker.io/library/debian:12"} match only an
 *       annotation spelled the same way.
 *   <li>Only for a reference without a tag (no {@code :} after its last {@code /}), such as
 *       {@code "web"}: the entry {@code "web:latest"}, never an entry whose annotation is just
 *       {@code "latest"} (skopeo's {@code oci:DIR:latest} style, where the layout is the
 *       repository): that is another image's, found by {@code "latest"} itself.
 *   <li>A reference of docker's image ID form, 4 to 64 lower-case hex digits with or without
 *       {@code sha256:} ({@code 1a2b3c4d5e6f}): the entry of the one image whose config digest,
 *       manifest digest or entry digest begins with them ({@code ImageIds}); more than one is
 *       an error naming each (an image index and its linux/amd64 manifest, both tagged, are one
 *       image). Every image is resolved to compare, so this comes only after every tag.
 * </ol>
 *
 * <p>When several entries share a name (one per platform), or the name points at an image index
 * or a Docker manifest list, the platform decides: {@code linux/amd64} unless the caller names
 * another (an exact match of os and architecture; among several, the first without a variant).
 * Errors say what was available: the tags for an unknown reference, the platforms for an
 * unmatched platform. Manifest and config blobs are verified against their digests when read
 * (a memo hit compares them byte for byte with bytes verified so before).
 *
 * <h2>New images</h2>
 *
 * The base config is copied field by field, unknown fields included (Env, Cmd, Labels stay as
 * the image had them); only {@code created}, {@code author}, {@code rootfs.diff_ids} and {@code
 * history} change (flatten keeps the old history entries, marked {@code empty_layer}). The
 * manifest is always an OCI one; a Docker base's layer types become their OCI equivalents (same
 * bytes, same digests), which umoci requires. Built images are deterministic: the builder takes
 * no default from the clock, the user or the host, and both codecs are deterministic, so the
 * same description gives the same digests.
 *
 * <p>Thread safety: {@code Image} is immutable; builders and layer blobs belong to one thread.
 */
package io.layerfs.core.image;
