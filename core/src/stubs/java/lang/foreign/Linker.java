package java.lang.foreign;

import java.lang.invoke.MethodHandle;

/**
 * A compile-time stand-in for Java 22's {@code Linker}, so that the core, built by Java 17, can
 * name it in the classes it loads on Java 22 and later only: the methods those call. Never
 * packaged; at run time the JDK's own class is the one linked.
 */
public interface Linker {
  static Linker nativeLinker() {
    throw new UnsupportedOperationException("a compile-time stand-in");
  }

  SymbolLookup defaultLookup();

  MethodHandle downcallHandle(MemorySegment address, FunctionDescriptor function,
      Option... options);

  /** A stand-in for {@code Linker.Option}. */
  interface Option {
    static Option firstVariadicArg(int index) {
      throw new UnsupportedOperationException("a compile-time stand-in");
    }

    static Option critical(boolean allowHeapAccess) {
      throw new UnsupportedOperationException("a compile-time stand-in");
    }
  }
}
