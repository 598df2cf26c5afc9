package io.layerfs.core.internal;

/**
 * Text from outside (a registry's answer, an image, a command line) as an error line may show
 * it: a line break in it would break the error's one line, a terminal escape reach the user's
 * terminal.
 */
public final class Printable {
  private Printable() {}

  /** {@code text} with each control character shown as {@code \\uXXXX}. */
  public static String shown(String text) {
    StringBuilder shown = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isISOControl(c)) {
        shown = shown != null ? shown : new StringBuilder(text.substring(0, i));
        shown.append(String.format("\\u%04x", (int) c));
      } else if (shown != null) {
        shown.append(c);
      }
    }
    return shown == null ? text : shown.toString();
  }
}
