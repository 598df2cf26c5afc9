/**
 * A container's mounts, as {@code docker run --mount} gives them: named volumes, bind mounts of
 * host directories and tmpfs mounts, laid over the container's copy-on-write tree as a Linux
 * mount namespace lays them.
 *
 * <h2>Routing</h2>
 *
 * {@link io.layerfs.core.mount.MountedTree} is the {@link io.layerfs.core.FileTree} a container
 * with mounts hands its file operations to. It owns path resolution: it walks a path name by
 * name, asks the tree that holds each prefix (the longest mount target that is a prefix of it,
 * or the container itself) for that name without following it, follows a symbolic link by
 * substituting its target in the container's namespace (an absolute target starts at the
 * container's root, whatever mount the link is in; 40 links at most), and takes {@code ..} as
 * popping the last resolved name, so {@code ..} at a mount's root reaches the directory holding
 * the mount point. The resolved path, free of links, then goes to its owner: the container's
 * {@code Overlay} (with the full path) or a mount's {@code DirTree} (with the path inside the
 * mount). A mount hides what the image and the container layer have under its target; a target
 * inside another mount works; the mount points themselves are made in the tree below when a
 * container opens (Docker makes them too), so {@code diff}, {@code commit} and {@code export},
 * which read the overlay alone, show the mount points as directories and nothing mounted in
 * them. Operations between two owners behave as between two Linux file systems: a move copies
 * and deletes (a non-empty directory is refused with {@code DirectoryNotEmptyException}, as the
 * JDK's default provider refuses it), a hard link is {@code "Invalid cross-device link"}, and
 * removing or renaming a mount point (or a directory holding one) is {@code "Device or resource
 * busy"}. A read-only mount refuses every change with {@code FileSystemException(path, null,
 * "Read-only file system")}, as the default provider reports {@code EROFS}.
 *
 * <h2>Mounts</h2>
 *
 * {@link io.layerfs.core.mount.DirTree} serves a host directory (a volume's {@code _data} or a
 * bind source) and a tmpfs alike. It opens its root once, when the container opens, and reaches
 * every other name relative to its parent's open directory without following a link ({@code
 * SecureDirectoryStream}: {@code openat} with {@code O_NOFOLLOW}), so a host process that swaps
 * a directory for a link between two calls makes the call fail rather than reach another host
 * path; SECURITY.md names the few calls the JDK only offers by path. {@code OpenDirs} keeps the
 * directories in use open between calls, so a path costs one relative {@code stat} per name
 * rather than an open: a kept directory is used again only while its name still leads to it
 * (device and inode), so host renames and swaps show at once; each kept directory records the
 * kept one it was opened in, so the directories down to a path are taken as one chain and
 * checked from the root down, without a look-up per prefix. That is one relative {@code stat}
 * per directory, never one for several names: the kernel follows a link in the middle of a path
 * (only {@code openat2}'s {@code RESOLVE_BENEATH}, which the JDK lacks, would not: see below for
 * Java 22+), so a host process that moved a kept directory out and linked to it would lead such a
 * look-up there. File
 * data is the host's own {@code FileChannel}, and a file opened for reading is handed out as
 * that channel itself: volume I/O runs at the host's speed.
 *
 * <h2>Reads by openat2 (Java 22+)</h2>
 *
 * On Java 22 and later, on Linux, with native access enabled for this code ({@code
 * --enable-native-access}: without it the JDK would print a warning, so the shortcut stays off),
 * {@code newByteChannel} for reading ({@code Files.readAllBytes}, {@code newInputStream}, ...) of
 * a file inside a volume or bind mount skips the walk above: {@link
 * io.layerfs.core.mount.ReadBeneath} opens it with one {@code openat2} relative to the source's
 * directory, held as an {@code O_PATH} descriptor for as long as the mount's open directory
 * stream, with {@code RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS} and {@code
 * O_NOFOLLOW}: the kernel's walk refuses a link anywhere on the path and any step out of the
 * source, whoever made the link and whenever. Any failure (a link, a missing name, no regular
 * file, a kernel without {@code openat2} or a seccomp filter refusing it) gives null, and the
 * read takes the path above, which resolves links in the container's namespace. The file is
 * served by {@code FdChannel}, a {@code SeekableByteChannel} over the descriptor ({@code pread},
 * {@code fstat}, {@code close} as Foreign Function downcalls; a close racing a read closes the
 * descriptor once the read ended, so its number is never reused under a read). Java 17 loads
 * only {@code ReadBeneath}; {@code Openat2Dir}, {@code FdChannel}, {@code LinuxCalls} and {@code
 * SharedFd} are found by name on Java 22+, and compiled by Java 17-21 against stand-ins of the
 * Foreign Function and Memory API's types (the core's {@code src/stubs}, never packaged). A
 * {@code FileChannel} (opened by {@code FileChannel.open}), a write, or a read on an interrupted
 * thread keep the host's channel. A volume is made on first use and
 * filled, when empty, with what the container shows at its target (unless {@code
 * volume-nocopy}); {@code VolumeFill} marks a fill as under way until its last copy ended, so a
 * fill cut short is emptied and done again by the next container that fills the volume, never
 * taken for a filled volume; two containers, in one JVM or two, share its host files. {@code
 * Tmpfs} is a Jimfs file system in the heap, made empty at every open with the mount's size
 * limit (a full tmpfs says {@code "No space left on device"}) and mode; Jimfs is an optional
 * dependency, loaded only after {@code OptionalLibrary.JIMFS} found it.
 *
 * <p>Thread safety: as the trees below; the mount table is fixed once the container is open.
 */
package io.layerfs.core.mount;
