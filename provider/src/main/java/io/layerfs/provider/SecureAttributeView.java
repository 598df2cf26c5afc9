package io.layerfs.provider;

import java.io.IOException;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/**
 * The basic, POSIX or owner view a {@link LayerDirectoryStream} gives of its directory or of a
 * path in it, as the JDK's secure stream's views behave: every call finds the file anew, through
 * the stream, so a call after the stream is closed fails with {@code
 * ClosedDirectoryStreamException}; and {@code setTimes} with no time to set still finds the file
 * (the JDK opens it first), so a missing one is an error rather than nothing.
 */
final class SecureAttributeView implements PosixFileAttributeView {
  /** The view of the file as it is found now; throws once the stream is closed. */
  @FunctionalInterface
  interface Target {
    PosixFileAttributeView view() throws IOException;
  }

  private final String name;
  private final Target target;

  SecureAttributeView(String name, Target target) {
    this.name = name;
    this.target = target;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PosixFileAttributes readAttributes() throws IOException {
    return target.view().readAttributes();
  }

  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    PosixFileAttributeView view = target.view();
    if (lastModifiedTime == null && lastAccessTime == null) {
      view.readAttributes();
    }
    view.setTimes(lastModifiedTime, lastAccessTime, createTime);
  }

  @Override
  public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
    target.view().setPermissions(perms);
  }

  @Override
  public void setGroup(GroupPrincipal group) throws IOException {
    target.view().setGroup(group);
  }

  @Override
  public UserPrincipal getOwner() throws IOException {
    return target.view().getOwner();
  }

  @Override
  public void setOwner(UserPrincipal owner) throws IOException {
    target.view().setOwner(owner);
  }
}
