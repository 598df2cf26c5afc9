package io.layerfs.core.overlay;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A growable byte array that container metadata records are encoded into, in the byte order
 * and layout of {@link java.io.DataOutputStream} (which {@link UpperLayer} reads them back
 * with). It exists because a record is built for every file created or closed, and a {@code
 * DataOutputStream} over a {@code ByteArrayOutputStream} took a lock and a virtual call for each
 * field.
 *
 * <p>Not thread-safe.
 */
final class RecordWriter {
  private static final VarHandle INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private byte[] buf = new byte[256];
  private int size;

  void writeByte(int v) {
    ensure(1);
    buf[size++] = (byte) v;
  }

  void writeBoolean(boolean v) {
    writeByte(v ? 1 : 0);
  }

  void writeInt(int v) {
    ensure(4);
    INT.set(buf, size, v);
    size += 4;
  }

  void writeLong(long v) {
    ensure(8);
    LONG.set(buf, size, v);
    size += 8;
  }

  void write(byte[] b) {
    ensure(b.length);
    System.arraycopy(b, 0, buf, size, b.length);
    size += b.length;
  }

  /** The backing array: bytes {@code [0, size())} are the record. */
  byte[] array() {
    return buf;
  }

  int size() {
    return size;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  private void ensure(int n) {
    if (size + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
    }
  }
}
