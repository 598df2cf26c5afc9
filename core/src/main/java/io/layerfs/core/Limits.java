package io.layerfs.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The bounds a store puts on untrusted images: tar headers, paths, entries, inflated bytes and
 * JSON. Each has a name (used in the error when it is hit, and in the system property {@code
 * layerfs.limit.NAME} that sets it for the CLI) and a default that real images stay far below.
 *
 * <p>Immutable; build one with {@link #builder()} and give it to {@code Store.open(dir, limits)}
 * or to the provider as env key {@code limits}.
 */
public final class Limits {
  /** The built-in defaults (system properties not applied). */
  public static final Limits DEFAULTS = new Limits(defaultValues()); // no Builder class loaded

  private static final String PROPERTY_PREFIX = "layerfs.limit.";

  private final Map<String, Long> values;

  private Limits(Map<String, Long> values) {
    this.values = Map.copyOf(values);
  }

  /** The defaults, in the documentation's order. */
  private static Map<String, Long> defaultValues() {
    Map<String, Long> values = new LinkedHashMap<>();
    values.put("headerBytes", 1L << 20);
    values.put("pathBytes", 4096L);
    values.put("depth", 2048L);
    values.put("layerEntries", 2_000_000L);
    values.put("directoryEntries", 1_000_000L);
    values.put("inflateRatio", 200L);
    values.put("inflateFloorBytes", 256L << 20);
    values.put("jsonBytes", 16L << 20);
    values.put("indexNesting", 4L);
    return values;
  }

  /** A builder starting from {@link #DEFAULTS}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The defaults, each overridden by system property {@code layerfs.limit.NAME} where it is set
   * (as {@code -Dlayerfs.limit.jsonBytes=67108864}).
   *
   * @throws IllegalArgumentException naming the property if a value is not a positive integer
   */
  public static Limits fromSystemProperties() {
    Builder b = null; // made only for a property that is set
    for (String name : defaultValues().keySet()) {
      String property = PROPERTY_PREFIX + name;
      String text = System.getProperty(property);
      if (text != null) {
        long value;
        try {
          value = Long.parseLong(text.trim().replace("_", ""));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "system property " + property + " must be a positive integer, not '" + text + "'");
        }
        b = b == null ? builder() : b;
        b.set(name, value);
      }
    }
    return b == null ? DEFAULTS : b.build();
  }

  /** Bytes of one tar meta entry (PAX header, GNU long name or link), before it is buffered. */
  public long headerBytes() {
    return values.get("headerBytes");
  }

  /** Bytes of an entry's path in a layer, as Linux's {@code PATH_MAX} bounds it. */
  public long pathBytes() {
    return values.get("pathBytes");
  }

  /** Components of an entry's path in a layer. */
  public long depth() {
    return values.get("depth");
  }

  /** Entries of one layer tar (whiteouts and links included). */
  public long layerEntries() {
    return values.get("layerEntries");
  }

  /** Entries of one directory of one layer. */
  public long directoryEntries() {
    return values.get("directoryEntries");
  }

  /**
   * How many times its compressed blob a layer may inflate to (a decompression bomb's ratio),
   * once it is past {@link #inflateFloorBytes()}.
   */
  public long inflateRatio() {
    return values.get("inflateRatio");
  }

  /** Inflated bytes below which {@link #inflateRatio()} is not checked. */
  public long inflateFloorBytes() {
    return values.get("inflateFloorBytes");
  }

  /** Bytes of a manifest, image index or config. */
  public long jsonBytes() {
    return values.get("jsonBytes");
  }

  /** How deep image indexes may nest (a loop of indexes ends here). */
  public long indexNesting() {
    return values.get("indexNesting");
  }

  /**
   * The error for a limit that {@code what} exceeds: it names the limit, its value, how to
   * change it, and what hit it.
   */
  public LimitException exceeded(String limit, String what) {
    long value = values.get(limit);
    return new LimitException(limit, value, what + ": exceeds limit " + limit + " = " + value
        + " (set with Limits.builder()." + limit + "(...) or -D" + PROPERTY_PREFIX + limit
        + ")");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Limits other && values.equals(other.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return "Limits" + new java.util.TreeMap<>(values);
  }

  /** Sets limits one by one; every value must be positive. */
  public static final class Builder {
    // insertion order is the documentation's order
    private final Map<String, Long> values = new LinkedHashMap<>();

    private Builder() {
      values.putAll(defaultValues());
    }

    public Builder headerBytes(long v) {
      return set("headerBytes", v);
    }

    public Builder pathBytes(long v) {
      return set("pathBytes", v);
    }

    public Builder depth(long v) {
      return set("depth", v);
    }

    public Builder layerEntries(long v) {
      return set("layerEntries", v);
    }

    public Builder directoryEntries(long v) {
      return set("directoryEntries", v);
    }

    public Builder inflateRatio(long v) {
      return set("inflateRatio", v);
    }

    public Builder inflateFloorBytes(long v) {
      return set("inflateFloorBytes", v);
    }

    public Builder jsonBytes(long v) {
      return set("jsonBytes", v);
    }

    public Builder indexNesting(long v) {
      return set("indexNesting", v);
    }

    private Builder set(String name, long v) {
      Objects.requireNonNull(values.get(name), name);
      if (v <= 0) {
        throw new IllegalArgumentException("limit " + name + " must be positive, not " + v);
      }
      if (name.equals("headerBytes") || name.equals("jsonBytes")) {
        // read into one array
        if (v > Integer.MAX_VALUE - 16) {
          throw new IllegalArgumentException(
              "limit " + name + " must be below 2 GiB, not " + v);
        }
      }
      values.put(name, v);
      return this;
    }

    public Limits build() {
      return new Limits(values);
    }
  }
}
