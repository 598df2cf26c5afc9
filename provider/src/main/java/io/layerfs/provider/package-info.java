/**
 * The {@code java.nio.file} provider of the {@code layerfs:} scheme: a container's root file
 * system, or a read-only view of an image, as a {@link java.nio.file.FileSystem}.
 *
 * <p>{@link io.layerfs.provider.LayerFileSystemProvider} is a registry and a thin delegation
 * layer, as Jimfs's provider is: it keeps the open file systems by name (the authority of {@code
 * layerfs://NAME/...}) and the stores they share (one content store and one layer store per store
 * directory, closed with the last file system using them), parses the env map ({@code
 * LayerEnv}), checks each path argument and hands the work to a {@code LayerFileSystem}. That one
 * holds the open or closed state and either a container, which reads through its image's layers
 * and writes copy-on-write into its own layer, or a read-only view of an image; it turns paths
 * into the absolute strings the core looks up, and names the caller's path in errors. {@code
 * newFileSystem(Path)} opens an OCI layout directory in place, or imports an archive into a
 * scratch layout in the system's temp directory, deleted when the file system closes. A
 * read-only view, or a container whose writable layer is empty, opened with env {@code lazy} on
 * an image of plain gzip layers not yet complete is a {@code LazyTree}: it holds whether the
 * whole tree has been opened, answers lookups and reads by path through the core's lazy merge
 * until then ({@code LazyNode}, {@code LazyFileHandle}), and opens the whole tree, once, for
 * what needs it (a listing, a link count, the root, a change; a container was created and locked
 * at the open, and is built then).
 *
 * <p>Paths ({@code LayerPath}) behave exactly as the JDK's Unix paths, quirks included, and do no
 * I/O but {@code toUri}, which, as the JDK's, adds a slash for a directory; URIs ({@code
 * LayerUris}) are percent-encoded as the JDK encodes {@code file:} URIs, and readable as URLs
 * ({@code url.LayerUrlHandlers}) while their file system is open.
 * Channels ({@code LayerFileChannel}) keep the position and the JDK's checks and leave the bytes
 * to a {@link io.layerfs.core.FileHandle}: a window onto a layer's uncompressed tar for an image
 * file ({@code ImageFileHandle}, no system call to open), a container's own handle otherwise.
 * Interrupts follow the JDK: channels from {@code FileChannel.open} are interruptible (an
 * interrupted thread's operation closes the channel and throws {@code
 * ClosedByInterruptException}); those behind {@code newByteChannel}, and so behind the streams
 * and {@code readAllBytes}, are not, as the default provider's streams are not. Every call into
 * the core runs with the interrupt status cleared ({@code Uninterrupted}), because the core's
 * shared {@code FileChannel}s would close for every reader on one thread's interrupt; only a
 * {@code FileChannel.open} channel of a volume or bind mount's file reads, writes and sizes
 * through its host file's channel directly ({@link io.layerfs.core.FileHandle#ownChannel}: opened
 * for it alone), whose begin and end are the JDK's. Directory
 * streams are {@link java.nio.file.SecureDirectoryStream}s whose relative operations re-check
 * their directory's real path first, looked up when first needed ({@code LayerDirectoryStream}),
 * and whose attribute views find their file on each call ({@code SecureAttributeView}). A path
 * a stream makes finds its node as a child of the stream's listing ({@link
 * io.layerfs.core.FileTree#findChild}, one step, not from the root) and keeps the node, so a walk
 * that reads a path's attributes twice resolves it once: for good in an image view, whose tree
 * never changes ({@link io.layerfs.core.FileTree#immutable}); in a container only while nothing
 * changed since the listing ({@link io.layerfs.core.FileTree#stillFound}), else the path is
 * looked up anew. Such a path builds its string only when first asked for it: a walk that reads
 * attributes never does;
 * a {@code WatchService} ({@code LayerWatchService}) reports the changes made through the file
 * system, and a bind mount's or volume's directory through the JDK's own on the host; owners
 * are named from the container's own {@code /etc/passwd} and {@code /etc/group} ({@code
 * ContainerAccounts}).
 * A walk of an image view makes and loads only what it reads (issue 15's first pass in a fresh
 * JVM pays for each class): basic attributes are one small record ({@code
 * LayerBasicAttributes}), the account tables and file stores are made when first asked for, and
 * channels and file stores are made by factories typed as the JDK's classes, so that verifying
 * the provider at the JDK's provider scan loads none of theirs ({@code LayerFsWalkClassesTest}).
 * Attribute views are {@code basic}, {@code posix}, {@code unix} (the JDK's Linux names), {@code
 * owner}, {@code user}, {@code dos} (its flags in a user xattr, as the JDK keeps them) and {@code
 * layer} ({@link io.layerfs.provider.LayerFileAttributeView}: the layer a file comes from).
 * {@link io.layerfs.provider.LayerFileSystems} adds what NIO has no words for: the {@code docker
 * diff} of an open container and committing it as an image. Results and exceptions are those of
 * the JDK's default provider on a Linux directory, which the tests use as the oracle.
 *
 * <p>Thread safety: every method may be called from any thread; closing a file system makes later
 * operations throw {@link java.nio.file.ClosedFileSystemException}. ARCHITECTURE.md at the root of
 * the repository shows how the provider's calls flow through the core.
 */
package io.layerfs.provider;
