package io.layerfs.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docker's prune filters: its time forms, labels with and without values, and bad filters. */
class ImagePruneFilterTest {
  private static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");

  @Test
  void untilTakesDockersTimeForms() {
    assertEquals(NOW.minus(Duration.ofHours(24)), ImagePruneFilter.time("24h", NOW));
    assertEquals(NOW.minus(Duration.ofMinutes(90)), ImagePruneFilter.time("1h30m", NOW));
    assertEquals(NOW.minus(Duration.ofMinutes(90)), ImagePruneFilter.time("1.5h", NOW));
    assertEquals(NOW.minusMillis(1500), ImagePruneFilter.time("1s500ms", NOW));
    assertEquals(Instant.parse("2026-01-02T03:04:05Z"),
        ImagePruneFilter.time("2026-01-02T03:04:05Z", NOW));
    assertEquals(Instant.parse("2026-01-02T01:04:05Z"),
        ImagePruneFilter.time("2026-01-02T03:04:05+02:00", NOW));
    assertEquals(LocalDate.of(2026, 1, 2).atStartOfDay(ZoneId.systemDefault()).toInstant(),
        ImagePruneFilter.time("2026-01-02", NOW));
    assertEquals(Instant.ofEpochSecond(1700000000, 500_000_000),
        ImagePruneFilter.time("1700000000.5", NOW));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ImagePruneFilter.time("yesterday", NOW));
    assertTrue(e.getMessage().startsWith("invalid filter 'until=yesterday'"), e.getMessage());
  }

  @Test
  void anImageIsAdmittedWhenOlderThanUntilAndItsLabelsAreAsAsked() throws Exception {
    JsonNode old = new ObjectMapper().readTree("{\"created\":\"2020-01-01T00:00:00Z\","
        + "\"config\":{\"Labels\":{\"stage\":\"build\",\"team\":\"a\"}}}");
    JsonNode fresh = new ObjectMapper().readTree("{\"created\":\"2026-12-05T09:59:00Z\"}");
    JsonNode undated = new ObjectMapper().readTree("{\"config\":{}}");
    ImagePruneFilter until = ImagePruneFilter.parse(List.of("until=1h"), NOW);
    assertTrue(until.admits(old));
    assertFalse(until.admits(fresh));
    assertFalse(until.admits(undated), "no creation time: kept, as moby keeps it");
    assertTrue(ImagePruneFilter.parse(List.of("label=stage"), NOW).admits(old));
    assertTrue(ImagePruneFilter.parse(List.of("label=stage=build", "label=team"), NOW)
        .admits(old));
    assertFalse(ImagePruneFilter.parse(List.of("label=stage=test"), NOW).admits(old));
    assertFalse(ImagePruneFilter.parse(List.of("label=stage"), NOW).admits(fresh));
    assertFalse(ImagePruneFilter.parse(List.of("label!=team=a"), NOW).admits(old));
    assertTrue(ImagePruneFilter.parse(List.of("label!=team=b"), NOW).admits(old));
    assertTrue(ImagePruneFilter.parse(List.of("label!=stage"), NOW).admits(fresh));
    assertTrue(ImagePruneFilter.parse(List.of("dangling=false"), NOW).all());
    assertFalse(ImagePruneFilter.parse(List.of("dangling=true"), NOW).all());
  }

  @Test
  void aFilterItDoesNotKnowIsRefusedByName() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ImagePruneFilter.parse(List.of("reference=debian"), NOW));
    assertTrue(e.getMessage().startsWith("invalid filter 'reference'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> ImagePruneFilter.parse(List.of("until"), NOW));
    assertTrue(e.getMessage().contains("'until'"), e.getMessage());
  }
}
