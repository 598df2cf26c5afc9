package io.layerfs.provider;

import io.layerfs.testing.Props;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.quicktheories.core.Gen;

/**
 * Helpers that compare a layerfs operation with the same operation of the JDK's Unix paths.
 *
 * <p>An outcome is a string describing either the full structure of the result or the type of
 * the exception, so one assertEquals compares everything a caller could observe.
 */
final class JdkOracle {
  /** Non-ASCII names only make sense when the JDK encodes paths as UTF-8 (its jnu encoding). */
  static final boolean UTF8_NATIVE =
      "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding"));

  private static final List<String> ASCII_TOKENS =
      List.of("a", "b", "..", ".", "", "/", "/", "c d", "%", "#", "?", "ab", "a.");
  // U+FFFD and U+1D11E order differently as UTF-16 units than as code points (UTF-8 bytes)
  private static final List<String> UNICODE_TOKENS = List.of("é", "\uFFFD", "\uD834\uDD1E");

  private JdkOracle() {}

  static final LayerFileSystem FS = new LayerFileSystem(new LayerFileSystemProvider(), "web");
  static final LayerFileSystem OTHER_FS = new LayerFileSystem(new LayerFileSystemProvider(), "db");

  static List<String> tokens() {
    List<String> tokens = new ArrayList<>(ASCII_TOKENS);
    if (UTF8_NATIVE) {
      tokens.addAll(UNICODE_TOKENS);
    }
    return tokens;
  }

  /** Random path strings: up to 8 tokens concatenated, so "", "//", "a/", "../." all occur. */
  static Gen<String> pathStrings(Props p) {
    return p.map(p.lists(p.choose(tokens()), 0, 8), l -> String.join("", l));
  }

  static LayerPath ours(String s) {
    return LayerPath.parse(FS, s);
  }

  static Path jdk(String s) {
    return Path.of(s);
  }

  /** The observable outcome of an operation: the described result or the exception type. */
  static String outcome(Callable<?> op) {
    try {
      return "= " + describe(op.call());
    } catch (Exception e) {
      return "! " + e.getClass().getName();
    }
  }

  static String describe(Object result) {
    if (result instanceof Path p) {
      return describePath(p);
    }
    return String.valueOf(result);
  }

  /** Everything path algebra can see of a path, without touching its file system. */
  static String describePath(Path p) {
    StringBuilder sb = new StringBuilder("path<").append(p).append('>');
    sb.append(" abs=").append(p.isAbsolute());
    sb.append(" root=").append(p.getRoot());
    sb.append(" file=").append(p.getFileName());
    sb.append(" parent=").append(p.getParent());
    sb.append(" names=[");
    for (int i = 0; i < p.getNameCount(); i++) {
      sb.append(i == 0 ? "" : "|").append(p.getName(i));
    }
    return sb.append(']').toString();
  }

  static int sign(int x) {
    return Integer.signum(x);
  }
}
