package io.layerfs.cli;

import io.layerfs.core.internal.Printable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Turns an exception into the one line the CLI prints: what failed and why. */
final class Errors {
  private Errors() {}

  /**
   * {@code message} with its control characters shown as {@code \\uXXXX}, as layerfs prints
   * every error: one may carry what a registry or an image said, where a line break would break
   * the error's one line and a terminal escape would reach the user's terminal.
   */
  static String printable(String message) {
    return Printable.shown(message);
  }

  static String describe(Throwable e) {
    if (e instanceof java.io.UncheckedIOException u && u.getCause() != null) {
      return describe(u.getCause());
    }
    if (e instanceof FileSystemException fse) {
      if (isSentence(fse)) {
        // layerfs' own exceptions carry a whole sentence ("no container x in store /s")
        return fse.getReason();
      }
      String file = fse.getFile();
      return file == null ? kind(fse) : file + ": " + kind(fse);
    }
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  /**
   * {@code e}, a failure of a path in container or image {@code name}, with the name in front of
   * its file, so that its line says where: "demo:1: /etc/x: no such file or directory" rather than
   * a path that could be the host's. A whole sentence is kept as it is.
   */
  static FileSystemException in(String name, FileSystemException e) {
    if (isSentence(e) || e.getFile() == null || !e.getFile().startsWith("/")) {
      return e;
    }
    FileSystemException named =
        new FileSystemException(name + ": " + e.getFile(), e.getOtherFile(), kind(e));
    named.initCause(e);
    return named;
  }

  /**
   * {@code e}, a missing {@code path}, as GNU's tools report it: "Not a directory" when the
   * nearest name on its way that exists is no directory. Since Java 25 the JDK, and layerfs with
   * it, says missing there where it reads attributes; an open still says "Not a directory".
   */
  static FileSystemException missing(Path path, NoSuchFileException e) {
    for (Path up = path.getParent(); up != null; up = up.getParent()) {
      if (Files.exists(up)) {
        return Files.isDirectory(up) ? e
            : new FileSystemException(e.getFile(), null, "Not a directory");
      }
    }
    return e;
  }

  /**
   * {@code out}, a stream into {@code file}, whose failed writes name the file, as cp(1) and
   * tar(1) name it, where the JDK's words for one (a full disk's) name none.
   */
  static OutputStream naming(Path file, OutputStream out) {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        naming(file, () -> out.write(b));
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        naming(file, () -> out.write(b, off, len));
      }

      @Override
      public void flush() throws IOException {
        naming(file, out::flush);
      }

      @Override
      public void close() throws IOException {
        naming(file, out::close);
      }
    };
  }

  /** One call of a stream into {@code file}. */
  private interface StreamCall {
    void run() throws IOException;
  }

  private static void naming(Path file, StreamCall call) throws IOException {
    try {
      call.run();
    } catch (IOException e) {
      throw writing(file, e);
    }
  }

  private static FileSystemException writing(Path file, IOException e) {
    if (e instanceof FileSystemException named) {
      return named;
    }
    FileSystemException named = new FileSystemException(file.toString(), null, e.getMessage());
    named.initCause(e);
    return named;
  }

  private static boolean isSentence(FileSystemException e) {
    return e.getReason() != null && e.getClass() != FileSystemException.class;
  }

  /** What went wrong, as the host's tools word it. */
  private static String kind(FileSystemException e) {
    String reason = e.getReason();
    return switch (e.getClass().getSimpleName()) {
      case "NoSuchFileException" -> "no such file or directory";
      case "NotDirectoryException" -> "not a directory";
      case "AccessDeniedException" -> "permission denied";
      case "FileAlreadyExistsException" -> "file exists";
      case "DirectoryNotEmptyException" -> "directory not empty";
      case "NotLinkException" -> "not a symbolic link";
      default -> reason != null ? reason : e.getClass().getSimpleName();
    };
  }
}
