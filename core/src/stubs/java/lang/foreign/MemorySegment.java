package java.lang.foreign;

import java.nio.Buffer;

/** A compile-time stand-in for Java 22's {@code MemorySegment} (see {@link Linker}). */
public interface MemorySegment {
  static MemorySegment ofArray(byte[] array) {
    throw new UnsupportedOperationException("a compile-time stand-in");
  }

  static MemorySegment ofArray(long[] array) {
    throw new UnsupportedOperationException("a compile-time stand-in");
  }

  static MemorySegment ofBuffer(Buffer buffer) {
    throw new UnsupportedOperationException("a compile-time stand-in");
  }
}
