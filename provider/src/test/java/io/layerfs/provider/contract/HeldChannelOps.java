package io.layerfs.provider.contract;

import io.layerfs.provider.contract.ContainerOps.Arg;
import io.layerfs.provider.contract.ContainerOps.Data;
import io.layerfs.provider.contract.ContainerOps.Op;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Operations of the differential programs on channels held open across steps, in two slots
 * ({@code h0}, {@code h1}) per tree: a channel names its file once, at its open, and later steps
 * rename, delete, replace, copy up or write the file by path while the channel still reads,
 * writes and truncates it. Linux's answer is the inode's: an open file follows its renames,
 * outlives its unlink, and every channel of it sees every write.
 *
 * <p>The channels live in a table by tree root; {@link #closeAll} closes a root's (the runner
 * calls it when a program ends). A step on an empty slot answers {@code no channel} on both sides.
 */
final class HeldChannelOps {
  static final int SLOTS = 2;
  private static final Map<Path, SeekableByteChannel[]> OPEN = new ConcurrentHashMap<>();

  private HeldChannelOps() {}

  /** Closes every channel held for {@code root}; the first failure is thrown after all. */
  static void closeAll(Path root) throws IOException {
    SeekableByteChannel[] slots = OPEN.remove(root);
    IOException first = null;
    for (SeekableByteChannel ch : slots == null ? new SeekableByteChannel[0] : slots) {
      try {
        if (ch != null) {
          ch.close();
        }
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private static SeekableByteChannel[] slots(Path root) {
    return OPEN.computeIfAbsent(root, r -> new SeekableByteChannel[SLOTS]);
  }

  private static String name(int slot) {
    return "h" + slot;
  }

  /** {@code h} or {@code h.position(p)}: where a relative call of a step starts. */
  private static String at(int slot, long position) {
    return name(slot) + (position >= 0 ? ".position(" + position + ")" : "");
  }

  /** A step on the channel a slot holds: {@code no channel} when it holds none. */
  private interface OnHeld extends Op {
    int slot();

    String applyTo(SeekableByteChannel ch) throws IOException;

    @Override
    default String apply(Path root) throws IOException {
      SeekableByteChannel ch = slots(root)[slot()];
      return ch == null ? "no channel" : applyTo(ch);
    }

    @Override
    default List<Arg> args() {
      return List.of();
    }
  }

  /** How a held channel is opened. */
  enum Kind {
    BYTE_CHANNEL("Files.newByteChannel"),
    FILE_CHANNEL("FileChannel.open"),
    ASYNCHRONOUS("AsynchronousFileChannel.open");

    private final String call;

    Kind(String call) {
      this.call = call;
    }

    SeekableByteChannel open(Path p, OpenOption[] options) throws IOException {
      return switch (this) {
        case BYTE_CHANNEL -> Files.newByteChannel(p, options);
        case FILE_CHANNEL -> FileChannel.open(p, options);
        case ASYNCHRONOUS -> new Awaited(AsynchronousFileChannel.open(p, options));
      };
    }
  }

  /**
   * {@code h = Files.newByteChannel(p, options)}, {@code FileChannel.open} or {@code
   * AsynchronousFileChannel.open}; a channel the slot held is closed first (as a program reusing
   * the variable would).
   */
  record Open(int slot, String path, Kind kind, List<OpenOption> options) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      SeekableByteChannel[] slots = slots(root);
      if (slots[slot] != null) {
        SeekableByteChannel old = slots[slot];
        slots[slot] = null;
        old.close();
      }
      Path p = root.resolve(path);
      SeekableByteChannel ch = kind.open(p, options.toArray(OpenOption[]::new));
      slots[slot] = ch;
      // a directory's size is its file system's bookkeeping, as in ContainerOps.stat
      return (Files.isDirectory(p) ? "dir" : "size=" + ch.size()) + " pos=" + ch.position();
    }

    @Override
    public List<Arg> args() {
      return List.of(new Arg(path, !options.contains(LinkOption.NOFOLLOW_LINKS)));
    }

    @Override
    public String toString() {
      return name(slot) + " = " + kind.call + "(" + ContainerOps.q(path) + ", "
          + ContainerOps.opts(options) + ")";
    }
  }

  /**
   * An {@link AsynchronousFileChannel} as a channel of the steps: each read and write at a
   * position of the step's own, waiting for its future; a failure is the future's cause.
   */
  private static final class Awaited implements SeekableByteChannel {
    private final AsynchronousFileChannel channel;
    private long position;

    Awaited(AsynchronousFileChannel channel) {
      this.channel = channel;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      int n = await(channel.read(dst, position));
      position += Math.max(0, n);
      return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      int n = await(channel.write(src, position));
      position += n;
      return n;
    }

    private static int await(Future<Integer> future) throws IOException {
      try {
        return future.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException();
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException io) {
          throw io;
        }
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IOException(e.getCause());
      }
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
      position = newPosition;
      return this;
    }

    @Override
    public long size() throws IOException {
      return channel.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
      channel.truncate(size);
      position = Math.min(position, size);
      return this;
    }

    @Override
    public boolean isOpen() {
      return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /** Reads up to {@code length} bytes at {@code position} (-1: where the channel is). */
  record Read(int slot, long position, int length) implements OnHeld {
    @Override
    public String applyTo(SeekableByteChannel ch) throws IOException {
      if (position >= 0) {
        ch.position(position);
      }
      ByteBuffer buffer = ByteBuffer.allocate(length);
      int n = 0;
      while (buffer.hasRemaining() && (n = ch.read(buffer)) >= 0) {
        // a regular file may give fewer bytes than asked before its end: read on
      }
      return ContainerOps.describe(Arrays.copyOf(buffer.array(), buffer.position()))
          + (n < 0 ? " eof" : "") + " pos=" + ch.position();
    }

    @Override
    public String toString() {
      return at(slot, position) + ".read(" + length + " bytes)";
    }
  }

  /** Writes {@code data} at {@code position} (-1: where the channel is). */
  record Write(int slot, long position, Data data) implements OnHeld {
    @Override
    public String applyTo(SeekableByteChannel ch) throws IOException {
      if (position >= 0) {
        ch.position(position);
      }
      ByteBuffer buffer = ByteBuffer.wrap(data.bytes());
      while (buffer.hasRemaining()) {
        ch.write(buffer);
      }
      return "size=" + ch.size() + " pos=" + ch.position();
    }

    @Override
    public String toString() {
      return at(slot, position) + ".write(" + data + ")";
    }
  }

  /** {@code h.truncate(size)}. */
  record Truncate(int slot, long size) implements OnHeld {
    @Override
    public String applyTo(SeekableByteChannel ch) throws IOException {
      ch.truncate(size);
      return "size=" + ch.size() + " pos=" + ch.position();
    }

    @Override
    public String toString() {
      return name(slot) + ".truncate(" + size + ")";
    }
  }

  /**
   * A {@link FileChannel}'s own calls on a held channel: {@code map(READ_ONLY)} of the whole file
   * read, {@code transferTo} of the whole file into memory (a channel of no file, which the JDK
   * serves with reads: a file target would take sendfile(2) or a mapping), or {@code tryLock} of
   * the whole file (released when the channel closes).
   */
  record FileChannelCall(int slot, String call) implements OnHeld {
    @Override
    public String applyTo(SeekableByteChannel held) throws IOException {
      if (!(held instanceof FileChannel ch)) {
        return "not a FileChannel";
      }
      switch (call) {
        case "map" -> {
          ByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
          byte[] bytes = new byte[mapped.remaining()];
          mapped.get(bytes);
          return ContainerOps.describe(bytes);
        }
        case "transferTo" -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          WritableByteChannel target = Channels.newChannel(out);
          long size = ch.size();
          long n = 0;
          while (n < size) {
            long sent = ch.transferTo(n, size - n, target);
            if (sent <= 0) {
              break;
            }
            n += sent;
          }
          return ContainerOps.describe(out.toByteArray()) + " pos=" + ch.position();
        }
        default -> {
          boolean shared = call.equals("tryLock shared");
          FileLock lock = ch.tryLock(0, Long.MAX_VALUE, shared);
          return lock == null ? "held elsewhere" : "locked shared=" + lock.isShared();
        }
      }
    }

    @Override
    public String toString() {
      return switch (call) {
        case "map" -> name(slot) + ".map(READ_ONLY, 0, size) read whole";
        case "transferTo" -> name(slot) + ".transferTo(0, size, a channel of memory)";
        default -> name(slot) + ".tryLock(0, MAX, " + call.equals("tryLock shared") + ")";
      };
    }
  }

  /** {@code h.close()}: what the close does to the file shows in the later steps. */
  record Close(int slot) implements Op {
    @Override
    public String apply(Path root) throws IOException {
      SeekableByteChannel[] slots = slots(root);
      SeekableByteChannel ch = slots[slot];
      if (ch == null) {
        return "no channel";
      }
      slots[slot] = null;
      ch.close();
      return "";
    }

    @Override
    public List<Arg> args() {
      return List.of();
    }

    @Override
    public String toString() {
      return name(slot) + ".close()";
    }
  }
}
