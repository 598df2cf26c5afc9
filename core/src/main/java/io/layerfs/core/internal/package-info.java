/**
 * Small helpers that several subsystems share and that are no part of the public API.
 *
 * <ul>
 *   <li>{@link io.layerfs.core.internal.PathNames}: lexical normalization of tar entry names into
 *       absolute paths of an image's root, the cleaning umoci's {@code CleanPath} does, so that
 *       no name can climb above the root.
 *   <li>{@link io.layerfs.core.internal.TeeInputStream}: copies every byte read (skipped bytes
 *       included) to a second stream, for the one pass that indexes a layer while its bytes are
 *       hashed and stored.
 *   <li>{@link io.layerfs.core.internal.FileTrees}: deleting a directory tree, and shielding a
 *       stream from {@code close}.
 *   <li>{@link io.layerfs.core.internal.Clock}: wall-clock nanoseconds, as file times need them.
 *   <li>{@link io.layerfs.core.internal.NotADirectory}: a path through a file, reported as the
 *       JDK the code runs on reports it (Java 25 changed where it says a missing file); the one
 *       package the provider is given too (a qualified export), for the same rule.
 *   <li>{@link io.layerfs.core.internal.LruCache}: a map bounded by weight, least recently used
 *       out first, for the store's caches: layer indexes, merged directories, and, in stripes,
 *       verified file data (Caffeine costs a fresh JVM more than they save).
 *   <li>{@link io.layerfs.core.internal.CountingInputStream} and {@link
 *       io.layerfs.core.internal.InflateLimit}: the count under the bounds on inflated bytes, and
 *       the {@code inflateRatio} bound of a compressed input (an image archive, a file system
 *       tar) that {@code transfer} and {@code image} share.
 *   <li>{@link io.layerfs.core.internal.NameBytes} and {@link io.layerfs.core.internal.HostNames}:
 *       a name's bytes kept in a {@code String} (each byte that is not UTF-8 a lone surrogate
 *       U+DC80 + the byte), from the tar reader to the tars layerfs writes, and the same names on
 *       the host's paths (mounts, {@code cp}).
 *   <li>{@link io.layerfs.core.internal.PathLimits}: Linux's limits on a name (255 bytes) and a
 *       path (4,095), which every tree checks where a lookup misses a name, so that a container
 *       never makes a name Linux could not hold ("File name too long").
 *   <li>{@link io.layerfs.core.internal.PrivateMapping}: a read-only mapping of a private copy
 *       of a file's range, for bytes no host file holds as they read (a lazily read layer's
 *       file, a read-only container's file of image and upper bytes).
 * </ul>
 *
 * <p>Stateless, except a tee stream, which belongs to one thread, and a cache (thread-safe).
 */
package io.layerfs.core.internal;
