package io.layerfs.cli;

import java.nio.file.FileSystemException;

/** Turns an exception into the one line the CLI prints: what failed and why. */
final class Errors {
  private Errors() {}

  static String describe(Throwable e) {
    if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) {
      return describe(u.getCause());
    }
    if (e instanceof FileSystemException fse) {
      String reason = fse.getReason();
      if (reason != null && fse.getClass() != FileSystemException.class) {
        // layerfs' own exceptions carry a whole sentence ("no container x in store /s")
        return reason;
      }
      String kind = switch (e.getClass().getSimpleName()) {
        case "NoSuchFileException" -> "no such file or directory";
        case "NotDirectoryException" -> "not a directory";
        case "AccessDeniedException" -> "permission denied";
        case "FileAlreadyExistsException" -> "file exists";
        case "DirectoryNotEmptyException" -> "directory not empty";
        case "NotLinkException" -> "not a symbolic link";
        default -> reason != null ? reason : e.getClass().getSimpleName();
      };
      String file = fse.getFile();
      return file == null ? kind : file + ": " + kind;
    }
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }
}
