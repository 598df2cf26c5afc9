package io.layerfs.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
 * Standard output for the bytes of files and tars ({@code cat}, {@code cp NAME:SRC -}, {@code
 * export NAME}), which stops at the first failed write. {@code System.out} is a {@code
 * PrintStream}, which swallows write errors: {@code layerfs cat IMG BIG | head -c 10} went on
 * writing the whole file into the closed pipe and exited 0. Here a failed write throws {@link
 * WriteError}, which {@link Main} reports as {@code cat} ends: a closed pipe silently, with the
 * status the shell gives a program killed by {@code SIGPIPE} (141, as {@code cat} and docker,
 * which both die of the signal; the JVM ignores it and sees {@code EPIPE}), any other error as
 * {@code layerfs: write error: REASON} with status 1. The text of the other commands ({@code
 * ls}, {@code images}, help) goes through {@link #text}, which fails the same way and writes
 * names that are not UTF-8 as their bytes ({@link NameTextWriter}).
 */
final class StandardOutput extends FilterOutputStream {
  /** The exit status of a command whose reader went away: 128 + SIGPIPE, as the shell reports. */
  static final int BROKEN_PIPE_STATUS = 128 + 13;

  /** A write to standard output that failed: the reader is gone, or the disk is full. */
  static final class WriteError extends IOException {
    private static final long serialVersionUID = 1L;

    WriteError(IOException cause) {
      super(cause.getMessage(), cause);
    }

    /** Whether the write failed with {@code EPIPE}: nobody reads the pipe any more. */
    boolean brokenPipe() {
      String message = getMessage();
      return message != null
          && (message.equals("Broken pipe") || message.equals(BrokenPipe.MESSAGE));
    }
  }

  private StandardOutput(OutputStream out) {
    super(out);
  }

  /** The process's own standard output, its file descriptor 1, unbuffered. */
  static OutputStream ofProcess() {
    return new FileOutputStream(FileDescriptor.out);
  }

  /**
   * A buffered stream over {@code out} (the process's standard output, or what a test gave
   * {@link Main#run}) whose failed writes and flushes throw {@link WriteError}; closing it
   * flushes it and leaves {@code out} open.
   */
  static OutputStream over(OutputStream out) {
    return new BufferedOutputStream(new StandardOutput(out), 1 << 16);
  }

  /**
   * A printer for text to {@code out} that stops at the first failed write: a {@code
   * PrintWriter} swallows {@code IOException}s, so its writer throws the {@link WriteError}
   * unchecked, which ends the command as the byte commands end. Flushed at every line, as {@code
   * System.out} was, in the default charset.
   */
  static PrintWriter text(OutputStream out) {
    Charset charset = Charset.defaultCharset();
    Writer writer = charset.equals(StandardCharsets.UTF_8) ? new NameTextWriter(over(out))
        : new OutputStreamWriter(over(out), charset);
    return new PrintWriter(new FailingWriter(writer), true);
  }

  /** A writer whose failures escape {@code PrintWriter}: unchecked, the cause a WriteError. */
  private static final class FailingWriter extends Writer {
    private final Writer out;

    FailingWriter(Writer out) {
      this.out = out;
    }

    @Override
    public void write(char[] chars, int off, int len) {
      try {
        out.write(chars, off, len);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void write(String s, int off, int len) {
      try {
        out.write(s, off, len);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void flush() {
      try {
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      flush(); // standard output stays open
    }
  }

  @Override
  public void write(int b) throws IOException {
    try {
      out.write(b);
    } catch (IOException e) {
      throw new WriteError(e);
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    try {
      out.write(b, off, len);
    } catch (IOException e) {
      throw new WriteError(e);
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      throw new WriteError(e);
    }
  }

  @Override
  public void close() throws IOException {
    flush(); // standard output stays open
  }

  /** The {@link WriteError} among {@code e} and its causes, or null. */
  static WriteError writeError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof WriteError w) {
        return w;
      }
    }
    return null;
  }

  /**
   * The JDK's message for {@code EPIPE} where the C library words it in the user's language:
   * a write to a pipe nobody reads, asked once when a write has failed.
   */
  private static final class BrokenPipe {
    static final String MESSAGE = message();

    private static String message() {
      try {
        Pipe pipe = Pipe.open();
        pipe.source().close();
        try (Pipe.SinkChannel sink = pipe.sink()) {
          sink.write(ByteBuffer.allocate(1));
        }
      } catch (IOException e) {
        return e.getMessage();
      }
      return null;
    }
  }
}
