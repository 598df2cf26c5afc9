package io.layerfs.core;

/**
 * One line of {@code docker diff}: a path of a container that was added, changed or deleted
 * relative to its image.
 */
public record Change(Kind kind, String path) {
  /** What happened to the path. */
  public enum Kind {
    ADDED('A'),
    CHANGED('C'),
    DELETED('D');

    private final char letter;

    Kind(char letter) {
      this.letter = letter;
    }

    /** The letter {@code docker diff} prints. */
    public char letter() {
      return letter;
    }
  }

  /** The letter {@code docker diff} prints for this change. */
  public char letter() {
    return kind.letter();
  }

  /** As {@code docker diff} prints it: {@code "C /etc"}. */
  @Override
  public String toString() {
    return kind.letter() + " " + path;
  }
}
