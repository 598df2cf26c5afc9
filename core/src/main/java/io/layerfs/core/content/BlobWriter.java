package io.layerfs.core.content;

import io.layerfs.core.Digest;
import io.layerfs.core.internal.FileTrees;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.concurrent.Future;

/**
 * Writes one blob into a {@link ContentStore}: bytes go to a temp file and a digest at once;
 * {@link #commit} makes the blob durable and visible, {@link #close} without a commit throws it
 * away.
 *
 * <p>Commit order (containerd's ingest): flush, fsync the file, check size and digest against
 * what the caller expects, rename atomically to {@code blobs/<alg>/<hex>}, fsync the directory. A
 * crash before the rename leaves only a temp file under the store's state directory; a blob that
 * exists is never rewritten, only the temp file is dropped. Writing past an expected size fails
 * at once, so a lying or hostile source cannot fill the disk.
 *
 * <p>A large blob is written back to the disk while it is written ({@link Writeback}, every
 * {@value #WRITEBACK_STEP} bytes), so that the fsync of the commit waits for the last few MiB
 * only: for a 95 MB layer pulled from a registry it took 30-55 ms, most of it after the last
 * byte had arrived.
 *
 * <p>A whole buffer of zeros ({@value #BUFFER} bytes at an offset that is a multiple of it) is
 * not written but left a hole: an inflated layer with a large sparse or zero-filled file takes
 * no disk for its zeros, as the file did not in the container that made it.
 *
 * <p>Not thread-safe: one writer per thread.
 */
public final class BlobWriter extends OutputStream {
  private static final int BUFFER = 1 << 16;
  /** Bytes written between two writebacks (see the class comment). */
  static final long WRITEBACK_STEP = 8 << 20;
  /** A buffer of zeros, which a full buffer is compared with (never written to). */
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(BUFFER).asReadOnlyBuffer();

  /** The store's {@code blobs/} folder. */
  private final Path blobs;
  private final Path temp;
  private final FileChannel channel;
  private final MessageDigest hasher;
  private final String algorithm;
  private final long limit;
  private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER);
  private long size;
  /** Bytes written when the last writeback started, and that writeback (null: none yet). */
  private long writtenBack;
  private Future<?> writeback;
  private boolean synced;
  private boolean done;

  /**
   * @param algorithm {@code sha256} or {@code sha512}
   * @param limit the most bytes accepted, or -1 for no limit
   */
  public BlobWriter(Path blobs, Path temp, String algorithm, long limit) throws IOException {
    this.blobs = blobs;
    this.temp = temp;
    this.algorithm = algorithm;
    this.hasher = Digest.newMessageDigest(algorithm);
    this.limit = limit;
    this.channel =
        FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (done) {
      throw new IOException("blob writer is closed");
    }
    if (limit >= 0 && size + len > limit) {
      throw new IOException("blob is larger than its expected size of " + limit + " bytes");
    }
    hasher.update(b, off, len);
    size += len;
    synced = false;
    while (len > 0) {
      int n = Math.min(len, buffer.remaining());
      buffer.put(b, off, n);
      off += n;
      len -= n;
      if (!buffer.hasRemaining()) {
        drain();
      }
    }
  }

  /**
   * Writes what is buffered and fsyncs the file, so that a {@link #commit} without further
   * writes only checks and renames: a caller can wait for other work between the two.
   */
  public void sync() throws IOException {
    if (done) {
      throw new IOException("blob writer is closed");
    }
    if (!synced) {
      drain();
      try {
        if (channel.size() < size) {
          // the blob ends in a hole: its last byte written makes the file as long as the blob
          channel.write(ByteBuffer.allocate(1), size - 1);
        }
        awaitWriteback();
        channel.force(true);
      } catch (ClosedChannelException e) {
        throw e;
      } catch (IOException e) {
        throw failed(e);
      }
      synced = true;
    }
  }

  /** Bytes written so far. */
  public long size() {
    return size;
  }

  /**
   * Verifies and publishes the blob (after a {@link #sync} unless that ran since the last write).
   *
   * @param expected the digest the content must have, or null to accept any
   * @param expectedSize the size the content must have, or -1
   * @return the blob's digest
   * @throws BlobMismatchException on a size or digest mismatch (naming both values); the temp
   *     file is gone
   * @throws IOException if the file cannot be written, forced or renamed (a full disk); the temp
   *     file is gone
   */
  public Digest commit(Digest expected, long expectedSize) throws IOException {
    if (done) {
      throw new IOException("blob writer is closed");
    }
    Digest actual;
    try {
      sync();
      channel.close();
      actual = Digest.of(algorithm, hasher.digest());
      if (expectedSize >= 0 && size != expectedSize) {
        throw new BlobMismatchException(
            "size mismatch for blob "
                + (expected != null ? expected : actual)
                + ": expected "
                + expectedSize
                + " bytes, got "
                + size);
      }
      if (expected != null && !expected.equals(actual)) {
        throw new BlobMismatchException(
            "digest mismatch: expected " + expected + ", actual " + actual);
      }
      Path target = blobs.resolve(actual.algorithm()).resolve(actual.hex());
      if (Files.exists(target)) {
        Files.delete(temp);
      } else {
        Files.createDirectories(target.getParent());
        move(temp, target);
        FileTrees.fsyncDirectory(target.getParent());
      }
    } finally {
      done = true;
      abandon();
    }
    return actual;
  }

  /** Discards an uncommitted blob. */
  @Override
  public void close() throws IOException {
    if (!done) {
      done = true;
      abandon();
    }
  }

  private void drain() throws IOException {
    buffer.flip();
    try {
      if (buffer.remaining() == BUFFER && buffer.mismatch(ZEROS) < 0) {
        channel.position(channel.position() + BUFFER); // a hole (see the class comment)
        buffer.position(buffer.limit());
      }
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
    } catch (ClosedChannelException e) {
      throw e;
    } catch (IOException e) {
      throw failed(e);
    }
    buffer.clear();
    if (size - writtenBack >= WRITEBACK_STEP) {
      if (writeback != null && writeback.isDone()) {
        try {
          awaitWriteback(); // a failed one is thrown here, not lost
        } catch (ClosedChannelException e) {
          throw e;
        } catch (IOException e) {
          throw failed(e);
        }
      }
      if (writeback == null) {
        Future<?> started = Writeback.start(channel);
        if (started != null) {
          writtenBack = size;
          writeback = started;
        }
      }
    }
  }

  /**
   * Waits for the writeback under way, if any, and throws what it failed with: the kernel may
   * report a write error to one fsync only, and that may have been the writeback's.
   */
  private void awaitWriteback() throws IOException {
    if (writeback == null) {
      return;
    }
    try {
      Writeback.await(writeback);
    } finally {
      writeback = null;
    }
  }

  /** A write error (a full disk) naming the temp file, which the JDK's message does not. */
  private IOException failed(IOException e) {
    return new IOException("cannot write " + temp + " (a blob being stored): " + e.getMessage(),
        e);
  }

  private void abandon() throws IOException {
    try {
      channel.close();
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  public static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + from + " atomically to " + to, e);
    }
  }
}
