package io.layerfs.core.lazy;

import io.layerfs.core.EntryType;
import io.layerfs.core.Layer;
import io.layerfs.core.estargz.Toc;
import io.layerfs.core.internal.PathErrors;
import io.layerfs.core.internal.PathLimits;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The layers of one image, every one a plain gzip layer attached lazily, merged path by path as a
 * view of the image merges them, without an index of any layer: a lookup searches the top layer
 * first, and a lower one only once the upper ones are read whole and hold neither the path nor a
 * whiteout of it, nor make a directory on the way opaque, a link or a file; links anywhere on the
 * path are followed (a symbolic link's target from the top, a hard link's in its own layer). In
 * the layer that has the path a link on the way is found by searching for each directory's name
 * before the layer is read whole. See the package documentation for what a lookup reads.
 *
 * <p>Of a name given twice in one tar, the first entry is the one found (a view shows the last;
 * the OCI image spec forbids such tars). The root, whose metadata a view takes from the topmost
 * layer that has an entry of it, wherever in the tar, is the one path a lookup cannot tell: the
 * caller asks a view.
 *
 * <p>Answers are kept, as the image never changes; but they are derived from bytes not yet
 * verified, so each is kept with the layers' {@link #drops} it was found at and ignored once
 * that moved (held bytes of a layer were dropped after a failed check: the registry may have
 * sent one wrong, and sends the right one now). A lookup during which it moved is made again,
 * and {@link #read} of an entry found before it moved looks the path up again, so no answer
 * and no file's bytes come from what the dropped bytes inflated to.
 *
 * <p>Thread-safe.
 */
public final class LazyMerge {
  private static final int MAX_SYMLINK_HOPS = 40;
  /** A lookup is made at most this often when held bytes keep being dropped meanwhile. */
  private static final int MAX_TRIES = 4;

  private final List<Layer> layers;
  private final List<LazyLayer> lazy;
  private final String image;
  // the identity of each file found: the same for every name of it, distinct from others
  private final Map<String, Long> fileKeys = new ConcurrentHashMap<>();
  private final AtomicLong nextKey = new AtomicLong(1L << 62);
  // a path (its last link not followed) of each file given a key, by key
  private final Map<Long, String> keyedPaths = new ConcurrentHashMap<>();
  // what lookups found ("+" or "-" for followLast, then the path): an entry or a Miss, with
  // the drops() it was found at
  private static final int MAX_ANSWERS = 8192;
  private static final long MAX_ANSWER_BYTES = 64L << 20;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final AtomicLong answerBytes = new AtomicLong();

  LazyMerge(List<Layer> layers, List<LazyLayer> lazy, String image) {
    this.layers = List.copyOf(layers);
    this.lazy = List.copyOf(lazy);
    this.image = image;
  }

  /** The image's layers, bottom first. */
  public List<Layer> layers() {
    return layers;
  }

  /**
   * How many times bytes held of the image's layers were dropped after a failed check (a gzip
   * CRC, a DiffID, a blob's digest, a piece damaged on disk) in this process; it only grows.
   * An entry found, or a file's bytes read, before it moved may come from bytes the registry
   * sent wrong: {@link #read} looks such an entry up again.
   */
  public long drops() {
    long n = 0;
    for (LazyLayer l : lazy) {
      n += l.drops();
    }
    return n;
  }

  /** A lookup's result (an entry or a {@link Miss}) and the {@link #drops} it was found at. */
  private record Answer(Object value, long drops) {}

  /**
   * What a view of the image shows at {@code absPath} ({@code followLast}: a symbolic link in
   * the last name followed), with a view's errors; null when the merge cannot tell (see above).
   *
   * @throws NoSuchFileException when nothing is there, or a symbolic link on the way dangles
   * @throws FileSystemException "Not a directory" for a file on the way, "Too many levels of
   *     symbolic links" after 40 links
   */
  public LazyEntry find(String absPath, boolean followLast) throws IOException {
    String key = (followLast ? "+" : "-") + absPath;
    for (int tries = 1; ; tries++) {
      long drops = drops();
      Answer known = answers.get(key);
      Object value;
      if (known != null && known.drops() == drops) {
        value = known.value();
      } else {
        try {
          value = lookUp(absPath, followLast, drops);
        } catch (IOException e) {
          if (e instanceof LazyGzip.StreamDamage || drops() == drops || tries >= MAX_TRIES) {
            throw e; // a layer the registry sends wrong even when fetched again: its error
          }
          continue; // held bytes dropped meanwhile: what failed may be the dropped copy's
        }
        if (drops() != drops) {
          if (tries >= MAX_TRIES) {
            throw droppedWhile(absPath, tries);
          }
          continue; // part of the answer may come from the dropped copy
        }
        if (value != null) {
          remember(key, new Answer(value, drops));
        }
      }
      if (value == Miss.ABSENT) {
        throw missing(absPath);
      }
      if (value == Miss.NOT_DIRECTORY) {
        throw new FileSystemException(absPath, null, "Not a directory");
      }
      return (LazyEntry) value;
    }
  }

  /**
   * The error for a missing path: "File name too long" where its first name too long for Linux
   * is missing from a directory the view has (Linux's lookup refuses it there), else
   * {@link NoSuchFileException}.
   */
  private FileSystemException missing(String absPath) throws IOException {
    int start = 0;
    while (start < absPath.length()) {
      int end = absPath.indexOf('/', start);
      end = end < 0 ? absPath.length() : end;
      if (PathLimits.nameTooLong(absPath.substring(start, end))) {
        String dir = absPath.substring(0, start);
        return Toc.cleanName(dir).isEmpty() || isDirectory(dir) ? PathLimits.tooLong(absPath)
            : new NoSuchFileException(absPath);
      }
      start = end + 1;
    }
    return new NoSuchFileException(absPath);
  }

  /** Whether the view has a directory at {@code absPath}; false where it cannot tell. */
  private boolean isDirectory(String absPath) throws IOException {
    try {
      LazyEntry d = find(absPath, true);
      return d != null && d.type() == EntryType.DIRECTORY;
    } catch (FileSystemException e) {
      return false;
    }
  }

  private IOException droppedWhile(String absPath, int tries) {
    return new IOException("bytes held of the layers of " + image + " were dropped " + tries
        + " times while '" + absPath + "' was looked up (the registry sends them wrong?)");
  }

  /** The entry at the path, a {@link Miss} a view reports, or null when it cannot tell. */
  private Object lookUp(String absPath, boolean followLast, long drops) throws IOException {
    try {
      return resolveLinks(absPath, followLast, drops);
    } catch (NoSuchFileException e) {
      return Miss.ABSENT;
    } catch (FileSystemException e) {
      if ("Not a directory".equals(e.getReason())) {
        return Miss.NOT_DIRECTORY;
      }
      throw e;
    }
  }

  /**
   * Keeps an answer: the image never changes, so neither does what a path shows (while no held
   * bytes are dropped). A file a search of the stream found holds its bytes, which count
   * against a bound too.
   */
  private void remember(String key, Answer answer) {
    long bytes = answer.value() instanceof LazyEntry e ? e.heldBytes() : 0;
    if (answers.size() >= MAX_ANSWERS || answerBytes.addAndGet(bytes) > MAX_ANSWER_BYTES) {
      answers.clear(); // a bound, not a policy: what is dropped is looked up again
      answerBytes.set(bytes);
    }
    answers.put(key, answer);
  }

  private LazyEntry resolveLinks(String absPath, boolean followLast, long drops)
      throws IOException {
    String path = Toc.cleanName(absPath);
    if (!lexical(path)) {
      return null; // "." or "..": resolved in the tree as it is, which a view does
    }
    for (int hops = 0; hops <= MAX_SYMLINK_HOPS; hops++) {
      if (path.isEmpty()) {
        return null; // the root
      }
      Step step = resolve(path);
      if (step.via() != null) {
        path = Toc.cleanName(step.via());
        continue;
      }
      switch (step.miss()) {
        case UNKNOWN -> {
          return null;
        }
        case NONE -> { }
        case ABSENT -> throw new NoSuchFileException(absPath);
        case NOT_DIRECTORY -> throw new FileSystemException(absPath, null, "Not a directory");
      }
      LazyLayer.Lookup found = step.found();
      LazyLayer layer = lazy.get(step.layer());
      if (found.type() == '2' && followLast) {
        if (found.storedLink().isEmpty()) {
          throw new NoSuchFileException(absPath);
        }
        if (!lexical(found.storedLink())) {
          return null;
        }
        path = Toc.cleanName(found.linkTarget());
        continue;
      }
      if (found.hardLink()) {
        LazyLayer.Lookup target = layer.find(found.linkTarget());
        if (target == null || target.whiteout() || target.linkTarget() != null) {
          throw new IOException("hard link '/" + path + "' in layer "
              + layers.get(step.layer()).digest() + " of " + image + " names '"
              + found.linkTarget() + "', no file of that layer");
        }
        return new LazyEntry("/" + path, target, step.layer(), layer,
            fileKey(step.layer(), Toc.cleanName(found.linkTarget()), path), drops);
      }
      return new LazyEntry("/" + path, found, step.layer(), layer,
          fileKey(step.layer(), path, path), drops);
    }
    throw PathErrors.tooManyLinks(absPath);
  }

  /** {@link #readFile} cannot tell without the tree: a view of the image reads the path. */
  public static final class CannotTell extends IOException {
    CannotTell(String absPath) {
      super(absPath + ": a '.' or '..' on the way resolves only in the tree");
    }
  }

  /**
   * The bytes of the regular file at {@code absPath} (links followed), or null when the image
   * has none there (nothing, or a file on the way).
   *
   * @throws FileSystemException "Is a directory", or "not a regular file"
   * @throws CannotTell for a path or link target whose "." or ".." only the tree resolves
   */
  public byte[] readFile(String absPath) throws IOException {
    LazyEntry e;
    try {
      e = find(absPath, true);
    } catch (NoSuchFileException absent) {
      return null;
    } catch (FileSystemException fse) {
      if ("Not a directory".equals(fse.getReason())) {
        return null;
      }
      throw fse;
    }
    if (e == null) {
      if (Toc.cleanName(absPath).isEmpty()) {
        throw new FileSystemException(absPath, null, "Is a directory"); // the root
      }
      throw new CannotTell(absPath);
    }
    return switch (e.type()) {
      case FILE -> read(e);
      case DIRECTORY -> throw new FileSystemException(absPath, null, "Is a directory");
      default -> throw new FileSystemException(absPath, null, "not a regular file (in layer "
          + layers.get(e.layer()).digest() + ")");
    };
  }

  /**
   * The bytes of a regular file {@link #find} gave; if held bytes of the layers were dropped
   * since ({@link #drops} moved), of the file at its path now.
   *
   * @throws IOException when the path no longer shows a regular file (its layers' bytes,
   *     fetched again, say otherwise), naming it and the image
   */
  public byte[] read(LazyEntry file) throws IOException {
    LazyEntry e = file;
    for (int tries = 1; ; tries++) {
      long drops = drops();
      if (e.drops() != drops) {
        e = find(file.path(), false);
        if (e == null) {
          throw new CannotTell(file.path());
        }
        if (e.type() != EntryType.FILE) {
          throw new FileSystemException(file.path(), null, "no longer a regular file of "
              + image + " once bytes of its layers were fetched again (now " + e.type() + ")");
        }
      }
      byte[] bytes;
      try {
        bytes = e.data();
      } catch (IOException failed) {
        if (failed instanceof LazyGzip.StreamDamage || drops() == drops
            || tries >= MAX_TRIES) {
          throw failed;
        }
        continue; // read from a copy dropped meanwhile: look again
      }
      if (drops() == drops) {
        return bytes;
      }
      if (tries >= MAX_TRIES) {
        throw droppedWhile(file.path(), tries);
      }
    }
  }

  /**
   * The key of the file of layer {@code layer} whose entry (the hard link's target, for a hard
   * link) is at {@code cleanPath}, found at {@code cleanFound}.
   */
  private long fileKey(int layer, String cleanPath, String cleanFound) {
    long key = fileKeys.computeIfAbsent(layer + ":" + cleanPath,
        k -> nextKey.getAndIncrement());
    keyedPaths.putIfAbsent(key, "/" + cleanFound);
    return key;
  }

  /**
   * The {@link LazyEntry#fileKey keys} lookups gave so far, each with a path of its file (its
   * last link not followed): for a tree that replaces the merge to keep them.
   */
  public Map<Long, String> keyedPaths() {
    return Map.copyOf(keyedPaths);
  }

  /** UNKNOWN: a link whose target only the tree can resolve (see {@link #lexical}). */
  private enum Miss { NONE, ABSENT, NOT_DIRECTORY, UNKNOWN }

  /**
   * Whether {@code path} (a path, or a link's target) resolves by its text alone: no "." and no
   * ".." but at its start (before them, a link's directory, whose parents are directories of the
   * tree, since every directory on the way to a link found is one). "x/../y" or "x/." depend on
   * what x is (a link, a file), which a view resolves in the tree.
   */
  static boolean lexical(String path) {
    boolean leading = true;
    for (String part : path.split("/")) {
      if (part.equals("..")) {
        if (!leading) {
          return false;
        }
      } else if (part.equals(".")) {
        return false;
      } else if (!part.isEmpty()) {
        leading = false;
      }
    }
    return true;
  }

  /** The path through a link at directory {@code a} to {@code rest}, or UNKNOWN. */
  private static Step via(String a, String rawTarget, String rest) {
    if (!lexical(rawTarget)) {
      return Step.of(Miss.UNKNOWN);
    }
    return new Step(null, -1, LazyLayer.resolveLink(a, rawTarget) + rest, Miss.NONE);
  }

  /**
   * One step of a lookup: the entry that wins at the path and its layer, or the path through a
   * link on the way to look up instead, or why nothing is there.
   */
  private record Step(LazyLayer.Lookup found, int layer, String via, Miss miss) {
    static Step of(Miss miss) {
      return new Step(null, -1, null, miss);
    }
  }

  private Step resolve(String path) throws IOException {
    String[] parts = path.split("/");
    // which directories on the way a layer above the one at hand has as directories: an entry
    // of another type below one is hidden, and so is everything under it
    boolean[] dirAbove = new boolean[parts.length];
    // the topmost layer (read whole) that has no entry at the path but entries under it: there
    // the path is a directory, which hides whatever is not a directory below (-1: none)
    int implied = -1;
    for (int i = lazy.size() - 1; i >= 0; i--) {
      LazyLayer l = lazy.get(i);
      // what the scan shows near where it stands first, then searches of the stream: a link on
      // the way the scan has passed costs no search for a path that is not there
      LazyLayer.Lookup found = l.peek("/" + path);
      if (found == null) {
        Step onTheWay = onTheWay(l, parts, dirAbove, false);
        if (onTheWay == null) {
          found = l.search("/" + path);
          onTheWay = found == null ? onTheWay(l, parts, dirAbove, true) : null;
        }
        if (onTheWay != null) {
          return onTheWay;
        }
        if (found == null) {
          found = l.find("/" + path);
        }
      }
      if (found != null) {
        if (implied >= 0 && !found.directory()) {
          return impliedDirectory(implied);
        }
        if (!found.whiteout()) {
          return new Step(found, found.directory() ? topmostHolder(path, i) : i, null,
              Miss.NONE);
        }
        // a whiteout of the path hides the layers below, unless this layer has a file or a
        // link on the way (a marker under a file is no whiteout), or entries under the path
      }
      // the layer is read whole and has nothing at the path (or a whiteout of it): what it has
      // on the way (a whiteout or an opaque directory hides the layers below, but this layer's
      // entries further on still count)
      if (implied < 0 && impliedIn(l, parts)) {
        implied = i; // whiteouts and opaque markers on the way hide only what is below
      }
      boolean hidesBelow = false; // a whiteout or an opaque directory on the way
      StringBuilder dir = new StringBuilder();
      for (int k = 0; k < parts.length - 1; k++) {
        String parent = dir.toString();
        if (k > 0) {
          dir.append('/');
        }
        dir.append(parts[k]);
        String a = dir.toString();
        LazyTarScan.Found e = l.entry(a);
        if (e != null && e.type() != '5') {
          if (dirAbove[k]) {
            return absent(implied); // hidden by a directory above, and all under it
          }
          if (e.type() != '2') {
            return Step.of(Miss.NOT_DIRECTORY); // a file on the way
          }
          return via(a, e.link(), rest(parts, k + 1));
        }
        // a whiteout hides the layers below, not this layer's own entries of the name or
        // under it (which may still put a file on the way further on)
        hidesBelow |= l.entry((k == 0 ? "" : parent + "/") + ".wh." + parts[k]) != null;
        hidesBelow |= l.entry(a + "/.wh..wh..opq") != null;
        // a directory here, by its entry or by entries under it
        dirAbove[k] |= e != null || l.hasUnder(a);
      }
      if (hidesBelow || found != null) {
        return absent(implied);
      }
    }
    // no layer has an entry at the path: a directory only entries under it make (as a view
    // shows it: 0755, owned by 0:0, time 0, of the topmost layer that has it), or nothing
    for (int i = lazy.size() - 1; i >= 0; i--) {
      if (lazy.get(i).hasUnder(path)) {
        return new Step(LazyLayer.Lookup.IMPLIED_DIRECTORY, i, null, Miss.NONE);
      }
    }
    return Step.of(Miss.ABSENT);
  }

  /**
   * Whether layer {@code l} (read whole) has entries under the path of {@code parts} that make
   * it a directory: not when a name on the way is a file or a link of the layer, as then those
   * entries are markers under a file (umoci's "directory became a file"), which create nothing.
   */
  private static boolean impliedIn(LazyLayer l, String[] parts) throws IOException {
    StringBuilder dir = new StringBuilder();
    for (int k = 0; k < parts.length - 1; k++) {
      if (k > 0) {
        dir.append('/');
      }
      dir.append(parts[k]);
      LazyTarScan.Found e = l.entry(dir.toString());
      if (e != null && e.type() != '5') {
        return false;
      }
    }
    return l.hasUnder(String.join("/", parts));
  }

  /** Nothing at the path below layer {@code implied}, which has it as a directory, if any. */
  private static Step absent(int implied) {
    return implied >= 0 ? impliedDirectory(implied) : Step.of(Miss.ABSENT);
  }

  /** The directory that only the entries under it in layer {@code layer} make. */
  private static Step impliedDirectory(int layer) {
    return new Step(LazyLayer.Lookup.IMPLIED_DIRECTORY, layer, null, Miss.NONE);
  }

  /**
   * The topmost layer that has directory {@code path}, found in layer {@code found}: a layer
   * above it (read whole) may have it only as the parent of its entries, and a view names that
   * one as the directory's layer.
   */
  private int topmostHolder(String path, int found) throws IOException {
    for (int j = lazy.size() - 1; j > found; j--) {
      if (lazy.get(j).hasUnder(path)) {
        return j;
      }
    }
    return found;
  }

  /**
   * What {@code l} shows without being read whole ({@code search}: by searches of the stream,
   * else where the scan stands) at a directory on the way to {@code parts} that no layer above
   * has as a directory: a symbolic link (the path through its target), or a file (nothing can
   * be under it); or null.
   */
  private static Step onTheWay(LazyLayer l, String[] parts, boolean[] dirAbove, boolean search)
      throws IOException {
    StringBuilder dir = new StringBuilder();
    for (int k = 0; k < parts.length - 1; k++) {
      if (k > 0) {
        dir.append('/');
      }
      dir.append(parts[k]);
      if (dirAbove[k]) {
        continue;
      }
      LazyLayer.Lookup found = search ? l.search("/" + dir) : l.peek("/" + dir);
      if (found == null || found.directory()) {
        continue;
      }
      if (found.type() == '2') {
        return via(dir.toString(), found.storedLink(), rest(parts, k + 1));
      }
      return Step.of(Miss.NOT_DIRECTORY);
    }
    return null;
  }

  private static String rest(String[] parts, int from) {
    StringBuilder b = new StringBuilder();
    for (int k = from; k < parts.length; k++) {
      b.append('/').append(parts[k]);
    }
    return b.toString();
  }
}
