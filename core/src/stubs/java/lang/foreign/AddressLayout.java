package java.lang.foreign;

/** A compile-time stand-in for Java 22's {@code AddressLayout} (see {@link Linker}). */
public interface AddressLayout extends ValueLayout {}
