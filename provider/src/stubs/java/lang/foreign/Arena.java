package java.lang.foreign;

/**
 * A compile-time stand-in for Java 22's {@code Arena}, so that the provider, built by Java 17,
 * can override {@code FileChannel.map(MapMode, long, long, Arena)}: only its name is used. Never
 * packaged; at run time the JDK's own class (Java 22 and later) is the one linked.
 */
public interface Arena extends AutoCloseable {}
