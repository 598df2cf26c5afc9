package io.layerfs.cli;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

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
   * {@code instant} as docker's JSON and templates print a time ({@code docker images} and
   * {@code docker ps}: Go's {@code time.Time} string in the local zone):
   * {@code 2026-01-01 13:00:00 +0100 CET}, {@code 2026-01-01 12:00:00 +0000 UTC}. The zone's
   * abbreviation is Java's, which agrees with the time zone database Go reads for most zones;
   * where Java has none (it writes {@code GMT-03:00}), the database's numeric one, {@code -03}.
   */
  static String timestamp(Instant instant, ZoneId zone) {
    String text = Formats.TIMESTAMP.withZone(zone).format(instant);
    int gmt = text.lastIndexOf(" GMT");
    if (gmt < 0 || gmt + 4 == text.length()) {
      return text;
    }
    // "... -0300 GMT-03:00": the offset just before says it, as tzdata's "-03" or "+0545"
    String offset = text.substring(gmt - 5, gmt);
    return text.substring(0, gmt + 1) + (offset.endsWith("00") ? offset.substring(0, 3) : offset);
  }

  /**
   * {@code instant} in Go's {@code time.RFC3339} in the local zone, as {@code docker history}
   * and {@code docker volume inspect} print it: {@code 2026-01-01T13:00:00+01:00}, or {@code
   * 2026-01-01T12:00:00Z} in UTC; no fraction of a second.
   */
  static String rfc3339(Instant instant, ZoneId zone) {
    return Formats.RFC3339.withZone(zone).format(instant);
  }

  /**
   * As {@link #rfc3339} with the fraction of a second Go's {@code time.RFC3339Nano} writes: up
   * to nine digits, trailing zeros dropped ({@code 2026-01-01T12:00:00.5Z}), none when zero.
   */
  static String rfc3339Nano(Instant instant, ZoneId zone) {
    String text = Formats.RFC3339.withZone(zone).format(instant);
    int nanos = instant.getNano();
    if (nanos == 0) {
      return text;
    }
    String fraction = String.format("%09d", nanos).replaceFirst("0+$", "");
    int zoneStart = 19; // after yyyy-MM-ddTHH:mm:ss
    return text.substring(0, zoneStart) + "." + fraction + text.substring(zoneStart);
  }

  /**
   * The zone docker would print local times in, from the environment's {@code TZ} as Go reads
   * it: unset, the system's zone; empty or unknown, UTC; else the zone it names (a leading
   * {@code :} dropped).
   */
  static ZoneId zone(Map<String, String> env) {
    String tz = env.get("TZ");
    if (tz == null) {
      return ZoneId.systemDefault();
    }
    tz = tz.startsWith(":") ? tz.substring(1) : tz;
    if (tz.isEmpty()) {
      return Formats.UTC;
    }
    try {
      return ZoneId.of(tz);
    } catch (DateTimeException e) {
      return Formats.UTC;
    }
  }

  /**
   * Made on first use: building the formatters loads and initialises java.time's formatting
   * classes, which a command printing sizes or "5 minutes ago" alone need not pay for.
   */
  private static final class Formats {
    static final ZoneId UTC = ZoneId.of("UTC");
    static final DateTimeFormatter TIMESTAMP =
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss xx z", Locale.US);
    static final DateTimeFormatter RFC3339 =
        DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX", Locale.US);
  }

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
