package io.layerfs.provider;

import static io.layerfs.provider.JdkOracle.jdk;
import static io.layerfs.provider.JdkOracle.ours;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.nio.file.FileSystems;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/** Glob and regex matchers against the default file system's matchers. */
class LayerPathMatcherTest {
  private static final List<String> GLOB_TOKENS = List.of(
      "*", "**", "?", "[", "]", "!", "^", "-", "a", "b", "c", "{", "}", ",", "\\", "/", ".",
      "&", "&&", "$", "(", "|", "+", "[a-c]", "[!a]", "{a,b}", "\\*", " ");
  private static final List<String> NAME_TOKENS = List.of(
      "a", "b", "c", "/", ".", "-", "!", "^", "{", "}", ",", "*", "[", "]", "&", "\\", "$", " ");

  static Gen<String> globs(Props p) {
    return p.map(p.lists(p.choose(GLOB_TOKENS), 0, 7), l -> String.join("", l));
  }

  static Gen<List<String>> pathSets(Props p) {
    List<String> tokens = new ArrayList<>(NAME_TOKENS);
    if (JdkOracle.UTF8_NATIVE) {
      tokens.add("é");
    }
    return p.lists(p.map(p.lists(p.choose(tokens), 0, 6), l -> String.join("", l)), 1, 12);
  }

  /** Outcome of building a matcher: the exception (type and message) or the matched paths. */
  private static String outcome(String syntaxAndPattern, List<String> paths, boolean jdk) {
    PathMatcher m;
    try {
      m = jdk
          ? FileSystems.getDefault().getPathMatcher(syntaxAndPattern)
          : LayerPathMatcher.of(syntaxAndPattern);
    } catch (RuntimeException e) {
      return "! " + e.getClass().getName() + ": " + e.getMessage();
    }
    StringBuilder sb = new StringBuilder();
    for (String p : paths) {
      sb.append(m.matches(jdk ? jdk(p) : ours(p)) ? '1' : '0');
    }
    return sb.toString();
  }

  private static void assertSameAsJdk(String syntaxAndPattern, List<String> paths) {
    assertEquals(
        outcome(syntaxAndPattern, paths, true),
        outcome(syntaxAndPattern, paths, false),
        syntaxAndPattern + " on " + paths);
  }

  @Test
  void globsMatchLikeTheJdk() {
    Props p = Props.tries(3000);
    p.qt().forAll(globs(p), pathSets(p)).checkAssert((glob, paths) ->
        assertSameAsJdk("glob:" + glob, paths));
  }

  @Test
  void globsMatchTheirOwnLiterals() {
    Props p = Props.tries(1000);
    p.qt().forAll(globs(p)).checkAssert(glob -> {
      // random paths rarely match; the glob text itself and its pieces often do
      List<String> paths = new ArrayList<>();
      paths.add(glob.replace("\\", ""));
      paths.add(glob.replaceAll("[\\[\\]{}\\\\*?]", ""));
      paths.add(glob.replace("*", "x").replace("?", "y"));
      paths.add(glob.replace("**", "a/b").replace("{", "").replace("}", "").replace(",", ""));
      paths.removeIf(path -> path.indexOf('\0') >= 0);
      assertSameAsJdk("glob:" + glob, paths);
    });
  }

  @Test
  void documentedGlobExamples() {
    List<String> paths = List.of("Foo.java", "src/Foo.java", "a/b/Bar.java", "Foo.jav",
        "foo.h", "foo.c", "abc", "a", "b", "a/b", ".hidden", "x-y", "[x]", "*", "{a}");
    for (String glob : List.of("*.java", "**/*.java", "*.*", "*.{java,class}", "foo.?",
        "/home/*/*", "/home/**", "[a-c]", "[!a-c]", "[-a]", "[a-]", "\\*", "\\{a\\}", "{a,b}",
        "{}", "{,a}", "*/", "a\\/b", "[[]x]", "[\\]]", "a,b", "}", "[a-c-e]", "**", "***")) {
      assertSameAsJdk("glob:" + glob, paths);
    }
  }

  @Test
  void explicitMatches() {
    PathMatcher java = LayerPathMatcher.of("glob:*.java");
    assertTrue(java.matches(ours("Foo.java")));
    assertFalse(java.matches(ours("src/Foo.java")));
    assertTrue(LayerPathMatcher.of("glob:**/*.java").matches(ours("/a/b/Foo.java")));
    assertTrue(LayerPathMatcher.of("GLOB:{a,b}c").matches(ours("bc")));
    assertFalse(LayerPathMatcher.of("glob:[!a]").matches(ours("a")));
    assertFalse(LayerPathMatcher.of("glob:?").matches(ours("/")));
    assertTrue(LayerPathMatcher.of("regex:.*/b").matches(ours("/a/b")));
    assertTrue(LayerPathMatcher.of("Regex:a|b").matches(ours("b")));
  }

  @Test
  void badSyntaxAndPatterns() {
    for (String s : List.of("nocolon", ":glob", "")) {
      assertThrows(IllegalArgumentException.class, () -> LayerPathMatcher.of(s), s);
      assertThrows(IllegalArgumentException.class,
          () -> FileSystems.getDefault().getPathMatcher(s), "oracle " + s);
    }
    // the JDK's check for an empty pattern can never fire: "glob:" matches the empty path only
    assertTrue(LayerPathMatcher.of("glob:").matches(ours("")));
    assertFalse(LayerPathMatcher.of("regex:").matches(ours("a")));
    assertSameAsJdk("glob:", List.of("", "a", "/"));
    assertSameAsJdk("regex:", List.of("", "a", "/"));
    assertThrows(UnsupportedOperationException.class, () -> LayerPathMatcher.of("foo:x"));
    assertSameAsJdk("foo:x", List.of("a"));
    for (String s : List.of("glob:[a", "glob:{a{b}}", "glob:{a", "glob:\\", "glob:[a/b]",
        "glob:[c-a]", "glob:[--]", "regex:[", "regex:(")) {
      assertThrows(PatternSyntaxException.class, () -> LayerPathMatcher.of(s), s);
      assertSameAsJdk(s, List.of("a"));
    }
    assertThrows(NullPointerException.class, () -> LayerPathMatcher.of(null));
  }
}
