package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.ImageBuilder;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that write a file's or a tar's bytes to standard output ({@code cat}, {@code cp
 * NAME:SRC -}, {@code export NAME}) stop at the first failed write, as {@code cat} does, and so
 * do the commands that print text ({@code ls}, {@code images}, help): each runs in a JVM of its
 * own, whose standard output is a real pipe or device.
 */
class StandardOutputTest {
  /** Far more than a pipe's buffer holds (64 KiB on Linux), so the writer meets the close. */
  private static final int BIG = 4 << 20;

  @TempDir static Path dir;
  private static Path store;
  private static byte[] data;

  @BeforeAll
  static void containerWithABigFile() throws IOException {
    store = dir.resolve("store");
    data = new byte[BIG];
    new Random(28).nextBytes(data);
    ImageBuilder.create(ContentStore.open(store).root()).layer().file("/big", data)
        .build("big:1");
    Cli.Result created = Cli.run("--store", store.toString(), "create", "web", "big:1");
    assertEquals(0, created.code(), created.err());
    // a listing far longer than a pipe's buffer
    ImageBuilder many = ImageBuilder.create(ContentStore.open(store).root()).layer();
    for (int i = 0; i < 8000; i++) {
      many.file(String.format("/many/a-file-with-a-long-name-%05d", i), "x");
    }
    many.build("many:1");
  }

  private static final List<List<String>> STREAMING = List.of(
      List.of("cat", "big:1", "/big"), List.of("cp", "web:/big", "-"), List.of("export", "web"),
      List.of("ls", "many:1", "/many"));

  /** Commands that print text; each fills /dev/full's first buffer and fails. */
  private static final List<List<String>> TEXT = List.of(List.of("ls", "many:1", "/many"),
      List.of("images"), List.of("--help"), List.of("history", "big:1"));

  private static ProcessBuilder layerfs(List<String> args) {
    // surefire's own class path is a manifest-only jar: it gives the real one in this property
    String classPath = System.getProperty("surefire.test.class.path",
        System.getProperty("java.class.path"));
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", classPath, Main.class.getName(),
        "--store", store.toString()));
    command.addAll(args);
    return new ProcessBuilder(command);
  }

  /** As {@code layerfs cat IMG BIG | head -c 10}: the reader takes 10 bytes and goes. */
  @Test
  void aReaderThatGoesAwayEndsTheCommandSilentlyWithTheStatusOfSigpipe() throws Exception {
    for (List<String> args : STREAMING) {
      Process p = layerfs(args).start();
      InputStream stdout = p.getInputStream();
      assertEquals(10, stdout.readNBytes(10).length, args.toString());
      stdout.close();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), args + " did not end");
      // 128 + SIGPIPE, what the shell reports of cat and docker, which die of the signal; no
      // message (no "Broken pipe" naming the file that was read) and no stack trace
      assertEquals(StandardOutput.BROKEN_PIPE_STATUS, p.exitValue(), args + ": " + err);
      assertEquals("", err, args.toString());
    }
  }

  /** As {@code layerfs cat IMG BIG > /dev/full}: GNU cat's "write error: REASON", status 1. */
  @Test
  void anyOtherWriteErrorIsOneLineThatSaysSoAndStatusOne() throws Exception {
    File full = new File("/dev/full");
    assumeTrue(full.exists(), "no /dev/full");
    List<List<String>> all = new ArrayList<>(STREAMING);
    all.addAll(TEXT);
    for (List<String> args : all) {
      Process p = layerfs(args).redirectOutput(full).start();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), args + " did not end");
      assertEquals(1, p.exitValue(), args + ": " + err);
      assertEquals(1, err.lines().count(), err);
      // ENOSPC in the C library's words (English unless the locale says otherwise)
      assertTrue(err.startsWith("layerfs: write error: "), err);
      assertTrue(!err.contains("/big") && !err.contains("/many") && !err.contains("Exception"),
          err);
    }
  }

  /** In this JVM, the bytes go where {@link Main#run} was told, whole. */
  @Test
  void theBytesAreWrittenWhole() throws IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.StringWriter err = new java.io.StringWriter();
    int code = Main.run(new String[] {"--store", store.toString(), "cat", "big:1", "/big"},
        new java.io.PrintWriter(new java.io.StringWriter()), new java.io.PrintWriter(err),
        System.getenv(), bytes);
    assertEquals(0, code, err.toString());
    assertArrayEquals(data, bytes.toByteArray());
  }

  /**
   * A name that is not UTF-8 is printed as its bytes, as {@code ls} and {@code docker diff} print
   * it to a pipe (a UTF-8 encoder printed '?'), in a JVM whose standard output is a pipe.
   */
  @Test
  void namesThatAreNotUtf8ArePrintedAsTheirBytes() throws Exception {
    importLatin1("latin1:1", List.of("caf\u00e9", "caf?", "\u00e9t\u00e9"));
    Process p = layerfs(List.of("ls", "latin1:1", "/")).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes()));
    assertArrayEquals("caf?\ncaf\u00e9\n\u00e9t\u00e9\n".getBytes(StandardCharsets.ISO_8859_1),
        out, new String(out, StandardCharsets.ISO_8859_1));
    // JSON is UTF-8: such bytes are U+FFFD there, as Go's encoding/json writes them
    Cli.Result json = Cli.run("--store", store.toString(), "ls", "--format", "json", "latin1:1",
        "/");
    assertEquals(0, json.code(), json.err());
    assertTrue(json.out().contains("\"name\":\"caf\ufffd\""), json.out());
  }

  /** A pair cut between two writes is one character; a surrogate that escapes no byte a '?'. */
  @Test
  void theNameWriterKeepsPairsAndEscapes() throws IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    NameTextWriter w = new NameTextWriter(bytes);
    w.write("a\ud83d");
    w.write("\ude00\udce9\n");
    w.write(new char[] {'\ud800', 'b'}, 0, 2);
    w.flush();
    byte[] expected = java.util.Arrays.copyOf("a😀".getBytes(StandardCharsets.UTF_8), 5 + 4);
    expected[5] = (byte) 0xe9;
    expected[6] = '\n';
    expected[7] = '?';
    expected[8] = 'b';
    assertArrayEquals(expected, bytes.toByteArray());
  }

  /**
   * A name that is not UTF-8 given on the command line ({@code $'...'} in bash) names its file:
   * the JVM decodes such bytes as U+FFFD, and RawArguments takes them from /proc/self/cmdline.
   */
  @Test
  void aNameThatIsNotUtf8OnTheCommandLineNamesItsFile() throws Exception {
    importLatin1("args:1", List.of("caf\u00e9", "caf\u00e8"));
    List<String> command = new ArrayList<>(layerfs(List.of("cat", "args:1")).command());
    String script = command.stream().map(a -> "'" + a + "'")
        .collect(java.util.stream.Collectors.joining(" ")) + " $'/caf\\xe9'";
    Process p = new ProcessBuilder("bash", "-c", script).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), err);
    assertArrayEquals("caf\u00e9".getBytes(StandardCharsets.ISO_8859_1), out);
  }

  /** Only an argument the JVM gave but for bytes it could not decode is taken from the bytes. */
  @Test
  void rawArgumentsReplaceOnlyWhatTheJvmCouldNotDecode() {
    List<byte[]> cmdline = List.of("java".getBytes(StandardCharsets.UTF_8),
        "cat".getBytes(StandardCharsets.UTF_8), new byte[] {'/', 'a', (byte) 0xe9},
        new byte[] {'b', (byte) 0xff});
    assertArrayEquals(new String[] {"cat", "/a\udce9", "b\ufffd"}, RawArguments.of(
        new String[] {"cat", "/a\ufffd", "b\ufffd"}, List.of(cmdline.get(0), cmdline.get(1),
            cmdline.get(2), "c".getBytes(StandardCharsets.UTF_8))));
    assertArrayEquals(new String[] {"cat", "/a\udce9", "b\udcff"}, RawArguments.of(
        new String[] {"cat", "/a\ufffd", "b\ufffd"}, cmdline));
    // a real U+FFFD stays one
    assertArrayEquals(new String[] {"\ufffd"}, RawArguments.of(new String[] {"\ufffd"},
        List.of("\ufffd".getBytes(StandardCharsets.UTF_8))));
  }

  /**
   * Imports an image of files named by the bytes of {@code names} (each char below U+0100 one
   * byte, so "caf\u00e9" is not UTF-8), each holding those bytes.
   */
  private static void importLatin1(String tag, List<String> names) throws IOException {
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (var out = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(
        tar, 512, "ISO-8859-1")) {
      for (String name : names) {
        byte[] data = name.getBytes(StandardCharsets.ISO_8859_1);
        var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
        e.setSize(data.length);
        out.putArchiveEntry(e);
        out.write(data);
        out.closeArchiveEntry();
      }
    }
    try (var s = io.layerfs.core.store.Store.open(store)) {
      s.importRootfs(new java.io.ByteArrayInputStream(tar.toByteArray()), "t.tar", tag);
    }
  }
}
