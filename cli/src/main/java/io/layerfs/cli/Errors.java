package io.layerfs.cli;

import java.nio.file.FileSystemException;

/** Turns an exception into the one line the CLI prints: what failed and why. */
final class Errors {
  private Errors() {}

  static String describe(Throwable e) {
    if (e instanceof FileSystemException fse) {
      String reason = fse.getReason();
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
