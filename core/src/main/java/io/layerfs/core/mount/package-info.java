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
 * removing or renaming a mount point is {@code "Device or resource busy"}; removing a directory
 * that holds one is {@code DirectoryNotEmptyException} (it holds the mount point), renaming it
 * busy (Linux would move the mount along; the mount table is fixed). As rename(2), a move
 * compares the mounts of the two parent directories, so a mount point's own name is renamed in
 * the mount that holds it, and the JDK's order of checks is kept (the target looked at first;
 * where the JDK would delete a target and then fail, this fails first and keeps it). A read-only
 * mount refuses every change with {@code FileSystemException(path, null, "Read-only file
 * system")}, as the default provider reports {@code EROFS} (a move within it names both paths,
 * as rename(2)'s errors do), after the answers open(2) gives before it (an existing name to an
 * exclusive create, a directory to a write, a missing name not created, a link not followed);
 * a move across two mounts finds a directory not empty before a read-only target. A listing of a
 * directory the container holds keeps the overlay's listing, so that a walk finds each listed
 * child in one step, as in a container without mounts; a child that is a mount's target is
 * looked up name by name (the mount hides the overlay's entry there). A directory whose path is
 * its real path in the overlay, with no mount on it or above it, is listed straight from the
 * overlay (one lookup there); any other (a link or {@code ..} on the way, which may lead into a
 * mount) is resolved name by name through the mount table first. A listing of a directory of a
 * mount, reached without a link or {@code ..}, finds each listed child by one {@code stat}
 * relative to the listed directory, kept open since the listing, as {@code fts(3)} walks: not
 * from the container's root with each directory above checked again (a walk of a bind mount took
 * five times the host's walk so); what a host process moves meanwhile is answered as found in
 * the directory listed.
 *
 * <p>A bind mount of a file ({@code docker run -v ./app.conf:/etc/app.conf}) is the same routing
 * with a file at the target: its mount point is made as an empty file (Docker makes one too), a
 * directory of the image there refuses the mount, and the file's host directory is the mount's
 * {@code DirTree}, reached only by the file's name, so the target resolves to the host file and
 * any name below it finds a file ({@code ENOTDIR}); the host's other names are never reached. The
 * mount point answers as a directory's does where Linux says so of any mount point (busy when
 * removed, renamed or replaced; a hard link to it crosses a mount), and as a file elsewhere. It
 * names the file by name, as a directory mount names each name below its root: a host process
 * that replaces the file (an editor's save by rename) shows the new one, where Linux keeps the
 * old inode mounted; one that removes it leaves the target missing.
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
 * look-up there. A node has the relative {@code stat}'s fields (type, permissions, size, times);
 * those the JDK reads only by path (owner, set-id bits, inode, link count, ctime) are read when
 * first asked for ({@code PathStat}), so a walk makes one {@code stat} per file, not two (a
 * directory's file key, which a walk keeps, costs the second). File data is the host's own
 * {@code FileChannel}, and a file opened for reading is handed out as that channel itself: volume
 * I/O runs at the host's speed. A mounted file's
 * {@code user.} attributes are its file system's own (the host file's, or Jimfs's), read
 * through {@code FileTree.xattrs} since its nodes carry none (one by name through {@code
 * FileTree.xattr}, which the host file system answers, so one that keeps none says so);
 * {@code TreeCopy} carries them across mounts. A mounted file's key and device number are its
 * host file system's ({@code Devices}: one number per host file system among the container's
 * mounts, one of its own for each tmpfs), so a file seen through two mounts of one directory is
 * one file to {@code isSameFile}, a copy and a move, as stat(2) shows it in a Docker container.
 *
 * <h2>Named volumes: reads without a stat per directory</h2>
 *
 * A named volume's data directory belongs to the store (Docker says the same of its {@code
 * /var/lib/docker/volumes}: other processes should not change it), so its directories change
 * through layerfs, and a read need not look at each kept directory again as long as layerfs
 * changed none. {@link io.layerfs.core.mount.VolumeGeneration} is a small file beside the
 * volume's {@code _data} (never inside it), mapped shared by every JVM of every container that
 * mounts the volume: a generation {@code G} and a count {@code C} of changes under way, 64-bit
 * words updated by atomic instructions. Every change of the volume's directory namespace made by
 * {@code DirTree} (a directory removed, a directory renamed, a directory replaced by a move onto
 * it: whatever could leave a kept directory's name leading elsewhere) is bracketed: before it
 * {@code C += 1} then {@code G += 1}; after it (also when it failed) {@code G += 1} then {@code
 * C -= 1}. Files created, written or removed, and new directories, leave every kept directory
 * where its name leads, so they are not counted.
 *
 * <p>A walk that checks directories (the relative {@code stat} per directory above) first reads
 * {@code g = G}, then {@code C}; only when {@code C} was 0 does it mark each directory it found
 * where its name leads as checked at {@code g} (with all kept above it: a chain is checked from
 * the root down). A read ({@code openForReadingBeneath}) then reads {@code g1 = G} (with {@code
 * C == 0}); when the chain of kept directories down to the file was checked at {@code g1}, it
 * opens the file with one {@code openat} in the last of them, no {@code stat}, and reads {@code
 * g2 = G} after the open (an acquire fence orders it after the kernel's walk); if {@code g2 !=
 * g1} the file is closed and opened again through a checked walk. Why a stale directory is never
 * used: suppose the chain was checked at {@code g} by a walk {@code V} and a change's namespace
 * step {@code R} made one of its directories stale, with {@code V} before {@code R} (had {@code
 * V} seen {@code R}, it would have found the new layout). If the walk's read of {@code G} came
 * before that change's first {@code G += 1}, the open, which saw the layout after {@code R} and
 * so after that increment, reads a {@code g2} greater than {@code g}: refused. If it came after
 * that increment, the walk's later read of {@code C} came after the change's {@code C += 1} and
 * before its {@code C -= 1} (which follows {@code R}, which follows {@code V}): the walk saw
 * {@code C != 0} and marked nothing. An open that saw the layout before {@code R} found what the
 * chain says, which is what a read racing a rename may find on Linux too. The words are 64 bits,
 * so a generation never comes back. A change that never ends (its process killed between the
 * two brackets) leaves {@code C} above 0, and every read checks every directory (the counter is
 * only a shortcut) until it is reset: each JVM opens the counter file once ({@code CounterFile},
 * shared by its containers, since closing any descriptor of a file drops the process's locks on
 * it), and holds a shared lock on it while a writable container has it open. A writable open
 * that finds {@code C} above 0 with no change of its own JVM under way gives its shared lock
 * back and tries an exclusive one: had it, no live process can have a change under way, so it
 * raises {@code G} and sets {@code C} to 0; a process still alive (even stopped) keeps its lock
 * and its count. {@code CounterFile} tells why two processes opening at once, and readers, which
 * hold no lock and reset nothing, stay safe; fsck reports such a count, and a repair resets it.
 * Every read checks every directory too with a counter file that is missing
 * and cannot be made (a read-only store), that cannot be mapped, or whose magic number is wrong,
 * and a bind mount or tmpfs, which have no counter (host processes change a bind source by
 * design). A writable container that may not write an existing counter (another user's file)
 * reads it but refuses to remove, rename or replace a directory, naming the counter, since the
 * other containers would not see that change. What a host process that changes a volume's
 * directories behind layerfs's back gets:
 * never a host path outside the volume through a link (every open is still {@code openat} with
 * {@code O_NOFOLLOW} relative to a kept directory), but a directory it moved (even out of the
 * volume) may still be read at its old name until the next directory change through layerfs;
 * deleting or replacing the counter file while containers use the volume splits them (those
 * mapped to the old file see no later counts until they reopen); truncating it makes a JVM that
 * has it mapped fail with an {@code InternalError} (a fault in a mapped file), as any mapped
 * file does.
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
 * served by {@code FdChannel}, a {@code FileChannel} over the descriptor, as the default
 * provider's {@code newByteChannel} gives one ({@code pread}, {@code fstat}, {@code close} as
 * Foreign Function downcalls; a close racing a read closes the descriptor once the read ended,
 * so its number is never reused under a read; {@code map}, {@code transferTo}, {@code force} and
 * locks through a JDK channel opened on {@code /proc/self/fd} when first asked). Java 17 loads
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
 * dependency, loaded only after {@code OptionalLibrary.JIMFS} found it. Where Jimfs is not
 * Linux, {@code DirTree} makes it so for a tmpfs: the set-id and sticky bits Jimfs's nine
 * permission bits cannot hold are an attribute of each file ({@code TmpfsAttributes}), kept by
 * Linux's rules (a {@code chown} clears them, a set-group-ID directory passes on its group), and
 * so is the time of its last change of metadata, from which and the mtime its ctime follows (a
 * Jimfs file keeps its creation time as ctime); a new file takes its create mode and a
 * truncation its mtime. Jimfs maps nothing: {@code
 * DirHandle} maps a tmpfs file's range as a private copy in {@code /dev/shm} (memory, as the
 * tmpfs is), which serves {@code READ_ONLY} and {@code PRIVATE} mappings, never {@code
 * READ_WRITE}. Jimfs's locks never conflict: {@code InJvmLocks} holds a tmpfs's, by Jimfs's file
 * key (taken at open, before a {@code DELETE_ON_CLOSE} unlink), with the JDK's rules for one JVM.
 *
 * <p>Thread safety: as the trees below; the mount table is fixed once the container is open.
 */
package io.layerfs.core.mount;
