package io.layerfs.cli;

import io.layerfs.core.internal.NameBytes;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line's arguments with the bytes the JVM could not decode. The JVM makes each byte
 * of an argument that is not UTF-8 a U+FFFD, so {@code layerfs cat IMG $'/caf\xe9.txt'} named no
 * file; Linux keeps the arguments' bytes in {@code /proc/self/cmdline}, whose last entries are
 * the program's arguments. An argument is taken from there only when the JVM's own decoding of
 * those bytes gave it; anywhere else (no {@code /proc}, another layout) the JVM's stand.
 */
final class RawArguments {
  private static final Path CMDLINE = Path.of("/proc/self/cmdline");

  private RawArguments() {}

  /** {@code args}, each holding U+FFFD replaced by its bytes as a name holds them. */
  static String[] of(String[] args) {
    boolean replaced = false;
    for (String a : args) {
      replaced |= a.indexOf('\uFFFD') >= 0;
    }
    if (!replaced) {
      return args; // nearly always: nothing read
    }
    List<byte[]> raw;
    try {
      raw = entries(Files.readAllBytes(CMDLINE));
    } catch (IOException | RuntimeException e) {
      return args;
    }
    return of(args, raw);
  }

  static String[] of(String[] args, List<byte[]> cmdline) {
    if (cmdline.size() < args.length) {
      return args;
    }
    Charset jvm = jvmCharset();
    String[] out = args.clone();
    int first = cmdline.size() - args.length;
    for (int i = 0; i < args.length; i++) {
      byte[] raw = cmdline.get(first + i);
      // these bytes are this argument if the JVM's own decoding of them gave it
      if (args[i].indexOf('\uFFFD') >= 0 && new String(raw, jvm).equals(args[i])) {
        out[i] = NameBytes.decode(raw);
      }
    }
    return out;
  }

  /** The charset the JVM decoded its arguments with. */
  private static Charset jvmCharset() {
    try {
      return Charset.forName(System.getProperty("sun.jnu.encoding"));
    } catch (RuntimeException e) {
      return Charset.defaultCharset();
    }
  }

  private static List<byte[]> entries(byte[] cmdline) {
    List<byte[]> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < cmdline.length; i++) {
      if (cmdline[i] == 0) {
        byte[] e = new byte[i - start];
        System.arraycopy(cmdline, start, e, 0, e.length);
        out.add(e);
        start = i + 1;
      }
    }
    return out;
  }
}
