package io.layerfs.core.overlay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
final class TracingChannel extends ForwardingChannel {
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

  private final Trace trace;
  private final String name;

  private TracingChannel(FileChannel c, Trace trace, String name) {
    super(c);
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
      return delegate.read(dst);
    } finally {
      dst.limit(oldLimit);
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    int oldLimit = piece(src);
    try {
      return delegate.write(src);
    } finally {
      src.limit(oldLimit);
    }
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    trace.add(name + " truncate " + size);
    return super.truncate(size);
  }

  @Override
  public void force(boolean metaData) throws IOException {
    trace.add(name + " force " + metaData);
    delegate.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    trace.add(name + " transferTo");
    return delegate.transferTo(position, count, target);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    int oldLimit = piece(dst);
    try {
      return delegate.read(dst, position);
    } finally {
      dst.limit(oldLimit);
    }
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    int oldLimit = piece(src);
    try {
      return delegate.write(src, position);
    } finally {
      src.limit(oldLimit);
    }
  }

  @Override
  protected void implCloseChannel() throws IOException {
    trace.add(name + " close");
    super.implCloseChannel();
  }
}
