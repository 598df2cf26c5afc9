package io.layerfs.core.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Lexical normalization of tar entry names into absolute paths of the image's root.
 *
 * <p>A tar name is split on {@code /}; empty and {@code .} components are dropped, {@code ..} drops
 * the previous component and is ignored at the root. So {@code ./a//b/}, {@code /a/b} and {@code
 * ../../a/x/../b} all name {@code /a/b}. This is what umoci's {@code CleanPath} does before it
 * joins a name to the root: clean the name as if it were absolute, so it can never climb above the
 * root. GNU tar instead strips leading {@code ../} parts ("Removing leading `../' from member
 * names"), which also stays inside the root. The OCI layer spec says nothing about {@code ..}.
 */
public final class PathNames {

  private PathNames() {}

  /** Returns the absolute normalized form of a tar entry name: {@code "/"} or {@code "/a/b"}. */
  public static String normalize(String name) {
    List<String> parts = components(name);
    if (parts.isEmpty()) {
      return "/";
    }
    StringBuilder sb = new StringBuilder(name.length() + 1);
    for (String p : parts) {
      sb.append('/').append(p);
    }
    return sb.toString();
  }

  /** Returns the cleaned components of a name, never climbing above the root. */
  public static List<String> components(String name) {
    List<String> parts = new ArrayList<>();
    int i = 0;
    int n = name.length();
    while (i < n) {
      int j = name.indexOf('/', i);
      if (j < 0) {
        j = n;
      }
      if (j > i) {
        String c = name.substring(i, j);
        if (c.equals("..")) {
          if (!parts.isEmpty()) {
            parts.remove(parts.size() - 1);
          }
        } else if (!c.equals(".")) {
          parts.add(c);
        }
      }
      i = j + 1;
    }
    return parts;
  }

  /** Splits a path into its non-empty components, keeping {@code .} and {@code ..}. */
  public static List<String> componentsRaw(String path) {
    List<String> parts = new ArrayList<>();
    int i = 0;
    int n = path.length();
    while (i < n) {
      int j = path.indexOf('/', i);
      if (j < 0) {
        j = n;
      }
      if (j > i) {
        parts.add(path.substring(i, j));
      }
      i = j + 1;
    }
    return parts;
  }

  /** Returns the parent of a normalized path ({@code ""} for the root itself). */
  public static String parent(String path) {
    if (path.equals("/")) {
      return "";
    }
    int i = path.lastIndexOf('/');
    return i == 0 ? "/" : path.substring(0, i);
  }

  /** Returns the last component of a normalized path ({@code ""} for the root). */
  public static String fileName(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** Whether {@code name} is one name: not empty, not {@code .} or {@code ..}, no slash. */
  public static boolean isPlainName(String name) {
    return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0;
  }

  /** Joins a normalized directory path and a child name. */
  public static String child(String dir, String name) {
    return dir.equals("/") ? "/" + name : dir + "/" + name;
  }
}
