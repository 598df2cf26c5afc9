package java.lang.foreign;

/**
 * A compile-time stand-in for Java 22's {@code ValueLayout} (see {@link Linker}): the three
 * layouts the core names, with the JDK's field types (a field is linked by name and type).
 */
public interface ValueLayout extends MemoryLayout {
  OfInt JAVA_INT = null;
  OfLong JAVA_LONG = null;
  AddressLayout ADDRESS = null;

  /** A stand-in for {@code ValueLayout.OfInt}. */
  interface OfInt extends ValueLayout {}

  /** A stand-in for {@code ValueLayout.OfLong}. */
  interface OfLong extends ValueLayout {}
}
