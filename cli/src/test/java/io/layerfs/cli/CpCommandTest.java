package io.layerfs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.content.ContentStore;
import io.layerfs.testing.ImageBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** layerfs cp with docker cp's rules, both ways, on a container of a small image. */
class CpCommandTest {
  @TempDir Path dir;
  private Path store;
  private Path host;

  @BeforeEach
  void container() throws IOException {
    store = dir.resolve("store");
    ImageBuilder.create(ContentStore.open(store).root()).layer()
        .dir("/etc").file("/etc/motd", "hello\n").file("/etc/app.conf", "a=1\n")
        .symlink("/etc/link", "motd").dir("/srv")
        .build("base:1");
    assertEquals(0, run("create", "web", "base:1").code());
    host = Files.createDirectories(dir.resolve("host"));
    Files.createDirectories(host.resolve("site/css"));
    Files.writeString(host.resolve("site/index.html"), "<h1>hi</h1>\n");
    Files.writeString(host.resolve("site/css/main.css"), "body{}\n");
    Files.setAttribute(host.resolve("site/index.html"), "unix:mode", 0640);
    Files.setLastModifiedTime(host.resolve("site/index.html"), FileTime.fromMillis(1_000_000));
  }

  private Cli.Result run(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--store";
    all[1] = store.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return Cli.run(all);
  }

  private <T> T inContainer(IoFunction<FileSystem, T> f) throws IOException {
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", store, "readOnly", true))) {
      return f.apply(fs);
    }
  }

  interface IoFunction<A, T> {
    T apply(A a) throws IOException;
  }

  /**
   * Host names that are not UTF-8 (made through file URIs, the JDK's one way to them) go into
   * the container and back with their bytes; they were each U+FFFD, and two such names one file.
   */
  @Test
  void namesThatAreNotUtf8AreCopiedWithTheirBytesBothWays() throws IOException {
    Path latin1 = Files.createDirectories(Path.of(URI.create(host.toUri() + "latin%E9")));
    Files.writeString(Path.of(URI.create(latin1.toUri() + "a%E8")), "e8");
    Files.writeString(Path.of(URI.create(latin1.toUri() + "a%E7")), "e7");
    Files.createSymbolicLink(Path.of(URI.create(latin1.toUri() + "ln%FF")),
        Path.of(URI.create("file:///a%E8")).getFileName());
    assertEquals(0, run("cp", host.toString() + "/.", "web:/srv").code());
    assertEquals(List.of("e7", "e8", "a\udce8"), inContainer(fs -> List.of(
        Files.readString(fs.getPath("/srv/latin\udce9/a\udce7")),
        Files.readString(fs.getPath("/srv/latin\udce9/a\udce8")),
        Files.readSymbolicLink(fs.getPath("/srv/latin\udce9/ln\udcff")).toString())));
    // to standard output, a tar of the names' bytes (a long one a GNU long name, bytes kept)
    String longName = "\u00e9".repeat(60) + "\udce9";
    Files.writeString(Path.of(URI.create(latin1.toUri() + "%C3%A9".repeat(60) + "%E9")), "l");
    assertEquals(0, run("cp", host.toString() + "/.", "web:/srv").code());
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    assertEquals(0, Main.run(new String[] {"--store", store.toString(), "cp", "web:/srv", "-"},
        new java.io.PrintWriter(new java.io.StringWriter()),
        new java.io.PrintWriter(new java.io.StringWriter()), System.getenv(), tar));
    List<String> names = new java.util.ArrayList<>();
    try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        new java.io.ByteArrayInputStream(tar.toByteArray()), "ISO-8859-1")) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(io.layerfs.core.internal.NameBytes.decode(
            e.getName().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)));
      }
    }
    assertTrue(names.containsAll(List.of("srv/latin\udce9/a\udce8", "srv/latin\udce9/ln\udcff",
        "srv/latin\udce9/" + longName)), names.toString());
    Path out = dir.resolve("out");
    assertEquals(0, run("cp", "web:/srv", out.toString()).code());
    Path back = Path.of(URI.create(out.toUri() + "latin%E9/"));
    assertEquals("e7", Files.readString(Path.of(URI.create(back.toUri() + "a%E7"))));
    assertEquals("e8", Files.readString(Path.of(URI.create(back.toUri() + "ln%FF"))));
  }

  @Test
  void devicesAndFifosAreSkippedAndNamedAndTheRestIsCopiedWithExitOne() throws IOException {
    Path devStore = dir.resolve("devstore");
    ImageBuilder.create(ContentStore.open(devStore).root()).layer()
        .dir("/dev").charDevice("/dev/console", 5, 1).file("/dev/readme", "r\n")
        .fifo("/dev/pipe").dir("/etc").file("/etc/motd", "hello\n")
        .build("dev:1");
    assertEquals(0, Cli.run("--store", devStore.toString(), "create", "box", "dev:1").code());
    Path out = dir.resolve("out");
    Cli.Result r = Cli.run("--store", devStore.toString(), "cp", "box:/", out.toString());
    // as cp -r does on errors: everything else copied, each failure named, exit 1
    assertEquals(1, r.code());
    assertEquals("r\n", Files.readString(out.resolve("dev/readme")));
    assertEquals("hello\n", Files.readString(out.resolve("etc/motd")));
    assertFalse(Files.exists(out.resolve("dev/console"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(out.resolve("dev/pipe"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of(
        "layerfs: box:/dev/console: skipped: a character device (5, 1); Java makes no device"
            + " nodes, fifos or sockets ('layerfs cp box:/dev/console -' writes it into a tar)",
        "layerfs: box:/dev/pipe: skipped: a fifo; Java makes no device nodes, fifos or sockets"
            + " ('layerfs cp box:/dev/pipe -' writes it into a tar)"),
        r.err().lines().toList());
    // to standard output as a tar, as docker cp NAME:SRC - writes them: the tar holds them
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stdout = System.out;
    Cli.Result tar;
    try {
      System.setOut(new java.io.PrintStream(bytes, true));
      tar = Cli.run("--store", devStore.toString(), "cp", "box:/dev", "-");
    } finally {
      System.setOut(stdout);
    }
    assertEquals(0, tar.code(), tar.err());
    List<String> entries = new java.util.ArrayList<>();
    try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        entries.add(e.getName() + (e.isCharacterDevice() ? " c " + e.getDevMajor() + ","
            + e.getDevMinor() : e.isFIFO() ? " p" : ""));
      }
    }
    assertEquals(List.of("dev/", "dev/console c 5,1", "dev/pipe p", "dev/readme"), entries);
    // and back in, as docker cp - NAME:DEST takes it: what Java can make is extracted, the
    // rest named in the same words, status 1
    assertEquals(0, Cli.run("--store", devStore.toString(), "create", "copy", "dev:1").code());
    java.io.InputStream stdin = System.in;
    Cli.Result back;
    try {
      System.setIn(new java.io.ByteArrayInputStream(bytes.toByteArray()));
      back = Cli.run("--store", devStore.toString(), "cp", "-", "copy:/etc");
    } finally {
      System.setIn(stdin);
    }
    assertEquals(1, back.code(), back.err());
    assertEquals(List.of(
        "layerfs: copy:/etc/dev/console: skipped: a character device (5, 1); Java makes no"
            + " device nodes, fifos or sockets",
        "layerfs: copy:/etc/dev/pipe: skipped: a fifo; Java makes no device nodes, fifos or"
            + " sockets"), back.err().lines().toList());
    Cli.Result ls = Cli.run("--store", devStore.toString(), "ls", "copy", "/etc/dev");
    assertEquals("readme\n", ls.out(), ls.err());
  }

  @Test
  void aHardLinkInATarOnStandardInputIsASecondNameOfItsFile() throws IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(bytes)) {
      var file = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("a.txt");
      file.setSize(3);
      t.putArchiveEntry(file);
      t.write("abc".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      t.closeArchiveEntry();
      // GNU tar -c writes a file's second name so
      var link = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("b.txt",
          org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK);
      link.setLinkName("a.txt");
      t.putArchiveEntry(link);
      t.closeArchiveEntry();
    }
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", store))) {
      Files.createDirectories(fs.getPath("/in"));
      try (java.io.InputStream in = new java.io.ByteArrayInputStream(bytes.toByteArray())) {
        assertEquals(List.of(), TarStreams.extract(in, fs.getPath("/in"), false));
      }
      assertEquals("abc", Files.readString(fs.getPath("/in/b.txt")));
      assertTrue(Files.isSameFile(fs.getPath("/in/a.txt"), fs.getPath("/in/b.txt")));

      // a second name of a file the tar does not hold: named as GNU tar names it
      java.io.ByteArrayOutputStream dangling = new java.io.ByteArrayOutputStream();
      try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t =
          new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(dangling)) {
        var link = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("h",
            org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK);
        link.setLinkName("missing");
        t.putArchiveEntry(link);
        t.closeArchiveEntry();
      }
      IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> TarStreams.extract(new java.io.ByteArrayInputStream(dangling.toByteArray()),
              fs.getPath("/in"), false));
      assertEquals("tar entry h is a hard link to missing, which is not in /in (a tar holds "
          + "the file before its second name)", e.getMessage());
      assertFalse(Files.exists(fs.getPath("/in/h"), LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void aHostDirectoryGoesIntoTheContainerUnderItsNameOrAsTheNewDirectory() throws IOException {
    assertEquals(0, run("cp", host.resolve("site").toString(), "web:/srv").code());
    assertEquals(0, run("cp", host.resolve("site") + "/.", "web:/www").code());
    inContainer(fs -> {
      assertEquals("<h1>hi</h1>\n", Files.readString(fs.getPath("/srv/site/index.html")));
      assertEquals("body{}\n", Files.readString(fs.getPath("/srv/site/css/main.css")));
      assertEquals(0640, (int) Files.getAttribute(fs.getPath("/srv/site/index.html"),
          "unix:mode") & 07777);
      assertEquals(FileTime.fromMillis(1_000_000),
          Files.getLastModifiedTime(fs.getPath("/srv/site/index.html")));
      // DEST did not exist: it is made, with SRC's contents
      assertEquals("<h1>hi</h1>\n", Files.readString(fs.getPath("/www/index.html")));
      return null;
    });
  }

  @Test
  void containerFilesComeOutWithDockerCpsRules() throws IOException {
    Path out = Files.createDirectories(dir.resolve("out"));
    assertEquals(0, run("cp", "web:/etc/motd", out.toString()).code());
    assertEquals("hello\n", Files.readString(out.resolve("motd")));
    assertEquals(0, run("cp", "web:/etc/app.conf", out.resolve("renamed.conf").toString())
        .code());
    assertEquals("a=1\n", Files.readString(out.resolve("renamed.conf")));
    // a link is copied as a link, or followed with -L
    assertEquals(0, run("cp", "web:/etc/link", out.toString()).code());
    assertTrue(Files.isSymbolicLink(out.resolve("link")));
    assertEquals("motd", Files.readSymbolicLink(out.resolve("link")).toString());
    assertEquals(0, run("cp", "-L", "web:/etc/link", out.resolve("followed").toString()).code());
    assertEquals("hello\n", Files.readString(out.resolve("followed")));
    assertFalse(Files.isSymbolicLink(out.resolve("followed")));
    // a directory's contents with /.
    assertEquals(0, run("cp", "web:/etc/.", out.resolve("etc-copy").toString()).code());
    assertEquals("hello\n", Files.readString(out.resolve("etc-copy/motd")));
    assertTrue(Files.isSymbolicLink(out.resolve("etc-copy/link")));
  }

  @Test
  void badCopiesAreErrorsThatChangeNothing() throws IOException {
    Cli.Result both = run("cp", "web:/etc/motd", "web:/tmp/x");
    assertEquals(1, both.code());
    assertTrue(both.errorLine().contains("between containers"), both.err());
    Cli.Result neither = run("cp", host.toString(), dir.resolve("x").toString());
    assertEquals(1, neither.code());
    assertTrue(neither.errorLine().contains("NAME:PATH"), neither.err());
    Cli.Result missing = run("cp", "web:/nope", host.toString());
    assertEquals(1, missing.code());
    // the container named, as the argument named it
    assertEquals("layerfs: web:/nope: no such file or directory", missing.errorLine());
    Cli.Result underAFile =
        run("cp", host.resolve("site/index.html").toString(), "web:/etc/motd/x");
    assertEquals(1, underAFile.code());
    assertTrue(underAFile.errorLine().startsWith("layerfs: web: /etc/motd/x: "),
        underAFile.err());
    Cli.Result dirOnFile = run("cp", host.resolve("site").toString(), "web:/etc/motd");
    assertEquals(1, dirOnFile.code());
    assertTrue(dirOnFile.errorLine().contains("cannot copy a directory to a file"),
        dirOnFile.err());
    Cli.Result noDir = run("cp", host.resolve("site/index.html").toString(), "web:/no/such/");
    assertEquals(1, noDir.code());
    inContainer(fs -> {
      assertEquals("hello\n", Files.readString(fs.getPath("/etc/motd")));
      assertFalse(Files.exists(fs.getPath("/no"), LinkOption.NOFOLLOW_LINKS));
      return null;
    });
  }

  /**
   * A PAX tar from GNU tar ({@code --format=pax --xattrs}) with a name that is not UTF-8 and
   * binary {@code user.} attributes: the name keeps its bytes (it was '?') and the attributes
   * come along, as {@code docker cp} keeps them (they were dropped); one of another namespace is
   * named as skipped. Times keep the PAX record's fraction of a second.
   */
  @Test
  void aPaxTarKeepsNamesThatAreNotUtf8AndUserXattrs() throws Exception {
    Path src = Files.createDirectories(dir.resolve("pax/d"));
    Path latin1 = Path.of(URI.create(src.toUri() + "caf%E9"));
    Files.writeString(latin1, "x");
    Files.writeString(src.resolve("plain"), "y");
    Files.setAttribute(src.resolve("plain"), "user:tag", new byte[] {0, (byte) 0xff, 1});
    Files.setAttribute(latin1, "user:n", "v".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Files.setLastModifiedTime(src.resolve("plain"), FileTime.from(
        java.time.Instant.ofEpochSecond(1_600_000_000, 123_456_789)));
    Path made = dir.resolve("pax.tar");
    Process p = new ProcessBuilder("tar", "--format=pax", "--xattrs", "-cf", made.toString(),
        "-C", src.getParent().toString(), "d").redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), log);
    byte[] withSecurity = addPaxRecord(Files.readAllBytes(made), "SCHILY.xattr.trusted.t", "1");
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", store))) {
      List<TarStreams.Skipped> skipped = TarStreams.extract(
          new java.io.ByteArrayInputStream(withSecurity), fs.getPath("/srv"), false);
      assertEquals("x", Files.readString(fs.getPath("/srv/d/caf\udce9")));
      assertEquals("v", new String((byte[]) Files.getAttribute(fs.getPath("/srv/d/caf\udce9"),
          "user:n"), java.nio.charset.StandardCharsets.UTF_8));
      org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[] {0, (byte) 0xff, 1},
          (byte[]) Files.getAttribute(fs.getPath("/srv/d/plain"), "user:tag"));
      assertEquals(FileTime.from(java.time.Instant.ofEpochSecond(1_600_000_000, 123_456_789)),
          Files.getLastModifiedTime(fs.getPath("/srv/d/plain")));
      assertEquals(1, skipped.size(), skipped.toString());
      assertTrue(skipped.get(0).what().startsWith("its extended attribute trusted.t"),
          skipped.toString());
    }
  }

  /**
   * A sparse file in a tar (GNU tar's {@code -S}, in its GNU and PAX formats) is refused naming
   * it, as layers refuse them: read as data, a PAX sparse file's map would be wrong bytes.
   */
  @Test
  void aSparseFileInATarIsRefusedByName() throws Exception {
    Path src = Files.createDirectories(dir.resolve("sparse"));
    try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(
        src.resolve("holes"), java.nio.file.StandardOpenOption.CREATE_NEW,
        java.nio.file.StandardOpenOption.WRITE)) {
      c.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3}), 5_000_000);
    }
    for (String format : List.of("gnu", "pax")) {
      Path made = dir.resolve(format + ".tar");
      Process p = new ProcessBuilder("tar", "--format=" + format, "-S", "-cf", made.toString(),
          "-C", dir.toString(), "sparse").redirectErrorStream(true).start();
      String log = new String(p.getInputStream().readAllBytes());
      assertEquals(0, p.waitFor(), log);
      try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
          Map.of("store", store)); java.io.InputStream in = Files.newInputStream(made)) {
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
            () -> TarStreams.extract(in, fs.getPath("/srv"), false));
        assertEquals("sparse tar entries are not supported: 'sparse/holes'", e.getMessage(),
            format);
        assertFalse(Files.exists(fs.getPath("/srv/sparse/holes")), format);
      }
    }
  }

  /** {@code tar} with a PAX record added to its first PAX header (its checksum made again). */
  private static byte[] addPaxRecord(byte[] tar, String key, String value) {
    int at = 0;
    while (tar[at + 156] != 'x') {
      long size = Long.parseLong(new String(tar, at + 124, 11).trim(), 8);
      at += 512 + (int) ((size + 511) / 512 * 512);
    }
    long size = Long.parseLong(new String(tar, at + 124, 11).trim(), 8);
    String body = key + "=" + value + "\n";
    int length = body.length() + 3; // "NN " before it
    byte[] record = (length + " " + body).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int oldBlocks = (int) ((size + 511) / 512);
    int newBlocks = (int) ((size + record.length + 511) / 512);
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] header = java.util.Arrays.copyOfRange(tar, at, at + 512);
    byte[] sizeField = String.format("%011o", size + record.length).getBytes();
    System.arraycopy(sizeField, 0, header, 124, 11);
    java.util.Arrays.fill(header, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    System.arraycopy(String.format("%06o\0 ", sum).getBytes(), 0, header, 148, 8);
    out.write(tar, 0, at);
    out.writeBytes(header);
    byte[] data = new byte[newBlocks * 512];
    System.arraycopy(tar, at + 512, data, 0, (int) size);
    System.arraycopy(record, 0, data, (int) size, record.length);
    out.writeBytes(data);
    int rest = at + 512 + oldBlocks * 512;
    out.write(tar, rest, tar.length - rest);
    return out.toByteArray();
  }

  /**
   * Hard links within the copied tree stay hard links, and a symbolic link keeps its own mtime,
   * both ways, as docker cp's tar keeps them (GNU cp -a is the host's oracle).
   */
  @Test
  void hardLinksAndLinkTimesAreKeptBothWays() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("linked/tree"));
    Files.writeString(tree.resolve("a"), "shared");
    Files.createLink(tree.resolve("b"), tree.resolve("a"));
    Files.createSymbolicLink(tree.resolve("l"), Path.of("a"));
    FileTime old = FileTime.from(java.time.Instant.ofEpochSecond(1_500_000_000));
    Files.getFileAttributeView(tree.resolve("l"),
        java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(old, null, null);
    Path oracle = dir.resolve("oracle");
    Process p = new ProcessBuilder("cp", "-a", tree.toString(), oracle.toString())
        .redirectErrorStream(true).start();
    assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
    assertEquals(2, Files.getAttribute(oracle.resolve("a"), "unix:nlink"));
    assertEquals(old, Files.getLastModifiedTime(oracle.resolve("l"), LinkOption.NOFOLLOW_LINKS));

    assertEquals(0, run("cp", tree.toString(), "web:/srv").code());
    inContainer(fs -> {
      assertEquals(2, Files.getAttribute(fs.getPath("/srv/tree/b"), "unix:nlink"));
      assertTrue(Files.isSameFile(fs.getPath("/srv/tree/a"), fs.getPath("/srv/tree/b")));
      assertEquals(old, Files.getLastModifiedTime(fs.getPath("/srv/tree/l"),
          LinkOption.NOFOLLOW_LINKS));
      return null;
    });
    Path back = dir.resolve("back");
    assertEquals(0, run("cp", "web:/srv/tree", back.toString()).code());
    assertEquals(2, Files.getAttribute(back.resolve("a"), "unix:nlink"));
    assertTrue(Files.isSameFile(back.resolve("a"), back.resolve("b")));
    assertEquals("shared", Files.readString(back.resolve("b")));
    assertEquals(old, Files.getLastModifiedTime(back.resolve("l"), LinkOption.NOFOLLOW_LINKS));

    // to standard output: the second name a hard link entry, which GNU tar makes a link again
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    inContainer(fs -> {
      TarStreams.write(fs.getPath("/srv/tree"), false, tar);
      return null;
    });
    Path file = dir.resolve("tree.tar");
    Files.write(file, tar.toByteArray());
    Path untarred = Files.createDirectories(dir.resolve("untarred"));
    p = new ProcessBuilder("tar", "-xf", file.toString(), "-C", untarred.toString())
        .redirectErrorStream(true).start();
    assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
    assertEquals(2, Files.getAttribute(untarred.resolve("tree/a"), "unix:nlink"));
    assertEquals("shared", Files.readString(untarred.resolve("tree/b")));
    List<String> links = new java.util.ArrayList<>();
    try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        new java.io.ByteArrayInputStream(tar.toByteArray()))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        if (e.isLink()) {
          links.add(e.getName() + " -> " + e.getLinkName());
        }
      }
    }
    assertEquals(List.of("tree/b -> tree/a"), links, "the data once, then a link to it");
  }

  @Test
  void tarStreamsRoundTripThroughGnuTarAndStayInsideTheDestination() throws Exception {
    // container -> tar (as `cp web:/etc -` writes it) -> GNU tar -x on the host
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    inContainer(fs -> {
      TarStreams.write(fs.getPath("/etc"), false, tar);
      return null;
    });
    Path out = Files.createDirectories(dir.resolve("untarred"));
    Path file = dir.resolve("etc.tar");
    Files.write(file, tar.toByteArray());
    Process p = new ProcessBuilder("tar", "-xf", file.toString(), "-C", out.toString())
        .redirectErrorStream(true).start();
    String log = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), log);
    assertEquals("hello\n", Files.readString(out.resolve("etc/motd")));
    assertEquals("motd", Files.readSymbolicLink(out.resolve("etc/link")).toString());

    // GNU tar -c on the host -> extracted into the container (as `cp - web:/srv` reads it)
    Path made = dir.resolve("site.tar");
    p = new ProcessBuilder("tar", "-cf", made.toString(), "-C", host.toString(), "site")
        .redirectErrorStream(true).start();
    log = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), log);
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", store))) {
      try (java.io.InputStream in = Files.newInputStream(made)) {
        TarStreams.extract(in, fs.getPath("/srv"), false);
      }
      assertEquals("body{}\n", Files.readString(fs.getPath("/srv/site/css/main.css")));
      assertEquals(0640, (int) Files.getAttribute(fs.getPath("/srv/site/index.html"),
          "unix:mode") & 07777);

      // an entry climbing out of the destination is refused before it is written
      java.io.ByteArrayOutputStream evil = new java.io.ByteArrayOutputStream();
      try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t =
          new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(evil)) {
        org.apache.commons.compress.archivers.tar.TarArchiveEntry e =
            new org.apache.commons.compress.archivers.tar.TarArchiveEntry("../escaped");
        e.setSize(1);
        t.putArchiveEntry(e);
        t.write('x');
        t.closeArchiveEntry();
      }
      IOException refused = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> TarStreams.extract(new java.io.ByteArrayInputStream(evil.toByteArray()),
              fs.getPath("/srv"), false));
      assertTrue(refused.getMessage().contains("outside"), refused.getMessage());
      assertFalse(Files.exists(fs.getPath("/escaped")));
    }
  }

  @Test
  void anUnknownContainerIsNamed() {
    Cli.Result r = run("cp", "nosuch:/etc", host.toString());
    assertEquals(1, r.code());
    assertEquals("layerfs: no container nosuch in store " + store
        + " (a host path with ':' in it needs './' in front)", r.errorLine());
    Cli.Result neither = run("cp", host.toString(), dir.resolve("elsewhere").toString());
    assertEquals(1, neither.code());
    assertTrue(neither.errorLine().contains("one of SRC and DEST must be NAME:PATH"),
        neither.err());
  }

  @Test
  void aDamagedTarOnStandardInputIsNamedAndALinkInTheWayIsReplaced() throws IOException {
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
      for (String name : List.of("link", "big")) {
        byte[] data = name.equals("big") ? new byte[4000] : "new\n".getBytes();
        org.apache.commons.compress.archivers.tar.TarArchiveEntry e =
            new org.apache.commons.compress.archivers.tar.TarArchiveEntry(name);
        e.setSize(data.length);
        t.putArchiveEntry(e);
        t.write(data);
        t.closeArchiveEntry();
      }
    }
    byte[] whole = tar.toByteArray();
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", store))) {
      Path etc = fs.getPath("/etc");
      // cut inside big's data (link: 512 + 512 bytes, big's header 512)
      IOException cut = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> TarStreams.extract(new java.io.ByteArrayInputStream(whole, 0, 2000), etc, false));
      assertTrue(cut.getMessage().startsWith(
          "the tar on standard input is truncated or damaged at entry 'big' ("), cut.getMessage());
      // the entry before it was written over the link /etc/link, not through it to /etc/motd
      assertEquals("new\n", Files.readString(etc.resolve("link")));
      assertFalse(Files.isSymbolicLink(etc.resolve("link")));
      assertEquals("hello\n", Files.readString(etc.resolve("motd")));

      byte[] garbage = new byte[1024];
      java.util.Arrays.fill(garbage, (byte) 'x');
      IOException notTar = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
          () -> TarStreams.extract(new java.io.ByteArrayInputStream(garbage), etc, false));
      assertTrue(notTar.getMessage().startsWith(
          "the tar on standard input is truncated or damaged ("), notTar.getMessage());
    }
  }

  @Test
  void aTrailingSlashOnAFileIsNotADirectoryBothWays() throws IOException {
    Path index = host.resolve("site/index.html");
    Cli.Result in = run("cp", index.toString(), "web:/etc/motd/");
    assertEquals(1, in.code());
    assertEquals("layerfs: web:/etc/motd/: not a directory", in.errorLine());
    assertEquals("hello\n", inContainer(fs -> Files.readString(fs.getPath("/etc/motd"))));
    Cli.Result out = run("cp", "web:/etc/motd/", host.toString());
    assertEquals(1, out.code());
    assertEquals("layerfs: web:/etc/motd/: not a directory", out.errorLine());
    assertFalse(Files.exists(host.resolve("motd")));
    Cli.Result onHost = run("cp", "web:/etc/motd", index + "/");
    assertEquals(1, onHost.code());
    assertEquals("<h1>hi</h1>\n", Files.readString(index));
    Cli.Result hostSrc = run("cp", index + "/", "web:/srv");
    assertEquals(1, hostSrc.code());
    boolean copied = inContainer(fs -> Files.exists(fs.getPath("/srv/index.html")));
    assertFalse(copied);
  }

  @Test
  void aCompressedTarIsExtractedAndInputTooShortForATarIsRefused() throws IOException {
    java.io.ByteArrayOutputStream tar = new java.io.ByteArrayOutputStream();
    try (org.apache.commons.compress.archivers.tar.TarArchiveOutputStream t =
        new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(tar)) {
      org.apache.commons.compress.archivers.tar.TarArchiveEntry e =
          new org.apache.commons.compress.archivers.tar.TarArchiveEntry("zipped");
      e.setSize(4);
      t.putArchiveEntry(e);
      t.write("gz!\n".getBytes());
      t.closeArchiveEntry();
    }
    java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(gz)) {
      g.write(tar.toByteArray());
    }
    try (FileSystem fs = FileSystems.newFileSystem(URI.create("layerfs://web"),
        Map.of("store", store))) {
      Path srv = fs.getPath("/srv");
      // docker cp - takes a gzip-compressed tar and extracts what is in it
      TarStreams.extract(new java.io.ByteArrayInputStream(gz.toByteArray()), srv, false);
      assertEquals("gz!\n", Files.readString(srv.resolve("zipped")));
      // a gzip stream of something that is no tar, text, nothing: errors, nothing written
      java.io.ByteArrayOutputStream gzText = new java.io.ByteArrayOutputStream();
      try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(gzText)) {
        g.write("not a tar\n".getBytes());
      }
      for (byte[] input : List.of(gzText.toByteArray(), "notatar\n".getBytes(), new byte[0])) {
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
            () -> TarStreams.extract(new java.io.ByteArrayInputStream(input), srv, false));
        assertTrue(e.getMessage().startsWith("standard input is not a tar archive: it ended after"),
            e.getMessage());
      }
      try (var names = Files.list(srv)) {
        assertEquals(List.of(srv.resolve("zipped")), names.toList());
      }
    }
  }

  @Test
  void aHostDestThatIsNoFileIsRefusedAndALinkIsFollowed() throws Exception {
    Path fifo = dir.resolve("fifo");
    assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
    Path toNull = Files.createSymbolicLink(dir.resolve("null"), Path.of("/dev/null"));
    for (Path dst : List.of(fifo, toNull)) {
      Cli.Result r = run("cp", "web:/etc/motd", dst.toString());
      assertEquals(1, r.code(), dst.toString());
      assertEquals("layerfs: " + dst + ": not a regular file or directory: cp writes only those"
          + " (give '-' to write a tar to standard output)", r.errorLine());
    }
    assertTrue(isFifo(fifo), "the fifo is still there");
    assertTrue(Files.isSymbolicLink(toNull));
    // a link to a file: the file gets the bytes, the link stays (as docker cp follows it)
    Path old = Files.writeString(host.resolve("old.txt"), "old\n");
    Path link = Files.createSymbolicLink(dir.resolve("link"), old);
    Cli.Result r = run("cp", "web:/etc/motd", link.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isSymbolicLink(link));
    assertEquals("hello\n", Files.readString(old));
  }

  private static boolean isFifo(Path file) throws IOException {
    return Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
        java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther();
  }

  @Test
  void aCopyIntoATmpfsMountIsRefusedRatherThanLostWhenCpCloses() {
    assertEquals(0, run("create", "--mount", "type=tmpfs,target=/run/t", "tm", "base:1").code());
    String file = host.resolve("site/index.html").toString();
    for (String dst : List.of("tm:/run/t", "tm:/run/t/", "tm:/run/t/new/deeper")) {
      Cli.Result r = run("cp", file, dst);
      assertEquals(1, r.code(), dst + ": " + r.err());
      assertEquals("layerfs: " + dst + " is in a tmpfs mount, which holds files only while one"
          + " process has the container open: nothing copied there would stay", r.errorLine());
    }
    assertEquals(0, run("cp", file, "tm:/run/").code()); // beside the mount: the container layer
  }
}
