package java.lang.foreign;

/** A compile-time stand-in for Java 22's {@code FunctionDescriptor} (see {@link Linker}). */
public interface FunctionDescriptor {
  static FunctionDescriptor of(MemoryLayout result, MemoryLayout... arguments) {
    throw new UnsupportedOperationException("a compile-time stand-in");
  }
}
