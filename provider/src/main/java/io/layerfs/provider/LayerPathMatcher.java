package io.layerfs.provider;

import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code glob:} and {@code regex:} path matchers of {@link
 * java.nio.file.FileSystem#getPathMatcher}, matching {@code path.toString()}.
 *
 * <p>The glob syntax is the one documented there, translated to a {@link Pattern} exactly as the
 * JDK's default file system on Unix translates it, so that the same pattern accepts the same paths
 * and rejects the same bad patterns (the tests compare with the JDK on random patterns). Its
 * corners, kept on purpose:
 *
 * <ul>
 *   <li>{@code *} and {@code ?} stay within a name; {@code **} crosses {@code /}; a bracket
 *       expression never matches {@code /}, and an explicit {@code /} in one is an error.
 *   <li>In a bracket expression, {@code !} first negates, a leading {@code ^} is literal, {@code -}
 *       is literal first or last, and a range end is copied to the regex unescaped.
 *   <li>{@code \} escapes the next character; a trailing {@code \} is an error. Outside a group,
 *       {@code ,} and {@code }} are literal; groups do not nest.
 * </ul>
 *
 * <p>Errors, as the JDK: no {@code syntax:} prefix or an empty pattern -> {@link
 * IllegalArgumentException}; unknown syntax -> {@link UnsupportedOperationException}; bad pattern
 * -> {@link PatternSyntaxException}. Immutable and thread-safe.
 */
final class LayerPathMatcher implements PathMatcher {
  private static final String REGEX_META = ".^$+{[]|()";
  private static final String GLOB_META = "\\*?[{";
  // what next() answers past the end of the glob, as the JDK's translator does
  private static final char END = 0;

  private final Pattern pattern;

  private LayerPathMatcher(Pattern pattern) {
    this.pattern = pattern;
  }

  /** A matcher for {@code glob:PATTERN} or {@code regex:PATTERN} (syntax case-insensitive). */
  static PathMatcher of(String syntaxAndPattern) {
    int colon = syntaxAndPattern.indexOf(':');
    if (colon <= 0 || colon == syntaxAndPattern.length()) {
      throw new IllegalArgumentException();
    }
    String syntax = syntaxAndPattern.substring(0, colon);
    String input = syntaxAndPattern.substring(colon + 1);
    String regex;
    if (syntax.equalsIgnoreCase("glob")) {
      regex = globToRegex(input);
    } else if (syntax.equalsIgnoreCase("regex")) {
      regex = input;
    } else {
      throw new UnsupportedOperationException("Syntax '" + syntax + "' not recognized");
    }
    return new LayerPathMatcher(Pattern.compile(regex));
  }

  @Override
  public boolean matches(Path path) {
    return pattern.matcher(path.toString()).matches();
  }

  @Override
  public String toString() {
    return pattern.pattern();
  }

  /** Translates a glob to an anchored regex. */
  static String globToRegex(String glob) {
    StringBuilder regex = new StringBuilder("^");
    boolean inGroup = false;
    int i = 0;
    while (i < glob.length()) {
      char c = glob.charAt(i++);
      switch (c) {
        case '\\' -> {
          if (i == glob.length()) {
            throw new PatternSyntaxException("No character to escape", glob, i - 1);
          }
          char escaped = glob.charAt(i++);
          if (GLOB_META.indexOf(escaped) >= 0 || REGEX_META.indexOf(escaped) >= 0) {
            regex.append('\\');
          }
          regex.append(escaped);
        }
        case '[' -> i = bracket(glob, i, regex);
        case '{' -> {
          if (inGroup) {
            throw new PatternSyntaxException("Cannot nest groups", glob, i - 1);
          }
          regex.append("(?:(?:");
          inGroup = true;
        }
        case '}' -> {
          if (inGroup) {
            regex.append("))");
            inGroup = false;
          } else {
            regex.append('}');
          }
        }
        case ',' -> regex.append(inGroup ? ")|(?:" : ",");
        case '*' -> {
          if (peek(glob, i) == '*') {
            regex.append(".*");
            i++;
          } else {
            regex.append("[^/]*");
          }
        }
        case '?' -> regex.append("[^/]");
        default -> {
          if (REGEX_META.indexOf(c) >= 0) {
            regex.append('\\');
          }
          regex.append(c);
        }
      }
    }
    if (inGroup) {
      throw new PatternSyntaxException("Missing '}", glob, i - 1);
    }
    return regex.append('$').toString();
  }

  /**
   * Translates the bracket expression whose {@code [} ends before {@code start}; returns the index
   * after its {@code ]}. The class is intersected with {@code [^/]} so it never matches a
   * separator.
   */
  private static int bracket(String glob, int start, StringBuilder regex) {
    int i = start;
    regex.append("[[^/]&&[");
    if (peek(glob, i) == '^') {
      // a regex negation is not glob syntax: keep it literal
      regex.append("\\^");
      i++;
    } else {
      if (peek(glob, i) == '!') {
        regex.append('^');
        i++;
      }
      if (peek(glob, i) == '-') {
        regex.append('-');
        i++;
      }
    }
    boolean rangeStartSeen = false;
    char last = 0;
    // the last character read decides below whether the expression was closed
    char c = '[';
    while (i < glob.length()) {
      c = glob.charAt(i++);
      if (c == ']') {
        break;
      }
      if (c == '/') {
        throw new PatternSyntaxException("Explicit 'name separator' in class", glob, i - 1);
      }
      if (c == '\\' || c == '[' || (c == '&' && peek(glob, i) == '&')) {
        regex.append('\\');
      }
      regex.append(c);
      if (c != '-') {
        rangeStartSeen = true;
        last = c;
        continue;
      }
      if (!rangeStartSeen) {
        throw new PatternSyntaxException("Invalid range", glob, i - 1);
      }
      c = peek(glob, i++);
      if (c == END || c == ']') {
        break;
      }
      if (c < last) {
        throw new PatternSyntaxException("Invalid range", glob, i - 3);
      }
      regex.append(c);
      rangeStartSeen = false;
    }
    if (c != ']') {
      throw new PatternSyntaxException("Missing ']", glob, i - 1);
    }
    regex.append("]]");
    return i;
  }

  private static char peek(String glob, int i) {
    return i < glob.length() ? glob.charAt(i) : END;
  }
}
