package io.layerfs.core.rootfs;

import io.layerfs.core.content.BlobWriter;
import java.io.Closeable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Future;

/**
 * Passes bytes on to a {@link BlobWriter} and flushes its temp file to the disk in the background
 * every {@value #EVERY} bytes, so the fsync of the commit finds only the last few MiB dirty. With
 * the pages written back while {@link LayerStore} is still inflating, the commit's fsync of a big
 * layer costs milliseconds instead of a whole extra write-out after decompression.
 *
 * <p>It flushes through a channel of its own on the same file ({@code fdatasync} writes back the
 * file's dirty pages whichever descriptor asks), on {@link InflatePipeline}'s pool, at most one
 * flush at a time: when one is still running, the next threshold is skipped. Durability is
 * unchanged: the writer's commit still fsyncs the file and the directory. A failed background
 * flush is rethrown by {@link #finish}.
 *
 * <p>Not thread-safe: one writing thread, like the writer.
 */
final class SyncBehind extends FilterOutputStream implements Closeable {
  static final long EVERY = 8L << 20;

  private final FileChannel file;
  private long written;
  private long nextFlush = EVERY;
  private Future<Void> flushing;

  /** {@code temp} is the file {@code writer} writes. */
  SyncBehind(OutputStream writer, Path temp) throws IOException {
    super(writer);
    this.file = FileChannel.open(temp, StandardOpenOption.READ);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    wrote(1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    wrote(len);
  }

  private void wrote(long n) throws IOException {
    written += n;
    if (written >= nextFlush) {
      nextFlush = written + EVERY;
      if (flushing == null || flushing.isDone()) {
        if (flushing != null) {
          InflatePipeline.await(flushing); // rethrows a failure
        }
        flushing = InflatePipeline.submit(() -> {
          file.force(false);
          return null;
        });
      }
    }
  }

  /** Waits for the last background flush, rethrowing its failure. */
  void finish() throws IOException {
    if (flushing != null) {
      Future<Void> last = flushing;
      flushing = null;
      InflatePipeline.await(last);
    }
  }

  /** Waits for a running flush (ignoring its outcome) and closes its channel, not the writer. */
  @Override
  public void close() throws IOException {
    try {
      finish();
    } catch (IOException | RuntimeException e) {
      // the caller is failing already or has called finish
    } finally {
      file.close();
    }
  }
}
