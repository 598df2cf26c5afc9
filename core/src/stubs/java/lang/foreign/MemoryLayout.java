package java.lang.foreign;

/** A compile-time stand-in for Java 22's {@code MemoryLayout} (see {@link Linker}). */
public interface MemoryLayout {}
