package io.layerfs.provider;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.DosFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * The {@code dos} view, as the JDK's Linux provider offers it: the DOS flags are kept in the
 * {@code user.DOSATTRIB} extended attribute, in the JDK's (and Samba's) form ({@code "0x21"}), so
 * a file flagged on the host reads so in a container and the other way round, and a commit
 * keeps the flags with the file. Nothing else reads them: a read-only flag stops no write.
 */
final class LayerDosAttributeView implements DosFileAttributeView {
  /** The attribute, named as the {@code user} view names it. */
  private static final String NAME = "DOSATTRIB";
  private static final int READONLY = 0x01;
  private static final int HIDDEN = 0x02;
  private static final int SYSTEM = 0x04;
  private static final int ARCHIVE = 0x20;

  private final LayerAttributeViews.Source source;
  private final LayerPath path;
  private final boolean follow;

  LayerDosAttributeView(LayerAttributeViews.Source source, LayerPath path, boolean follow) {
    this.source = source;
    this.path = path;
    this.follow = follow;
  }

  @Override
  public String name() {
    return "dos";
  }

  @Override
  public DosFileAttributes readAttributes() throws IOException {
    int flags = flags();
    return new Attributes(source.read(), flags);
  }

  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    LayerAttributes.setTimes(path, follow, lastModifiedTime, lastAccessTime);
  }

  @Override
  public void setReadOnly(boolean value) throws IOException {
    set(READONLY, value);
  }

  @Override
  public void setHidden(boolean value) throws IOException {
    set(HIDDEN, value);
  }

  @Override
  public void setSystem(boolean value) throws IOException {
    set(SYSTEM, value);
  }

  @Override
  public void setArchive(boolean value) throws IOException {
    set(ARCHIVE, value);
  }

  /**
   * The flags; none where the attribute is missing, an error (naming no file, as the JDK's) where
   * it is not the JDK's form.
   */
  private int flags() throws IOException {
    byte[] value = user().valueOrNull(NAME);
    if (value == null) {
      return 0;
    }
    int length = value.length > 0 && value[value.length - 1] == 0 ? value.length - 1
        : value.length;
    String text = new String(value, 0, length, StandardCharsets.UTF_8);
    if (text.length() >= 3 && text.startsWith("0x")) {
      try {
        return Integer.parseInt(text.substring(2), 16);
      } catch (NumberFormatException e) {
        // worded below
      }
    }
    throw new IOException("Value of user." + NAME + " attribute is invalid"); // as the JDK
  }

  /** Sets or clears one flag, writing the attribute only when that changes it (as the JDK). */
  private void set(int flag, boolean enable) throws IOException {
    int old = flags();
    int flags = enable ? old | flag : old & ~flag;
    if (flags == old) {
      return;
    }
    // the JDK writes the terminating NUL too
    byte[] text = ("0x" + Integer.toHexString(flags)).getBytes(StandardCharsets.UTF_8);
    try {
      user().write(NAME, ByteBuffer.wrap(java.util.Arrays.copyOf(text, text.length + 1)));
    } catch (FileSystemException e) {
      String worded = LayerUserAttributeView.WRITE + " '" + NAME + "': ";
      String reason = e.getReason();
      if (reason == null || !reason.startsWith(worded)) {
        throw e;
      }
      // the JDK's dos view says the error alone
      throw new FileSystemException(e.getFile(), null, reason.substring(worded.length()));
    }
  }

  private LayerUserAttributeView user() {
    return new LayerUserAttributeView(source, path, follow);
  }

  /** A file's basic attributes with its DOS flags. */
  private record Attributes(BasicFileAttributes basic, int flags) implements DosFileAttributes {
    @Override
    public boolean isReadOnly() {
      return (flags & READONLY) != 0;
    }

    @Override
    public boolean isHidden() {
      return (flags & HIDDEN) != 0;
    }

    @Override
    public boolean isSystem() {
      return (flags & SYSTEM) != 0;
    }

    @Override
    public boolean isArchive() {
      return (flags & ARCHIVE) != 0;
    }

    @Override
    public FileTime lastModifiedTime() {
      return basic.lastModifiedTime();
    }

    @Override
    public FileTime lastAccessTime() {
      return basic.lastAccessTime();
    }

    @Override
    public FileTime creationTime() {
      return basic.creationTime();
    }

    @Override
    public boolean isRegularFile() {
      return basic.isRegularFile();
    }

    @Override
    public boolean isDirectory() {
      return basic.isDirectory();
    }

    @Override
    public boolean isSymbolicLink() {
      return basic.isSymbolicLink();
    }

    @Override
    public boolean isOther() {
      return basic.isOther();
    }

    @Override
    public long size() {
      return basic.size();
    }

    @Override
    public Object fileKey() {
      return basic.fileKey();
    }
  }
}
