package io.layerfs.core.overlay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A file channel that behaves as the one it wraps and notes the calls the JDK's own channel
 * hides from a test: forces (a durability contract), transfers (whether the OS copies the
 * bytes), truncates and closes. It can also read and write in short pieces, as the {@link
 * FileChannel} contract allows, so that callers' loops are exercised.
 */
final class TracingChannel extends FileChannel {
  /** What the channels wrapped with it did, in order, each event named by its channel's name. */
  static final class Trace {
    private final List<String> events = new ArrayList<>();
    /** At most this many bytes a read or write moves; 0: no limit. */
    volatile int piece;

    /** Wraps channels as {@code name}: "log force false", "data transferTo"... */
    UnaryOperator<FileChannel> as(String name) {
      return c -> new TracingChannel(c, this, name);
    }

    synchronized void add(String event) {
      events.add(event);
    }

    synchronized List<String> events() {
      return List.copyOf(events);
    }

    synchronized int count(String event) {
      int n = 0;
      for (String e : events) {
        n += e.equals(event) ? 1 : 0;
      }
      return n;
    }

    synchronized void clear() {
      events.clear();
    }
  }

  private final FileChannel c;
  private final Trace trace;
  private final String name;

  private TracingChannel(FileChannel c, Trace trace, String name) {
    this.c = c;
    this.trace = trace;
    this.name = name;
  }

  /** {@code b} limited to one piece; the caller puts back the limit. */
  private int piece(ByteBuffer b) {
    int oldLimit = b.limit();
    int piece = trace.piece;
    if (piece > 0 && b.remaining() > piece) {
      b.limit(b.position() + piece);
    }
    return oldLimit;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int oldLimit = piece(dst);
    try {
      return c.read(dst);
    } finally {
      dst.limit(oldLimit);
    }
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return c.read(dsts, offset, length);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    int oldLimit = piece(src);
    try {
      return c.write(src);
    } finally {
      src.limit(oldLimit);
    }
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return c.write(srcs, offset, length);
  }

  @Override
  public long position() throws IOException {
    return c.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    c.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return c.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    trace.add(name + " truncate " + size);
    c.truncate(size);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    trace.add(name + " force " + metaData);
    c.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    trace.add(name + " transferTo");
    return c.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count)
      throws IOException {
    return c.transferFrom(src, position, count);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    int oldLimit = piece(dst);
    try {
      return c.read(dst, position);
    } finally {
      dst.limit(oldLimit);
    }
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int oldLimit = piece(src);
    try {
      return c.write(src, position);
    } finally {
      src.limit(oldLimit);
    }
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return c.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return c.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return c.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    trace.add(name + " close");
    c.close();
  }
}
