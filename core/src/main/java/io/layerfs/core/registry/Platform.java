package io.layerfs.core.registry;

import java.util.Locale;

/**
 * The platform picked from an image index: {@code os/arch[/variant]}, {@code linux/amd64} unless
 * asked otherwise, as {@code docker pull --platform} and skopeo's {@code --override-os/-arch}.
 *
 * @param variant null when any variant will do (the first without one wins, see {@code
 *     ImageIndex})
 */
public record Platform(String os, String architecture, String variant) {
  /** linux/amd64. */
  public static final Platform DEFAULT = new Platform("linux", "amd64", null);

  /**
   * Parses {@code os/arch[/variant]}.
   *
   * @throws IllegalArgumentException naming the string when it has another shape
   */
  public static Platform parse(String s) {
    String[] parts = s == null ? new String[0] : s.toLowerCase(Locale.ROOT).split("/", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException("invalid platform '" + s + "': expected os/arch[/variant]"
          + ", for example linux/arm64 or linux/arm/v7");
    }
    for (String part : parts) {
      if (!part.matches("[a-z0-9_.-]+")) {
        throw new IllegalArgumentException(
            "invalid platform '" + s + "': expected os/arch[/variant]");
      }
    }
    return new Platform(parts[0], parts[1], parts.length == 3 ? parts[2] : null);
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }
}
