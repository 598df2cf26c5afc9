package io.layerfs.testing;

import io.layerfs.testing.ImageBuilder.Entry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;

/**
 * Random small images for property tests of lookups by path: 1 to 4 layers of files,
 * directories, symbolic links (relative, absolute, dangling, chains, loops, links to directories
 * on the way), hard links, whiteouts, opaque directories and directories replaced by files and
 * back, over names a, b and c; each layer optionally led by an incompressible file of 300 KiB
 * (so that its entries lie past the bytes a lazy lookup scans). Layers are written sorted by
 * name, as umoci writes them, one in five in another order.
 */
public final class RandomImage {
  private RandomImage() {}

  /** One entry of a layer; {@code toString} is what a shrunk failure prints. */
  public record Op(String kind, String path, String target, int seed) {
    @Override
    public String toString() {
      return switch (kind) {
        case "file" -> "file " + path + " #" + seed;
        case "dir" -> "dir " + path + " #" + seed;
        case "link" -> "link " + path + " -> " + target;
        case "hard" -> "hard " + path + " => " + target;
        case "wh" -> "whiteout " + path;
        case "opq" -> "opaque " + path;
        default -> kind + " " + path;
      };
    }
  }

  /** The layers, bottom first, and whether each begins with an incompressible file. */
  public record Image(List<List<Op>> layers, List<Boolean> noise, List<Boolean> unsorted,
      long order) {
    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < layers.size(); i++) {
        b.append("\n  layer ").append(i).append(noise.get(i) ? " (noise first)" : "")
            .append(unsorted.get(i) ? " (unsorted)" : "").append(": ").append(layers.get(i));
      }
      return b.append("\n  query order ").append(order).toString();
    }
  }

  /** Random images, shrinking towards fewer layers and entries. */
  public static Gen<Image> images(Props p) {
    Gen<String> comp = p.choose("a", "b", "c");
    Gen<String> path = p.map(p.lists(comp, 1, 3), l -> String.join("/", l));
    Gen<String> target = p.combine(p.choose("", "", "/", "../", "../../", "./", "/zz/"), path,
        (prefix, s) -> prefix + s);
    Gen<Integer> seed = p.ints(0, 3);
    Gen<List<Op>> one = p.frequency(List.of(
        Pair.of(30, p.combine(path, seed, (x, s) -> List.of(new Op("file", x, null, s)))),
        Pair.of(20, p.combine(path, seed, (x, s) -> List.of(new Op("dir", x, null, s)))),
        Pair.of(18, p.combine(path, target, (x, t) -> List.of(new Op("link", x, t, 0)))),
        Pair.of(6, p.combine(path, path, (x, t) -> List.of(new Op("hard", x, t, 0)))),
        Pair.of(12, p.map(path, x -> List.of(new Op("wh", x, null, 0)))),
        Pair.of(6, p.map(path, x -> List.of(new Op("opq", x, null, 0)))),
        // a directory replaced by a file: the file, and whiteouts under it (umoci repack)
        Pair.of(8, p.combine(path, comp, seed, (x, c, s) ->
            List.of(new Op("file", x, null, s), new Op("wh", x + "/" + c, null, 0))))));
    Gen<List<Op>> layer = p.map(p.lists(one, 0, 8),
        l -> l.stream().flatMap(List::stream).toList());
    Gen<Boolean> rarely = p.map(p.ints(0, 4), i -> i == 4);
    return p.combine(p.lists(layer, 1, 4), p.lists(p.booleans(), 4, 4),
        p.lists(rarely, 4, 4), p.longs(0, 1000), (ls, n, u, o) ->
            new Image(ls, n.subList(0, ls.size()), u.subList(0, ls.size()), o));
  }

  /** Writes {@code image} with {@code b} (its layers added) and tags it {@code tag}. */
  public static Built build(Image image, ImageBuilder b, String tag) throws IOException {
    for (int i = 0; i < image.layers().size(); i++) {
      if (i > 0) {
        b.layer();
      }
      for (Entry e : entries(image.layers().get(i), image.noise().get(i),
          image.unsorted().get(i) ? image.order() : -1, i)) {
        b.add(e);
      }
    }
    return b.build(tag);
  }

  /** Every path of one to three names of a, b, c, and some of four. */
  public static List<String> paths() {
    List<String> out = new ArrayList<>();
    List<String> level = List.of("");
    for (int depth = 0; depth < 3; depth++) {
      List<String> next = new ArrayList<>();
      for (String parent : level) {
        for (String c : List.of("a", "b", "c")) {
          next.add(parent + "/" + c);
        }
      }
      out.addAll(next);
      level = next;
    }
    for (String c : List.of("a", "b", "c")) {
      out.add("/a/a/a/" + c);
      out.add("/b/b/b/" + c);
    }
    return out;
  }

  /**
   * The tar entries of one layer, sorted by name as umoci writes them (or, with {@code shuffle}
   * 0 or more, in an order drawn from it): the first op of a name wins; an entry under a
   * non-directory of the same layer is left out (umoci cannot unpack it), but for whiteouts (a
   * directory replaced by a file); a hard link only to a file of the layer before it in the tar.
   */
  public static List<Entry> entries(List<Op> ops, boolean noise, long shuffle, int layer) {
    Map<String, Op> byPath = new LinkedHashMap<>();
    for (Op op : ops) {
      String name = switch (op.kind()) {
        case "wh" -> parentOf(op.path()) + ".wh." + nameOf(op.path());
        case "opq" -> op.path() + "/.wh..wh..opq";
        default -> op.path();
      };
      byPath.putIfAbsent(name, op);
    }
    List<String> names = new ArrayList<>(byPath.keySet());
    names.sort(Comparator.naturalOrder());
    if (shuffle >= 0) {
      Collections.shuffle(names, new Random(shuffle)); // not sorted: lookups cannot search
    }
    Map<String, String> kinds = new HashMap<>();
    for (String n : names) {
      kinds.put(n, byPath.get(n).kind());
    }
    List<Entry> out = new ArrayList<>();
    if (noise) {
      byte[] bytes = new byte[300 << 10];
      new Random(layer).nextBytes(bytes);
      out.add(Entry.file("0noise", bytes)); // sorts before a, b and c
    }
    List<String> written = new ArrayList<>();
    for (String n : names) {
      Op op = byPath.get(n);
      boolean marker = op.kind().equals("wh") || op.kind().equals("opq");
      if (!marker && underNonDirectory(n, kinds)) {
        continue;
      }
      Instant mtime = Instant.ofEpochSecond(1_700_000_000L + op.seed() * 1000L + layer);
      switch (op.kind()) {
        case "file" -> out.add(Entry.file(n, content(n, layer, op.seed()))
            .mode(op.seed() % 2 == 0 ? 0644 : 0600).owner(op.seed(), layer).mtime(mtime));
        case "dir" -> out.add(Entry.dir(n).mode(op.seed() % 2 == 0 ? 0755 : 0700)
            .owner(layer, op.seed()).mtime(mtime));
        case "link" -> out.add(Entry.symlink(n, op.target()).mtime(mtime));
        case "hard" -> {
          if (!"file".equals(kinds.get(op.target())) || !written.contains(op.target())) {
            continue;
          }
          out.add(Entry.hardlink(n, op.target()).mtime(mtime));
        }
        case "wh" -> out.add(Entry.whiteout(op.path()));
        case "opq" -> out.add(Entry.opaque(op.path()));
        default -> throw new IllegalArgumentException(op.kind());
      }
      written.add(n);
    }
    return out;
  }

  private static boolean underNonDirectory(String name, Map<String, String> kinds) {
    for (int i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
      String k = kinds.get(name.substring(0, i));
      if (k != null && !k.equals("dir") && !k.equals("wh") && !k.equals("opq")) {
        return true;
      }
    }
    return false;
  }

  private static byte[] content(String name, int layer, int seed) {
    return (name + " of layer " + layer + " #" + seed + "\n").getBytes(StandardCharsets.UTF_8);
  }

  private static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash + 1);
  }

  private static String nameOf(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }
}
