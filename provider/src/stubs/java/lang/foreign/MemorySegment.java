package java.lang.foreign;

import java.nio.Buffer;

/**
 * A compile-time stand-in for Java 22's {@code MemorySegment} (see {@link Arena}): its name and
 * the one method the provider calls. Never packaged.
 */
public interface MemorySegment {
  static MemorySegment ofBuffer(Buffer buffer) {
    throw new UnsupportedOperationException("a compile-time stand-in");
  }
}
