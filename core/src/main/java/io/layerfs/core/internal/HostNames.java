package io.layerfs.core.internal;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;

/**
 * Names between layerfs and the host's paths (mounts, {@code layerfs cp}), bytes kept. The JDK
 * keeps a host name's bytes in its {@code Path} but gives no string of them: {@code toString}
 * makes each byte that is not UTF-8 a U+FFFD, and a string with layerfs's escapes ({@link
 * NameBytes}) is no path at all. A {@code file:} URI carries the bytes both ways ({@code %E9}),
 * so names with such bytes go through one; the others, nearly all, are plain strings. Jimfs
 * (tmpfs mounts) takes any string as it is.
 */
public final class HostNames {
  private static final FileSystem HOST = FileSystems.getDefault();
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private HostNames() {}

  /** The path of {@code relative} (names joined by {@code /}, no {@code ..}) below {@code dir}. */
  public static Path resolve(Path dir, String relative) {
    return dir.resolve(name(dir.getFileSystem(), relative));
  }

  /** The path of one name, or of a link's target (names joined by {@code /}), in {@code fs}. */
  public static Path name(FileSystem fs, String name) {
    if (fs != HOST || !NameBytes.hasEscape(name)) {
      return fs.getPath(name);
    }
    Path p = name.startsWith("/") ? fs.getPath("/") : null;
    for (String part : name.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      // the URI's path is absolute; its file name is the one name, bytes kept (no ".." here
      // is touched: each part is resolved as it is)
      Path one = NameBytes.hasEscape(part)
          ? Path.of(URI.create("file:///" + percentEncoded(NameBytes.encode(part)))).getFileName()
          : fs.getPath(part);
      p = p == null ? one : p.resolve(one);
    }
    return p;
  }

  /** The layerfs string of a host path's name or of a link's target read from the host. */
  public static String of(Path path) {
    String s = path.toString();
    if (path.getFileSystem() != HOST || s.indexOf('\uFFFD') < 0) {
      return s;
    }
    // the absolute path's URI holds the bytes; a directory's ends in '/', which is no name's
    Path absolute = path.isAbsolute() ? path : path.getFileSystem().getPath("/").resolve(path);
    String raw = absolute.toUri().getRawPath();
    if (raw.length() > 1 && raw.endsWith("/")) {
      raw = raw.substring(0, raw.length() - 1);
    }
    byte[] bytes = percentDecoded(path.isAbsolute() ? raw : raw.substring(1));
    return NameBytes.decode(bytes);
  }

  private static String percentEncoded(byte[] bytes) {
    StringBuilder b = new StringBuilder(bytes.length * 3);
    for (byte x : bytes) {
      int c = x & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '/' || c == '.' || c == '-' || c == '_') {
        b.append((char) c);
      } else {
        b.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
    return b.toString();
  }

  private static byte[] percentDecoded(String raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length()) {
        out.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.write(c); // the URI's other characters are ASCII
      }
    }
    return out.toByteArray();
  }
}
