package io.layerfs.cli;

import io.layerfs.core.internal.NameBytes;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 text whose file names keep their bytes: a name of an image that is not UTF-8 holds each
 * such byte as an escape ({@link NameBytes}), and this writer writes that byte, as {@code ls}
 * and {@code docker diff} print a name's bytes to a pipe. A UTF-8 encoder would print {@code ?}.
 */
final class NameTextWriter extends Writer {
  private final OutputStream out;
  private char pendingHigh; // a surrogate pair cut between two writes

  NameTextWriter(OutputStream out) {
    this.out = out;
  }

  @Override
  public void write(char[] chars, int off, int len) throws IOException {
    write(new String(chars, off, len));
  }

  @Override
  public void write(String s, int off, int len) throws IOException {
    write(s.substring(off, off + len));
  }

  @Override
  public void write(String s) throws IOException {
    if (pendingHigh != 0) {
      s = pendingHigh + s;
      pendingHigh = 0;
    }
    if (!s.isEmpty() && Character.isHighSurrogate(s.charAt(s.length() - 1))) {
      pendingHigh = s.charAt(s.length() - 1);
      s = s.substring(0, s.length() - 1);
    }
    byte[] bytes;
    try {
      bytes = NameBytes.encode(s);
    } catch (IllegalArgumentException e) {
      bytes = s.getBytes(StandardCharsets.UTF_8); // a lone surrogate that escapes no byte: '?'
    }
    out.write(bytes);
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    flush();
  }
}
