package io.layerfs.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerfs.core.Image;
import io.layerfs.core.image.ImageFilterTerms;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * {@code images --filter}, as {@code docker images --filter} takes them: {@code dangling=true}
 * (only the untagged images) or {@code false} (only the tagged ones), {@code reference=PATTERN}
 * (tags whose name, or name and tag, match the shell pattern, as Go's {@code path.Match}: {@code
 * *} and {@code ?} stop at {@code /}), {@code label=KEY[=VALUE]}, and {@code before=IMAGE} or
 * {@code since=IMAGE} (created before or after that image). Several values of one filter admit
 * an image when any does (labels: when all do), different filters when all do.
 */
final class ImagesFilter {
  private Boolean dangling;
  private final List<Pattern> references = new ArrayList<>();
  private final List<String> labels = new ArrayList<>();
  private Instant before;
  private Instant since;

  private ImagesFilter() {}

  /**
   * The filters of {@code values} ({@code KEY=VALUE} each); {@code before} and {@code since}
   * name images of {@code store}.
   *
   * @throws IllegalArgumentException naming a filter that is unknown or malformed
   * @throws IOException when {@code before} or {@code since} names no image of the store
   */
  static ImagesFilter parse(List<String> values, Store store) throws IOException {
    ImagesFilter f = new ImagesFilter();
    for (String filter : values) {
      String[] term = ImageFilterTerms.keyAndValue(filter);
      String key = term[0];
      String value = term[1];
      switch (key) {
        case "dangling" -> f.dangling = ImageFilterTerms.dangling(value);
        case "reference" -> f.references.add(glob(value));
        case "label" -> f.labels.add(value);
        case "before" -> f.before = created(store, store.image(value), value);
        case "since" -> f.since = created(store, store.image(value), value);
        default -> throw new IllegalArgumentException("invalid filter '" + key
            + "': images takes dangling, reference, label, before and since");
      }
    }
    return f;
  }

  /** Whether the filters read an image's config (its labels or creation time). */
  private boolean readsConfig() {
    return !labels.isEmpty() || before != null || since != null;
  }

  /** Whether the row of {@code tag} ({@code null} for an untagged image) of {@code image} shows. */
  boolean admits(Store store, String tag, Image image) throws IOException {
    if (dangling != null && dangling != (tag == null)) {
      return false;
    }
    if (!references.isEmpty() && (tag == null || !matchesAny(tag))) {
      return false; // docker: a reference filter shows only the tags it matches
    }
    if (!readsConfig()) {
      return true;
    }
    JsonNode config = Json.parseObject(store.imageConfig(image), "config " + image.configDigest());
    for (String label : labels) {
      if (!ImageFilterTerms.carries(config, label)) {
        return false;
      }
    }
    Instant created = ImageFilterTerms.created(config);
    return (before == null || created != null && created.isBefore(before))
        && (since == null || created != null && created.isAfter(since));
  }

  private boolean matchesAny(String tag) {
    int colon = tag.indexOf(':', tag.lastIndexOf('/') + 1);
    String name = colon < 0 ? tag : tag.substring(0, colon);
    for (Pattern p : references) {
      if (p.matcher(tag).matches() || p.matcher(name).matches()) {
        return true;
      }
    }
    return false;
  }

  /** Go's {@code path.Match} pattern as a regular expression. */
  static Pattern glob(String pattern) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      switch (c) {
        case '*' -> re.append("[^/]*");
        case '?' -> re.append("[^/]");
        case '\\' -> {
          if (i + 1 < pattern.length()) {
            re.append(Pattern.quote(String.valueOf(pattern.charAt(++i))));
          }
        }
        case '[' -> {
          int end = pattern.indexOf(']', i + 1);
          if (end < 0) {
            throw new IllegalArgumentException("invalid filter 'reference=" + pattern
                + "': an unclosed [");
          }
          String cls = pattern.substring(i + 1, end);
          boolean negated = cls.startsWith("^");
          // Go's ranges as Java's, without Java's own class syntax ([, &&) inside
          String body = (negated ? cls.substring(1) : cls).replace("\\", "\\\\")
              .replace("[", "\\[").replace("&", "\\&");
          re.append('[').append(negated ? "^" : "").append(body).append(']');
          i = end;
        }
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }

  private static Instant created(Store store, Image image, String name) throws IOException {
    Instant t = ImageFilterTerms.created(Json.parseObject(store.imageConfig(image),
        "config of " + name));
    if (t == null) {
      throw new IOException("image '" + name + "' has no creation time to compare with");
    }
    return t;
  }
}
