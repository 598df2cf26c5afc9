package io.layerfs.cli;

/**
 * The container or image and the path that {@code ls} and {@code cat} take, given as two
 * arguments ({@code web /etc}) or as one in {@code docker cp}'s form ({@code web:/etc}), which a
 * user who just ran {@code cp} types next. An image reference never has {@code ":/"} (a port is
 * digits, a tag has no slash), so the first {@code ":/"} splits the two.
 */
record NamedPath(String name, String path) {
  /** {@code first} and {@code path} as given; {@code otherwise} when neither names a path. */
  static NamedPath of(Invocation in, String first, String path, String otherwise) {
    int split = first.indexOf(":/");
    if (split <= 0 || first.startsWith("//", split + 1)) { // docker://..., not a path
      if (path == null && otherwise != null) {
        return new NamedPath(first, otherwise);
      }
      if (path == null) {
        throw in.usageError("Missing required parameter: 'PATH' (or give NAME:PATH)");
      }
      if (path.isEmpty()) {
        // as GNU ls and cat take '': no file, not the root
        throw new IllegalArgumentException(first + ": '': no such file or directory");
      }
      return new NamedPath(first, path);
    }
    if (path != null) {
      throw in.usageError("the path is given twice: '" + first
          + "' names one after ':', and '" + path + "' another");
    }
    return new NamedPath(first.substring(0, split), first.substring(split + 1));
  }
}
