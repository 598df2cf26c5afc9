package io.layerfs.provider;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The basic, POSIX or owner view a {@link LayerDirectoryStream} gives of its directory or of a
 * path in it, as the JDK's secure stream's views behave: every call finds the file anew, through
 * the stream, so a call after the stream is closed fails with {@code
 * ClosedDirectoryStreamException}; and {@code setTimes} with no time to set still finds the file
 * (the JDK opens it first), so a missing one is an error rather than nothing. Its errors name the
 * path as it was given to the stream, as the JDK's do.
 */
final class SecureAttributeView implements PosixFileAttributeView {
  /** The view of the file as it is found now; throws once the stream is closed. */
  @FunctionalInterface
  interface Target {
    PosixFileAttributeView view() throws IOException;
  }

  private final String name;
  private final Target target;
  /** The error of a call as the stream reports it. */
  private final UnaryOperator<FileSystemException> asGiven;

  SecureAttributeView(String name, Target target, UnaryOperator<FileSystemException> asGiven) {
    this.name = name;
    this.target = target;
    this.asGiven = asGiven;
  }

  /** A call of the view found anew. */
  @FunctionalInterface
  private interface Call<T> {
    T on(PosixFileAttributeView view) throws IOException;
  }

  private <T> T call(Call<T> call) throws IOException {
    try {
      return call.on(target.view());
    } catch (FileSystemException e) {
      throw asGiven.apply(e);
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PosixFileAttributes readAttributes() throws IOException {
    return call(PosixFileAttributeView::readAttributes);
  }

  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    call(view -> {
      if (lastModifiedTime == null && lastAccessTime == null) {
        view.readAttributes();
      }
      view.setTimes(lastModifiedTime, lastAccessTime, createTime);
      return null;
    });
  }

  @Override
  public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
    call(view -> {
      view.setPermissions(perms);
      return null;
    });
  }

  @Override
  public void setGroup(GroupPrincipal group) throws IOException {
    call(view -> {
      view.setGroup(group);
      return null;
    });
  }

  @Override
  public UserPrincipal getOwner() throws IOException {
    return call(PosixFileAttributeView::getOwner);
  }

  @Override
  public void setOwner(UserPrincipal owner) throws IOException {
    call(view -> {
      view.setOwner(owner);
      return null;
    });
  }
}
