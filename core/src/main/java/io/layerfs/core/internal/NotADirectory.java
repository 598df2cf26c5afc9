package io.layerfs.core.internal;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * A path through a non-directory ({@code ENOTDIR}), reported as the running JDK's own provider
 * reports it. Up to Java 24 the default provider says {@code FileSystemException} "Not a
 * directory" for every operation on such a path. Since Java 25 (JDK-8356678) it says {@link
 * NoSuchFileException} where it reads attributes or checks access and for the source of a copy or
 * a move, since the path names nothing; opening, creating, deleting and linking still say "Not a
 * directory", and so does every operation of a {@code SecureDirectoryStream} (its attribute views
 * read relative to the directory, which the change left alone). layerfs follows the JDK it runs
 * on, so that code written against the default provider catches the same exception from both.
 */
public final class NotADirectory {
  /** Whether the running JDK reports {@code ENOTDIR} as a missing file where it reads. */
  public static final boolean MISSING_WHEN_READ = Runtime.version().feature() >= 25;

  private NotADirectory() {}

  /** Whether {@code e} is the "Not a directory" of a lookup through a non-directory. */
  public static boolean is(IOException e) {
    return e.getClass() == FileSystemException.class
        && "Not a directory".equals(((FileSystemException) e).getReason());
  }

  /**
   * {@code e} as reading the path's attributes (or checking access to it, or taking it as the
   * source of a copy or move) reports it on this JDK.
   */
  public static IOException whenRead(IOException e) {
    if (MISSING_WHEN_READ && is(e)) {
      return new NoSuchFileException(((FileSystemException) e).getFile());
    }
    return e;
  }
}
