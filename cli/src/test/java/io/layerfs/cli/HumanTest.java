package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HumanTest {
  @Test
  void sizesAsDockerPrintsThem() {
    assertEquals("0B", Human.size(0, 3));
    assertEquals("999B", Human.size(999, 3));
    assertEquals("1kB", Human.size(1000, 3));
    assertEquals("4.1kB", Human.size(4096, 3));
    assertEquals("12.3MB", Human.size(12_345_678, 3));
    assertEquals("12.35MB", Human.size(12_345_678, 4));
    assertEquals("1MB", Human.size(999_999, 3)); // go-units would say 1e+03kB
    assertEquals("1.5GB", Human.size(1_500_000_000L, 3));
    assertEquals("9.22EB", Human.size(Long.MAX_VALUE, 3));
  }

  @Test
  void timesAsDockerPrintsThemInTheZoneTzNames() {
    Instant t = Instant.parse("2026-12-03T18:05:00.250Z");
    ZoneId berlin = Human.zone(Map.of("TZ", "Europe/Berlin"));
    ZoneId utc = Human.zone(Map.of("TZ", ""));
    // Go's time.Time string (docker images and ps), RFC3339 (history, volume inspect) and
    // RFC3339Nano (a path stat's mtime)
    assertEquals("2026-12-03 19:05:00 +0100 CET", Human.timestamp(t, berlin));
    assertEquals("2026-12-03 18:05:00 +0000 UTC", Human.timestamp(t, utc));
    assertEquals("2026-06-01 14:00:00 +0200 CEST",
        Human.timestamp(Instant.parse("2026-06-01T12:00:00Z"), berlin));
    // where Java has no abbreviation (GMT-03:00), tzdata's numeric one, as Go prints it
    assertEquals("2026-12-03 15:05:00 -0300 -03", Human.timestamp(t, ZoneId.of("Etc/GMT+3")));
    assertEquals("2026-12-03T19:05:00+01:00", Human.rfc3339(t, berlin));
    assertEquals("2026-12-03T18:05:00Z", Human.rfc3339(t, utc));
    assertEquals("2026-12-03T19:05:00.25+01:00", Human.rfc3339Nano(t, berlin));
    assertEquals("2026-12-03T18:05:00Z",
        Human.rfc3339Nano(Instant.parse("2026-12-03T18:05:00Z"), utc));
    // as Go reads TZ: a leading ':' dropped, an unknown zone is UTC
    assertEquals(berlin, Human.zone(Map.of("TZ", ":Europe/Berlin")));
    assertEquals(utc, Human.zone(Map.of("TZ", "No/Such_Zone")));
    assertEquals(ZoneId.systemDefault(), Human.zone(Map.of()));
  }

  @Test
  void agesAsDockerPrintsThem() {
    Instant now = Instant.parse("2026-06-01T12:00:00Z");
    assertEquals("Less than a second ago", Human.ago(now, now));
    assertEquals("Less than a second ago", Human.ago(now.plusSeconds(5), now));
    assertEquals("1 second ago", Human.ago(now.minusSeconds(1), now));
    assertEquals("59 seconds ago", Human.ago(now.minusSeconds(59), now));
    assertEquals("About a minute ago", Human.ago(now.minusSeconds(90), now));
    assertEquals("5 minutes ago", Human.ago(now.minusSeconds(300), now));
    assertEquals("About an hour ago", Human.ago(now.minus(Duration.ofMinutes(80)), now));
    assertEquals("3 hours ago", Human.ago(now.minus(Duration.ofHours(3)), now));
    assertEquals("2 days ago", Human.ago(now.minus(Duration.ofHours(48)), now));
    assertEquals("3 weeks ago", Human.ago(now.minus(Duration.ofDays(21)), now));
    assertEquals("4 months ago", Human.ago(now.minus(Duration.ofDays(120)), now));
    assertEquals("3 years ago", Human.ago(now.minus(Duration.ofDays(3 * 365 + 1)), now));
  }

  @Test
  void tablesPadColumnsAsTabwriter() {
    StringWriter s = new StringWriter();
    new Table("A", "LONGER", "C").row("xxxx", "y", "").row("1", "2", "3").print(
        new PrintWriter(s, true));
    assertEquals("A      LONGER   C\nxxxx   y\n1      2        3\n", s.toString());
  }
}
