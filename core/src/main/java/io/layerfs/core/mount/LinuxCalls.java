package io.layerfs.core.mount;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The Linux system calls {@link Openat2Dir} and {@link FdChannel} make, as downcalls of Java 22's
 * Foreign Function and Memory API: {@code openat2} and {@code fstat} through libc's {@code
 * syscall} (glibc has no {@code openat2} wrapper), {@code pread} and {@code close}. Each returns
 * what the kernel returned, -1 on failure; no caller needs {@code errno} (a failed open takes the
 * usual path, and a failed read asks the JDK again for its own error). Calls are "critical"
 * (arguments may be Java arrays, no thread state change): each is one short system call, and a
 * read is cut into pieces of {@link #MAX_READ} bytes at most, so the garbage collector never waits
 * long for one. Loaded only on Java 22+, Linux x86-64 or AArch64 ({@link ReadBeneath}).
 */
@SuppressWarnings("restricted") // native access is checked before this loads (ReadBeneath)
final class LinuxCalls {
  static final int AT_FDCWD = -100;
  static final long O_NONBLOCK = 04000;
  static final long O_DIRECTORY = 0200000;
  static final long O_NOFOLLOW = 0400000;
  static final long O_CLOEXEC = 02000000;
  static final long O_PATH = 010000000;
  static final long RESOLVE_NO_MAGICLINKS = 0x02;
  static final long RESOLVE_NO_SYMLINKS = 0x04;
  static final long RESOLVE_BENEATH = 0x08;
  /** The largest piece of one {@code pread}. */
  static final int MAX_READ = 1 << 16;
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;

  private static final boolean X86_64 = "amd64".equals(System.getProperty("os.arch"));
  private static final long SYS_OPENAT2 = 437; // the same number on x86-64 and AArch64
  private static final long SYS_FSTAT = X86_64 ? 5 : 80;
  /** {@code st_mode}'s index in {@code struct stat} as longs (low half, little-endian). */
  private static final int MODE_INDEX = X86_64 ? 3 : 2;
  /** {@code st_size}'s index in {@code struct stat} as longs (byte 48 on both). */
  private static final int SIZE_INDEX = 6;
  /** {@code struct stat}'s 144 bytes, as longs. */
  private static final int STAT_LONGS = 18;

  private static final MethodHandle OPENAT2;
  private static final MethodHandle FSTAT;
  private static final MethodHandle PREAD;
  private static final MethodHandle CLOSE;

  static {
    Linker linker = Linker.nativeLinker();
    MemorySegment syscall = linker.defaultLookup().find("syscall").orElseThrow();
    Linker.Option critical = Linker.Option.critical(true);
    OPENAT2 = linker.downcallHandle(syscall,
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
        Linker.Option.firstVariadicArg(1), critical);
    FSTAT = linker.downcallHandle(syscall,
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS),
        Linker.Option.firstVariadicArg(1), critical);
    PREAD = linker.downcallHandle(linker.defaultLookup().find("pread").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
        critical);
    CLOSE = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
  }

  private LinuxCalls() {}

  /**
   * {@code openat2(dirfd, path, {flags, 0, resolve})}: a descriptor, or -1. {@code path} is the
   * name's bytes ending in a zero byte.
   */
  static int openat2(int dirfd, byte[] path, long flags, long resolve) {
    long[] how = {flags, 0, resolve};
    try {
      long fd = (long) OPENAT2.invokeExact(SYS_OPENAT2, dirfd, MemorySegment.ofArray(path),
          MemorySegment.ofArray(how), 24L);
      return fd < 0 ? -1 : (int) fd;
    } catch (Throwable e) {
      return -1;
    }
  }

  /** {@code fstat}'s {@code st_mode} and {@code st_size}: {@code {mode, size}}, or null. */
  static long[] modeAndSize(int fd) {
    long[] stat = new long[STAT_LONGS];
    try {
      long r = (long) FSTAT.invokeExact(SYS_FSTAT, fd, MemorySegment.ofArray(stat));
      return r < 0 ? null : new long[] {stat[MODE_INDEX] & 0xffffffffL, stat[SIZE_INDEX]};
    } catch (Throwable e) {
      return null;
    }
  }

  static boolean isRegularFile(long mode) {
    return (mode & S_IFMT) == S_IFREG;
  }

  /** {@code pread(fd, dst, count, offset)} into a segment of at least {@code count} bytes. */
  static long pread(int fd, MemorySegment dst, long count, long offset) {
    try {
      return (long) PREAD.invokeExact(fd, dst, count, offset);
    } catch (Throwable e) {
      return -1;
    }
  }

  static void close(int fd) {
    try {
      int ignored = (int) CLOSE.invokeExact(fd);
    } catch (Throwable e) {
      // the descriptor is gone either way (close(2) on Linux frees it even on EINTR)
    }
  }
}
