/**
 * The entry point: {@link io.layerfs.core.store.Store}, opened on a store directory (an OCI image
 * layout with layerfs's own state under {@code layerfs/}). A Java user and the CLI reach every
 * subsystem through it instead of pairing the content store and the layer store by hand: images
 * ({@code image}, {@code view}, {@code tags}), containers ({@code container}, {@code open},
 * {@code containers}), volumes, transfers ({@code importImage}, {@code exportImage}, {@code
 * importArchive}, {@code flatten}), registries and lazy images ({@code pull}, {@code push},
 * {@code lazyImage}, {@code completeLazy}; {@link io.layerfs.core.store.BackgroundFetch}, the
 * handle of a completion on a daemon thread), gc, fsck and signatures.
 *
 * <p>{@link io.layerfs.core.store.Store#open(String, String, boolean, java.nio.file.Path, String)}
 * holds the policy of {@code layerfs://NAME}: a container created on first use, a read-only view
 * of an image when no container has the name, the signature check before anything is created, and
 * the refusal when the tag moved between the check and the open. The NIO provider calls it and
 * holds the {@link io.layerfs.core.FileTree} it returns.
 *
 * <p>This package is the top of the core: it depends on every other, none depends on it. A store
 * owns the open layer blobs that its containers and views read, so it is closed after them.
 */
package io.layerfs.core.store;
