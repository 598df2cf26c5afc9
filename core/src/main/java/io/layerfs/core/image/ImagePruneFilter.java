package io.layerfs.core.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The filters of {@code docker image prune --filter}, as moby's image prune takes them: {@code
 * until=TIME} (images created before it: a Go duration back from now such as {@code 24h} or
 * {@code 1h30m}, an RFC 3339 time, a date or date and time in the local zone, or Unix seconds),
 * {@code label=KEY} or {@code label=KEY=VALUE} (images whose config has that label), {@code
 * label!=...} (images without it), and {@code dangling=true|false} (false: what {@code -a}
 * prunes). Several filters all apply; several labels must all match.
 *
 * @param until images created at or after it are kept; null for none
 * @param labels {@code KEY} or {@code KEY=VALUE} an image must carry
 * @param notLabels {@code KEY} or {@code KEY=VALUE} an image must not carry
 * @param all true when {@code dangling=false} asked for every unused image, as {@code -a}
 */
public record ImagePruneFilter(Instant until, List<String> labels, List<String> notLabels,
    boolean all) {
  /** No filter. */
  public static final ImagePruneFilter NONE = new ImagePruneFilter(null, List.of(), List.of(),
      false);

  private static final Pattern DURATION =
      Pattern.compile("(?:(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h))+");
  private static final Pattern DURATION_PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");
  private static final Pattern UNIX = Pattern.compile("\\d+(\\.\\d{1,9})?");

  public ImagePruneFilter {
    labels = List.copyOf(labels);
    notLabels = List.copyOf(notLabels);
  }

  /**
   * Parses {@code --filter} values ({@code KEY=VALUE} each), durations counted back from {@code
   * now}.
   *
   * @throws IllegalArgumentException naming the filter that is unknown or malformed
   */
  public static ImagePruneFilter parse(List<String> filters, Instant now) {
    Instant until = null;
    List<String> labels = new ArrayList<>();
    List<String> notLabels = new ArrayList<>();
    boolean all = false;
    for (String filter : filters) {
      String[] term = ImageFilterTerms.keyAndValue(filter);
      String key = term[0];
      String value = term[1];
      switch (key) {
        case "until" -> until = time(value, now);
        case "label" -> labels.add(value);
        case "label!" -> notLabels.add(value);
        case "dangling" -> all = !ImageFilterTerms.dangling(value);
        default -> throw new IllegalArgumentException("invalid filter '" + key
            + "': image prune takes until, label, label! and dangling");
      }
    }
    return new ImagePruneFilter(until, labels, notLabels, all);
  }

  /**
   * Whether an image with config {@code config} may be pruned: created before {@link #until}
   * (an image without a creation time is kept then, as moby keeps it) and its labels as asked.
   */
  boolean admits(JsonNode config) {
    if (until != null) {
      Instant created = ImageFilterTerms.created(config);
      if (created == null || !created.isBefore(until)) {
        return false;
      }
    }
    for (String label : labels) {
      if (!ImageFilterTerms.carries(config, label)) {
        return false;
      }
    }
    for (String label : notLabels) {
      if (ImageFilterTerms.carries(config, label)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the filter reads the config at all. */
  boolean readsConfig() {
    return until != null || !labels.isEmpty() || !notLabels.isEmpty();
  }

  /** docker's time forms: a duration back from {@code now}, a time, a date, Unix seconds. */
  static Instant time(String value, Instant now) {
    String v = value.strip();
    if (DURATION.matcher(v).matches()) {
      Matcher part = DURATION_PART.matcher(v);
      double nanos = 0;
      while (part.find()) {
        nanos += Double.parseDouble(part.group(1)) * unitNanos(part.group(2));
      }
      return now.minus(Duration.ofNanos((long) nanos));
    }
    if (UNIX.matcher(v).matches()) {
      int dot = v.indexOf('.');
      long seconds = Long.parseLong(dot < 0 ? v : v.substring(0, dot));
      long nanos = dot < 0 ? 0 : Long.parseLong((v.substring(dot + 1) + "00000000")
          .substring(0, 9));
      return Instant.ofEpochSecond(seconds, nanos);
    }
    try {
      return OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException e) {
      // not with an offset: local forms below
    }
    try {
      return LocalDateTime.parse(v).atZone(ZoneId.systemDefault()).toInstant();
    } catch (DateTimeParseException e) {
      // a date alone?
    }
    try {
      return LocalDate.parse(v).atStartOfDay(ZoneId.systemDefault()).toInstant();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("invalid filter 'until=" + value + "': not a duration"
          + " (24h, 1h30m), an RFC 3339 time, a date (2006-01-02) or Unix seconds", e);
    }
  }

  private static double unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1;
      case "us", "µs" -> 1e3;
      case "ms" -> 1e6;
      case "s" -> 1e9;
      case "m" -> 60e9;
      default -> 3600e9; // h
    };
  }
}
