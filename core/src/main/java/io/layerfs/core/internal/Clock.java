package io.layerfs.core.internal;

import java.time.Instant;

/** Wall-clock time in nanoseconds since the epoch, as file times need it. */
public final class Clock {
  private Clock() {}

  public static long nanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
