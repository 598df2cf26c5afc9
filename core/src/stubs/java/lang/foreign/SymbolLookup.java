package java.lang.foreign;

import java.util.Optional;

/** A compile-time stand-in for Java 22's {@code SymbolLookup} (see {@link Linker}). */
public interface SymbolLookup {
  Optional<MemorySegment> find(String name);
}
