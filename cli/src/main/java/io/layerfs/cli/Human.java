package io.layerfs.cli;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;

/**
 * Sizes and ages written as Docker writes them (its go-units library): decimal units
 * ({@code 4.1kB}, {@code 12.3MB}) and durations such as {@code 5 minutes ago}.
 */
final class Human {
  private static final String[] UNITS = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};

  private Human() {}

  /**
   * {@code bytes} in decimal units with at most {@code digits} significant digits: 3 as
   * {@code docker ps} and {@code docker images} print sizes, 4 as {@code docker system prune}
   * prints the reclaimed space. Unlike go-units, a value that rounds up to 1000 moves to the next
   * unit ({@code 1MB}, not {@code 1e+03kB}).
   */
  static String size(long bytes, int digits) {
    MathContext mc = new MathContext(digits, RoundingMode.HALF_EVEN);
    BigDecimal value = BigDecimal.valueOf(bytes).round(mc);
    BigDecimal thousand = BigDecimal.valueOf(1000);
    int unit = 0;
    while (value.compareTo(thousand) >= 0 && unit < UNITS.length - 1) {
      value = value.divide(thousand).round(mc);
      unit++;
    }
    return value.stripTrailingZeros().toPlainString() + UNITS[unit];
  }

  /**
   * {@code instant} as docker's JSON and templates print a time (Go's {@code time.Time} string,
   * in UTC here): {@code 2026-01-01 12:00:00 +0000 UTC}.
   */
  static String timestamp(Instant instant) {
    return TIMESTAMP.format(instant);
  }

  private static final java.time.format.DateTimeFormatter TIMESTAMP =
      java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss '+0000 UTC'")
          .withZone(java.time.ZoneOffset.UTC);

  /** How long ago {@code then} was, as {@code docker ps} prints it: "5 minutes ago". */
  static String ago(Instant then, Instant now) {
    return duration(Duration.between(then, now)) + " ago";
  }

  /** go-units' HumanDuration: rough, as people say it. */
  static String duration(Duration d) {
    long seconds = d.getSeconds();
    if (seconds < 1) {
      return "Less than a second";
    } else if (seconds == 1) {
      return "1 second";
    } else if (seconds < 60) {
      return seconds + " seconds";
    }
    long minutes = seconds / 60;
    if (minutes == 1) {
      return "About a minute";
    } else if (minutes < 60) {
      return minutes + " minutes";
    }
    long hours = Math.round(seconds / 3600.0);
    if (hours == 1) {
      return "About an hour";
    } else if (hours < 48) {
      return hours + " hours";
    } else if (hours < 24 * 7 * 2) {
      return hours / 24 + " days";
    } else if (hours < 24 * 30 * 2) {
      return hours / 24 / 7 + " weeks";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 / 30 + " months";
    }
    return seconds / 3600 / 24 / 365 + " years";
  }
}
