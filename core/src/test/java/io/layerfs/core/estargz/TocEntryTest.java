package io.layerfs.core.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.testing.Props;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.quicktheories.generators.Generate;

/** A TOC entry's modtime: the fast reading of Go's UTC form agrees with the JDK's parser. */
class TocEntryTest {
  private static final long YEAR_0 = Instant.parse("0000-01-01T00:00:00Z").getEpochSecond();
  private static final long YEAR_9999_END =
      Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();

  @Test
  void utcTimesReadAsInstantParseReadsThem() {
    Props.tries(2000).qt()
        .forAll(Generate.longRange(YEAR_0, YEAR_9999_END), Generate.range(0, 999_999_999))
        .checkAssert(Props.io((seconds, nanos) -> {
          int digits = nanos % 10; // 0 to 9 digits of fraction
          String base = Instant.ofEpochSecond(seconds).toString(); // ...SSZ: no fraction
          String fraction = String.format("%09d", nanos).substring(0, digits);
          String text = base.substring(0, base.length() - 1)
              + (digits == 0 ? "" : "." + fraction) + "Z";
          assertEquals(Instant.parse(text).getEpochSecond(), TocEntry.utcSeconds(text), text);
          assertEquals(Instant.parse(text).getEpochSecond(), entry(text).mtimeSeconds(), text);
        }));
  }

  @Test
  void otherFormsAreLeftToTheJdkParser() throws IOException {
    for (String other : List.of("2024-01-01T00:00:00+01:00", "2016-12-31T23:59:60Z",
        "2024-02-30T00:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00.1234567890Z",
        "+12024-01-01T00:00:00Z", "2024-01-01 00:00:00Z", "2024-1-01T00:00:00Z")) {
      assertEquals(Long.MIN_VALUE, TocEntry.utcSeconds(other), other);
    }
    assertEquals(Instant.parse("2016-12-31T23:59:60Z").getEpochSecond(),
        entry("2016-12-31T23:59:60Z").mtimeSeconds());
    IOException e = assertThrows(IOException.class,
        () -> entry("2024-02-30T00:00:00Z").mtimeSeconds());
    assertTrue(e.getMessage().contains("bad modtime '2024-02-30T00:00:00Z'"), e.getMessage());
    assertEquals(0, entry("").mtimeSeconds());
  }

  private static TocEntry entry(String modtime) {
    return new TocEntry("f", "reg", 0, modtime, "", 0, 0, 0, "", "", 0, 0, 0, 0, Map.of(), "",
        0, 0, "");
  }
}
