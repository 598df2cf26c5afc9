package io.layerfs.core.internal;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * File system errors renamed to the path the caller gave, as the JDK's default provider names
 * the path it was given: a tree that serves a part of another (a mount, the provider's view of
 * a container) finds the file by a path of its own.
 */
public final class PathErrors {
  /**
   * ELOOP's reason as the JDK's default provider gives it, the same whether the links loop or a
   * link was not to be followed.
   */
  public static final String TOO_MANY_LINKS =
      "Too many levels of symbolic links or unable to access attributes of symbolic link";

  private PathErrors() {}

  /** ELOOP for {@code file}. */
  public static FileSystemException tooManyLinks(String file) {
    return new FileSystemException(file, null, TOO_MANY_LINKS);
  }

  /**
   * An open with {@code NOFOLLOW_LINKS} (or {@code DELETE_ON_CLOSE}) that met a link last: ELOOP
   * of {@code O_NOFOLLOW}, which the JDK's default provider words as its own plain {@link
   * IOException} (no reason to read); here with the path first, which the JDK's leaves out.
   */
  public static IOException linkNotFollowedAtOpen(String file) {
    return new IOException(file + ": Too many levels of symbolic links (NOFOLLOW_LINKS specified)");
  }

  /**
   * {@code e} naming {@code file}, its other file, reason and kind kept, {@code e} its cause;
   * {@code e} itself when it names {@code file} already or is of a kind not renamed here.
   */
  public static FileSystemException named(FileSystemException e, String file) {
    if (file.equals(e.getFile())) {
      return e;
    }
    return named(e, file, e instanceof NoSuchFileException ? null : e.getOtherFile());
  }

  /**
   * {@code e} naming {@code file} and {@code otherFile} (a kind that names one file gives up
   * the other), its reason and kind kept, {@code e} its cause; {@code e} itself when it is of a
   * kind not renamed here.
   */
  public static FileSystemException named(FileSystemException e, String file,
      String otherFile) {
    FileSystemException renamed;
    if (e instanceof NoSuchFileException) {
      renamed = new NoSuchFileException(file, otherFile, null);
    } else if (e instanceof NotDirectoryException) {
      renamed = new NotDirectoryException(file);
    } else if (e instanceof FileAlreadyExistsException) {
      renamed = new FileAlreadyExistsException(file, otherFile, e.getReason());
    } else if (e instanceof DirectoryNotEmptyException) {
      renamed = new DirectoryNotEmptyException(file);
    } else if (e instanceof AtomicMoveNotSupportedException) {
      renamed = new AtomicMoveNotSupportedException(file, otherFile, e.getReason());
    } else if (e instanceof AccessDeniedException) {
      renamed = new AccessDeniedException(file, otherFile, e.getReason());
    } else if (e.getClass() == FileSystemException.class) {
      renamed = new FileSystemException(file, otherFile, e.getReason());
    } else {
      return e;
    }
    renamed.initCause(e);
    return renamed;
  }
}
