package io.layerfs.core.registry;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code WWW-Authenticate} challenge (RFC 7235): a scheme ({@code basic} or {@code bearer},
 * lower-cased) and its parameters, such as a token server's {@code realm}, {@code service} and
 * {@code scope}. Values may be tokens or quoted strings with backslash escapes; parameter names
 * are case-insensitive.
 */
record AuthChallenge(String scheme, Map<String, String> params) {

  AuthChallenge {
    params = Map.copyOf(params);
  }

  /**
   * Parses a header value.
   *
   * @return empty when the value has no scheme or malformed parameters
   */
  static Optional<AuthChallenge> parse(String header) {
    if (header == null) {
      return Optional.empty();
    }
    String s = header.trim();
    int i = 0;
    while (i < s.length() && isTokenChar(s.charAt(i))) {
      i++;
    }
    if (i == 0) {
      return Optional.empty();
    }
    String scheme = s.substring(0, i).toLowerCase(Locale.ROOT);
    Map<String, String> params = new LinkedHashMap<>();
    int n = s.length();
    while (i < n) {
      while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == ',' || s.charAt(i) == '\t')) {
        i++;
      }
      if (i == n) {
        break;
      }
      int start = i;
      while (i < n && isTokenChar(s.charAt(i))) {
        i++;
      }
      String name = s.substring(start, i).toLowerCase(Locale.ROOT);
      while (i < n && s.charAt(i) == ' ') {
        i++;
      }
      if (name.isEmpty() || i == n || s.charAt(i) != '=') {
        return Optional.empty();
      }
      i++;
      while (i < n && s.charAt(i) == ' ') {
        i++;
      }
      StringBuilder value = new StringBuilder();
      if (i < n && s.charAt(i) == '"') {
        i++;
        boolean closed = false;
        while (i < n) {
          char c = s.charAt(i++);
          if (c == '\\' && i < n) {
            value.append(s.charAt(i++));
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value.append(c);
          }
        }
        if (!closed) {
          return Optional.empty();
        }
      } else {
        while (i < n && s.charAt(i) != ',' && s.charAt(i) != ' ') {
          value.append(s.charAt(i++));
        }
      }
      params.putIfAbsent(name, value.toString());
    }
    return Optional.of(new AuthChallenge(scheme, params));
  }

  String param(String name) {
    return params.get(name);
  }

  private static boolean isTokenChar(char c) {
    return c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
  }
}
