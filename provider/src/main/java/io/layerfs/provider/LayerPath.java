package io.layerfs.provider;

import io.layerfs.core.FileTree;
import io.layerfs.core.Node;
import io.layerfs.core.internal.NameBytes;
import io.layerfs.core.internal.PathLimits;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * A path of a layerfs file system: an immutable value that does no I/O.
 *
 * <p><b>Algebra.</b> Every operation behaves exactly as the JDK's own Unix paths (the default file
 * system on Linux) do, quirks included; the property tests use the JDK as the oracle. The
 * representation mirrors it: the path string with repeated and trailing slashes collapsed, plus
 * the offset where each name starts (a child a directory stream made keeps its parent and name
 * and builds its string on first use: a walk's paths seldom need one). The empty path has one
 * (empty) name, the root has none.
 * Notable inherited rules:
 *
 * <ul>
 *   <li>{@code relativize} first normalizes both paths when either contains {@code .} or {@code
 *       ..}, and fails with {@link IllegalArgumentException} when the part of this path left
 *       after the common prefix still contains {@code ..} (it cannot be inverted).
 *   <li>{@code startsWith("")} is true only for the empty path; {@code getFileName()} of the empty
 *       path is the empty path; {@code getParent()} of a one-name relative path is null.
 *   <li>Paths order by the UTF-8 bytes of their strings (the JDK compares the native bytes), which
 *       is code point order, not {@link String#compareTo} order.
 *   <li>A NUL character, or a lone surrogate (not encodable in UTF-8), makes {@link
 *       InvalidPathException}, as it does for the JDK with a UTF-8 native encoding; except that
 *       a name of an image that is not UTF-8 (Linux names are bytes) has each byte that is not
 *       as the lone surrogate U+DC80..U+DCFF ({@code NameBytes}, Python's {@code
 *       surrogateescape}), which paths accept where they spell no UTF-8 together. Such names
 *       order by their escapes' code points, not by their bytes.
 * </ul>
 *
 * <p><b>File systems.</b> Paths of different file systems are never equal. Operations combining
 * two paths ({@code resolve}, {@code relativize}, ...) reject a path of another file system with
 * {@link ProviderMismatchException}, as Jimfs does; {@code startsWith}/{@code endsWith} answer
 * false for it. {@code compareTo} orders by file system name first, then by path, and throws
 * {@link ClassCastException} for a path that is not a layerfs path, like the JDK.
 *
 * <p><b>URIs.</b> {@code layerfs://NAME/abs/path}, encoded and decoded by {@link LayerUris}.
 *
 * <p>Thread safety: immutable; the cached {@link #absolute()} string is racy-single-check, which
 * is safe because {@link String} is immutable.
 */
final class LayerPath implements Path {
  static final String NUL_MESSAGE = "Nul character not allowed";
  private static final String UNMAPPABLE_MESSAGE =
      "Malformed input or input contains unmappable characters";
  private static final int[] ROOT_OFFSETS = new int[0];
  private static final int[] EMPTY_OFFSETS = new int[1];

  private final LayerFileSystem fs;
  /**
   * The clean path string; for a child a directory stream made, null until first asked ({@link
   * #str}): a walk that only reads attributes never needs it. Racy single-check, as {@link
   * #absolute} is (a String is immutable).
   */
  private String path;
  private final int[] offsets;
  /** Such a child's parent and name, from which {@link #str} builds its path; else null. */
  private final LayerPath lazyParent;
  private final String lazyName;
  private String absolute;
  // Set only on a path a directory stream made (see LayerFileSystem#listed): the listing and the
  // name listed, from which the path's node is found in one step, and the node then kept (with
  // the listing, unless the tree never changes). A racy single-check cache as absolute is: nodes
  // are immutable, and a kept one is used only while its tree says it holds. Not part of the
  // value (equals, hashCode and every operation ignore them).
  private FileTree.Listing listedIn;
  private String listedName;
  private Node node;

  /** {@code path} must already be clean: no NUL, no repeated or trailing slash (except "/"). */
  private LayerPath(LayerFileSystem fs, String path) {
    this(fs, path, offsetsOf(path));
  }

  private LayerPath(LayerFileSystem fs, String path, int[] offsets) {
    this.fs = fs;
    this.path = path;
    this.offsets = offsets;
    this.lazyParent = null;
    this.lazyName = null;
  }

  /** The child {@code name} (a plain name) of the non-empty {@code parent}, its string unbuilt. */
  private LayerPath(LayerPath parent, String name, int[] offsets) {
    this.fs = parent.fs;
    this.offsets = offsets;
    this.lazyParent = parent;
    this.lazyName = name;
  }

  /** The path string, built on first use for a child a directory stream made. */
  private String str() {
    String p = path;
    if (p == null) {
      String dir = lazyParent.str();
      p = dir.equals("/") ? "/".concat(lazyName) : dir.concat("/").concat(lazyName);
      path = p;
    }
    return p;
  }

  /**
   * Joins {@code first} and the non-empty {@code more} with "/" and parses the result, as {@link
   * java.nio.file.FileSystem#getPath} does for the default file system.
   */
  static LayerPath parse(LayerFileSystem fs, String first, String... more) {
    Objects.requireNonNull(first);
    String joined;
    if (more.length == 0) {
      joined = first;
    } else {
      StringBuilder sb = new StringBuilder(first);
      for (String segment : more) {
        if (!segment.isEmpty()) {
          if (sb.length() > 0) {
            sb.append('/');
          }
          sb.append(segment);
        }
      }
      joined = sb.toString();
    }
    return new LayerPath(fs, clean(joined));
  }

  /**
   * The path a {@code layerfs://NAME/...} URI names in {@code fs}: the decoded path part (UTF-8).
   *
   * @throws IllegalArgumentException when the URI is not a hierarchical layerfs URI of {@code fs}
   *     with a path and without query or fragment, or its path is not valid UTF-8 or holds NUL
   */
  static LayerPath fromUri(LayerFileSystem fs, URI uri) {
    return parse(fs, LayerUris.path(fs.provider().getScheme(), fs.name(), uri));
  }

  /**
   * Casts a path argument of a provider method.
   *
   * @throws NullPointerException if {@code path} is null
   * @throws ProviderMismatchException if it is not a layerfs path
   */
  static LayerPath check(Path path) {
    if (Objects.requireNonNull(path) instanceof LayerPath p) {
      return p;
    }
    throw new ProviderMismatchException("not a layerfs path: " + path.getClass().getName());
  }

  /** The file system, typed for package use. */
  LayerFileSystem fs() {
    return fs;
  }

  /**
   * The absolute form ("/a/b", "/" for the root) that lookups in the merged tree use. It is not
   * normalized: the lookup resolves {@code ..} after the symbolic links before it, as Linux does
   * ({@code link/..} is the parent of the link's target), and stops it at the root.
   */
  String absolute() {
    String a = absolute;
    if (a == null) {
      a = computeAbsolute();
      absolute = a;
    }
    return a;
  }

  /**
   * {@link #absolute}, for a call that takes the path by name: "File name too long" when Linux
   * refuses it so (a path a directory stream made is found from its listing without this).
   */
  String callPath() throws FileSystemException {
    String a = absolute();
    PathLimits.checkPath(a);
    return a;
  }

  private String computeAbsolute() {
    return isAbsolute() ? str() : "/" + str();
  }

  /** Marks this path, just made by a directory stream, as the child {@code name} of a listing. */
  void markListed(FileTree.Listing dir, String name) {
    listedIn = dir;
    listedName = name;
  }

  /** The listing a stream made this path from (see {@link #markListed}), else null. */
  FileTree.Listing listedIn() {
    return listedIn;
  }

  /** The name a stream listed this path by, with {@link #listedIn}. */
  String listedName() {
    return listedName;
  }

  /** This path's node (its last link not followed) once a lookup kept it, else null. */
  Node node() {
    return node;
  }

  /** Keeps {@code found} for good: the tree never changes. */
  void node(Node found) {
    node = found;
    listedIn = null; // what it was found from is no longer needed
    listedName = null;
  }

  /** Keeps {@code found} with the listing, which says whether it still holds. */
  void nodeFromListing(Node found) {
    node = found;
  }

  // --- parsing ---

  /** Collapses repeated slashes, drops trailing ones, and rejects what the JDK rejects. */
  private static String clean(String input) {
    int n = input.length();
    boolean clean = true;
    char prev = 0;
    for (int i = 0; i < n; i++) {
      char c = input.charAt(i);
      if (c == '\0') {
        throw new InvalidPathException(input, NUL_MESSAGE);
      }
      if (c == '/' && prev == '/') {
        clean = false;
      }
      prev = c;
    }
    if (prev == '/' && n > 1) {
      clean = false;
    }
    String result = input;
    if (!clean) {
      StringBuilder sb = new StringBuilder(n);
      prev = 0;
      for (int i = 0; i < n; i++) {
        char c = input.charAt(i);
        if (c != '/' || prev != '/') {
          sb.append(c);
        }
        prev = c;
      }
      if (sb.length() > 1 && sb.charAt(sb.length() - 1) == '/') {
        sb.setLength(sb.length() - 1);
      }
      result = sb.toString();
    }
    checkEncodable(result);
    return result;
  }

  private static void checkEncodable(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))) {
        // pairs pass, and escapes of bytes that are not UTF-8 (names a tar may hold)
        if (!NameBytes.isCanonical(s)) {
          throw new InvalidPathException(s, UNMAPPABLE_MESSAGE);
        }
        return;
      }
    }
  }


  private static int[] offsetsOf(String path) {
    if (path.isEmpty()) {
      return EMPTY_OFFSETS;
    }
    int count = 0;
    int n = path.length();
    for (int i = 0; i < n; i++) {
      if (path.charAt(i) != '/' && (i == 0 || path.charAt(i - 1) == '/')) {
        count++;
      }
    }
    if (count == 0) {
      return ROOT_OFFSETS;
    }
    int[] result = new int[count];
    int k = 0;
    for (int i = 0; i < n; i++) {
      if (path.charAt(i) != '/' && (i == 0 || path.charAt(i - 1) == '/')) {
        result[k++] = i;
      }
    }
    return result;
  }

  // --- accessors ---

  @Override
  public LayerFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return !str().isEmpty() && str().charAt(0) == '/';
  }

  private boolean isEmpty() {
    return str().isEmpty();
  }

  @Override
  public LayerPath getRoot() {
    return isAbsolute() ? new LayerPath(fs, "/") : null;
  }

  @Override
  public LayerPath getFileName() {
    if (lazyName != null) {
      return new LayerPath(fs, lazyName, EMPTY_OFFSETS); // a listed name: its string unbuilt
    }
    int count = offsets.length;
    if (count == 0) {
      return null;
    }
    if (count == 1 && !isAbsolute()) {
      return this;
    }
    return new LayerPath(fs, str().substring(offsets[count - 1]));
  }

  @Override
  public LayerPath getParent() {
    int count = offsets.length;
    if (count == 0) {
      return null;
    }
    int len = offsets[count - 1] - 1;
    if (len <= 0) {
      return getRoot();
    }
    return new LayerPath(fs, str().substring(0, len));
  }

  @Override
  public int getNameCount() {
    return offsets.length;
  }

  @Override
  public LayerPath getName(int index) {
    if (index < 0 || index >= offsets.length) {
      throw new IllegalArgumentException();
    }
    return new LayerPath(fs, str().substring(offsets[index], end(index)));
  }

  @Override
  public LayerPath subpath(int beginIndex, int endIndex) {
    if (beginIndex < 0 || beginIndex >= offsets.length || endIndex > offsets.length
        || beginIndex >= endIndex) {
      throw new IllegalArgumentException();
    }
    return new LayerPath(fs, str().substring(offsets[beginIndex], end(endIndex - 1)));
  }

  /** End (exclusive) of the name at {@code index}. */
  private int end(int index) {
    return index == offsets.length - 1 ? str().length() : offsets[index + 1] - 1;
  }

  private boolean nameIs(int index, String s) {
    int begin = offsets[index];
    return end(index) - begin == s.length() && str().startsWith(s, begin);
  }

  private boolean isDot(int index) {
    return nameIs(index, ".");
  }

  private boolean isDotDot(int index) {
    return nameIs(index, "..");
  }

  private boolean hasDotOrDotDot() {
    for (int i = 0; i < offsets.length; i++) {
      if (isDot(i) || isDotDot(i)) {
        return true;
      }
    }
    return false;
  }

  // --- comparisons ---

  @Override
  public boolean startsWith(Path other) {
    if (!(Objects.requireNonNull(other) instanceof LayerPath that) || that.fs != fs) {
      return false;
    }
    if (that.str().length() > str().length()) {
      return false;
    }
    int thisCount = offsets.length;
    int thatCount = that.offsets.length;
    if (thatCount == 0 && isAbsolute()) {
      // "/" is a prefix of every absolute path
      return !that.isEmpty();
    }
    if (thatCount > thisCount) {
      return false;
    }
    if (thatCount == thisCount && str().length() != that.str().length()) {
      return false;
    }
    for (int i = 0; i < thatCount; i++) {
      if (offsets[i] != that.offsets[i]) {
        return false;
      }
    }
    if (!str().startsWith(that.str())) {
      return false;
    }
    // the match must end on a name boundary
    return that.str().length() == str().length() || str().charAt(that.str().length()) == '/';
  }

  @Override
  public boolean startsWith(String other) {
    return startsWith(parse(fs, other));
  }

  @Override
  public boolean endsWith(Path other) {
    if (!(Objects.requireNonNull(other) instanceof LayerPath that) || that.fs != fs) {
      return false;
    }
    int thisLen = str().length();
    int thatLen = that.str().length();
    if (thatLen > thisLen) {
      return false;
    }
    if (thisLen > 0 && thatLen == 0) {
      return false;
    }
    if (that.isAbsolute() && !isAbsolute()) {
      return false;
    }
    int thisCount = offsets.length;
    int thatCount = that.offsets.length;
    if (thatCount > thisCount) {
      return false;
    }
    if (thatCount == thisCount) {
      if (thisCount == 0) {
        return true;
      }
      int expectedLen = isAbsolute() && !that.isAbsolute() ? thisLen - 1 : thisLen;
      if (thatLen != expectedLen) {
        return false;
      }
    } else if (that.isAbsolute()) {
      return false;
    }
    int thisPos = offsets[thisCount - thatCount];
    int thatPos = that.offsets[0];
    return thatLen - thatPos == thisLen - thisPos
        && str().regionMatches(thisPos, that.str(), thatPos, thatLen - thatPos);
  }

  @Override
  public boolean endsWith(String other) {
    return endsWith(parse(fs, other));
  }

  @Override
  public int compareTo(Path other) {
    LayerPath that = (LayerPath) other;
    if (that.fs != fs) {
      int byName = fs.name().compareTo(that.fs.name());
      if (byName != 0) {
        return byName;
      }
    }
    return compareCodePoints(str(), that.str());
  }

  /** Code point order, which is the order of the UTF-8 bytes the JDK compares. */
  private static int compareCodePoints(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char c1 = a.charAt(i);
      char c2 = b.charAt(i);
      if (c1 != c2) {
        return codePointRank(c1) - codePointRank(c2);
      }
    }
    return a.length() - b.length();
  }

  /** Moves surrogates above U+E000..U+FFFF so UTF-16 units sort as their code points do. */
  private static int codePointRank(char c) {
    if (c < Character.MIN_SURROGATE) {
      return c;
    }
    return Character.isSurrogate(c) ? c + 0x2000 : c - 0x800;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LayerPath that && that.fs == fs && that.str().equals(str());
  }

  @Override
  public int hashCode() {
    return str().hashCode();
  }

  @Override
  public String toString() {
    return str();
  }

  // --- combining ---

  /** Casts {@code other} for an operation that combines two paths of this file system. */
  private LayerPath sameFileSystem(Path other) {
    if (check(other).fs != fs) {
      throw new ProviderMismatchException(
          "path of file system '" + ((LayerPath) other).fs.name() + "' used with '" + fs.name()
              + "'");
    }
    return (LayerPath) other;
  }

  @Override
  public LayerPath normalize() {
    int count = offsets.length;
    if (count == 0 || isEmpty()) {
      return this;
    }
    boolean rooted = isAbsolute();
    // indexes of the names kept, used as a stack
    int[] kept = new int[count];
    int top = 0;
    boolean changed = false;
    for (int i = 0; i < count; i++) {
      if (isDot(i)) {
        changed = true;
      } else if (isDotDot(i)) {
        if (top > 0 && !isDotDot(kept[top - 1])) {
          top--;
          changed = true;
        } else if (rooted && top == 0) {
          // ".." at the root is the root
          changed = true;
        } else {
          kept[top++] = i;
        }
      } else {
        kept[top++] = i;
      }
    }
    if (!changed) {
      return this;
    }
    if (top == 0) {
      return new LayerPath(fs, rooted ? "/" : "");
    }
    StringBuilder sb = new StringBuilder(str().length());
    if (rooted) {
      sb.append('/');
    }
    for (int k = 0; k < top; k++) {
      if (k > 0) {
        sb.append('/');
      }
      sb.append(str(), offsets[kept[k]], end(kept[k]));
    }
    return new LayerPath(fs, sb.toString());
  }

  @Override
  public LayerPath resolve(Path other) {
    LayerPath child = sameFileSystem(other);
    if (child.isAbsolute()) {
      return child;
    }
    return resolveClean(child.str());
  }

  @Override
  public LayerPath resolve(String other) {
    return resolveClean(clean(Objects.requireNonNull(other)));
  }

  /**
   * {@link #resolve(String)} for a name of a directory listing, as a walk resolves every name of a
   * tree: such a name needs no cleaning (one without a slash or NUL; anything else goes the
   * general way), and the child's name offsets are this path's plus one.
   */
  LayerPath resolveName(String name) {
    int n = name.length();
    if (n == 0) {
      return this;
    }
    if (!plainName(name)) {
      return resolve(name);
    }
    if (isEmpty()) {
      return new LayerPath(fs, name, EMPTY_OFFSETS);
    }
    int start = offsets.length == 0 ? 1 : str().length() + 1;
    int[] childOffsets = Arrays.copyOf(offsets, offsets.length + 1);
    childOffsets[offsets.length] = start;
    return new LayerPath(this, name, childOffsets);
  }

  /**
   * Whether {@code name} has no slash, no NUL and no surrogate (those go the general way).
   */
  private static boolean plainName(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || c == '\0'
          || (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE)) {
        return false;
      }
    }
    return true;
  }


  private LayerPath resolveClean(String child) {
    if (child.isEmpty()) {
      return this;
    }
    if (isEmpty() || child.charAt(0) == '/') {
      return new LayerPath(fs, child);
    }
    if (str().equals("/")) {
      return new LayerPath(fs, "/" + child);
    }
    return new LayerPath(fs, str() + "/" + child);
  }

  @Override
  public LayerPath resolveSibling(Path other) {
    LayerPath sibling = sameFileSystem(other);
    LayerPath parent = getParent();
    return parent == null ? sibling : parent.resolve(sibling);
  }

  @Override
  public LayerPath resolveSibling(String other) {
    return resolveSibling(parse(fs, other));
  }

  @Override
  public LayerPath relativize(Path other) {
    LayerPath child = sameFileSystem(other);
    if (child.equals(this)) {
      return new LayerPath(fs, "");
    }
    if (isAbsolute() != child.isAbsolute()) {
      throw new IllegalArgumentException("'other' is different type of Path");
    }
    if (isEmpty()) {
      return child;
    }
    LayerPath base = this;
    if (base.hasDotOrDotDot() || child.hasDotOrDotDot()) {
      base = base.normalize();
      child = child.normalize();
    }
    int baseCount = base.getNameCount();
    int childCount = child.getNameCount();
    int n = Math.min(baseCount, childCount);
    int i = 0;
    while (i < n && base.getName(i).equals(child.getName(i))) {
      i++;
    }
    LayerPath childRemaining;
    boolean childEmpty;
    if (i == childCount) {
      childRemaining = new LayerPath(fs, "");
      childEmpty = true;
    } else {
      childRemaining = child.subpath(i, childCount);
      childEmpty = childRemaining.isEmpty();
    }
    if (i == baseCount) {
      return childRemaining;
    }
    LayerPath baseRemaining = base.subpath(i, baseCount);
    if (baseRemaining.hasDotOrDotDot()) {
      // "a/../.." style leftovers cannot be undone by adding names
      throw new IllegalArgumentException(
          "Unable to compute relative  path from " + this + " to " + other);
    }
    if (baseRemaining.isEmpty()) {
      return childRemaining;
    }
    int dotdots = baseRemaining.getNameCount();
    StringBuilder sb = new StringBuilder(dotdots * 3 + childRemaining.str().length());
    for (int k = 0; k < dotdots; k++) {
      if (k > 0) {
        sb.append('/');
      }
      sb.append("..");
    }
    if (!childEmpty) {
      sb.append('/').append(childRemaining.str());
    }
    return new LayerPath(fs, sb.toString());
  }

  // --- conversions ---

  /** The working directory of every layerfs file system is the root. */
  @Override
  public LayerPath toAbsolutePath() {
    if (isAbsolute()) {
      return this;
    }
    return new LayerPath(fs, isEmpty() ? "/" : "/" + str());
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    // symbolic links live in the merged tree, which only the provider can read
    return fs.provider().toRealPath(this, options);
  }

  @Override
  public URI toUri() {
    String absolute = toAbsolutePath().str();
    if (!absolute.endsWith("/") && isDirectory()) {
      // as the default provider: a directory's URI ends with a slash, so resolve() stays in it
      absolute += "/";
    }
    return LayerUris.uri(fs.provider().getScheme(), fs.name(), absolute);
  }

  /** Whether this path names a directory now; false when it cannot be told. */
  private boolean isDirectory() {
    try {
      io.layerfs.core.Node node = fs.find(this, true);
      return node != null && node.type() == io.layerfs.core.EntryType.DIRECTORY;
    } catch (IOException | java.nio.file.ClosedFileSystemException e) {
      return false;
    }
  }

  @Override
  public File toFile() {
    throw new UnsupportedOperationException("a layerfs path has no java.io.File");
  }

  @Override
  public WatchKey register(
      WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
      throws IOException {
    if (!(java.util.Objects.requireNonNull(watcher) instanceof LayerWatchService service)) {
      throw new java.nio.file.ProviderMismatchException(
          "not a watch service of a layerfs file system: " + watcher);
    }
    return service.register(this, events, modifiers);
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>... events)
      throws IOException {
    return register(watcher, events, new WatchEvent.Modifier[0]);
  }

  @Override
  public Iterator<Path> iterator() {
    List<Path> names = new ArrayList<>(offsets.length);
    for (int i = 0; i < offsets.length; i++) {
      names.add(getName(i));
    }
    return Collections.unmodifiableList(names).iterator();
  }
}
