package io.layerfs.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The terms docker's {@code --filter} options share, for the filters of {@code images} and
 * {@code image prune}: a {@code KEY=VALUE} term, {@code dangling}'s value, a config's labels
 * ({@code KEY} or {@code KEY=VALUE}) and its creation time.
 */
public final class ImageFilterTerms {
  private ImageFilterTerms() {}

  /**
   * {@code filter} as its key (lower case) and value.
   *
   * @throws IllegalArgumentException when it has no {@code =} after a key
   */
  public static String[] keyAndValue(String filter) {
    int eq = filter.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("bad format of filter '" + filter
          + "' (expected name=value)");
    }
    return new String[] {filter.substring(0, eq).strip().toLowerCase(Locale.ROOT),
        filter.substring(eq + 1)};
  }

  /**
   * {@code dangling=VALUE}'s value.
   *
   * @throws IllegalArgumentException unless it is {@code true} or {@code false}
   */
  public static boolean dangling(String value) {
    if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
      throw new IllegalArgumentException("invalid filter 'dangling=" + value
          + "': dangling takes true or false");
    }
    return value.equalsIgnoreCase("true");
  }

  /** Whether image config {@code config} (or null) has label {@code KEY} or {@code KEY=VALUE}. */
  public static boolean carries(JsonNode config, String label) {
    JsonNode labels = config == null ? null : config.path("config").path("Labels");
    if (labels == null || !labels.isObject()) {
      return false;
    }
    int eq = label.indexOf('=');
    JsonNode value = labels.get(eq < 0 ? label : label.substring(0, eq));
    return value != null && (eq < 0 || (value.isTextual()
        && value.textValue().equals(label.substring(eq + 1))));
  }

  /** Image config {@code config}'s {@code created}; null for none, a null config or no time. */
  public static Instant created(JsonNode config) {
    JsonNode created = config == null ? null : config.get("created");
    if (created == null || !created.isTextual()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(created.textValue()).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
