package io.layerfs.core.container;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.EntryType;
import io.layerfs.core.FileHandle;
import io.layerfs.core.Node;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.PathNames;
import io.layerfs.core.overlay.MetaLog;
import io.layerfs.core.rootfs.LayerStore;
import io.layerfs.core.store.Container;
import io.layerfs.testing.Props;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay of a container's metadata log after random operations, with the log then cut or
 * a bit of it flipped at a random offset: reopening either fails with an {@link IOException}
 * that says what is wrong, or shows the tree as it was after some prefix of the operations,
 * never another tree. The operations mix the kinds of the hostile catalogue's containers:
 * copy-up writes into image files, truncates, renames of image directories, deletes, links.
 *
 * <p>The model's states are the trees after each operation and between the calls an operation
 * makes (a file created by an open shows empty until its size is logged at close, as on a host
 * after a crash). The trees compared are metadata (paths, types, modes, link targets) without
 * file sizes: a replay takes a file's size as at least its data file's length (writes not yet
 * logged at a crash are kept), and data files are written before the log, so after a cut far
 * back they are longer than the log says. A few dozen examples in CI; {@code
 * -Dlayerfs.fuzz.tries=N} runs more, and a failure prints the seed that repeats it.
 */
class MetaLogReplayFuzzTest {
  private static final int TRIES = Integer.getInteger("layerfs.fuzz.tries", 40);
  private static final List<String> PATHS = List.of("/d0", "/d1", "/d0/f0", "/d0/f1", "/d1/f0",
      "/f0", "/f1", "/etc/hosts", "/big", "/d1/a", "/d1/sub", "/d2/c", "/lnk");

  @TempDir static Path tmp;
  private static ContentStore store;
  private static LayerStore layers;
  private static final AtomicInteger names = new AtomicInteger();
  private static final AtomicInteger opened = new AtomicInteger();
  private static final AtomicInteger refused = new AtomicInteger();

  @BeforeAll
  static void build() throws IOException {
    store = ContentStore.open(tmp.resolve("store"));
    ContainerFixture.build(store);
    layers = new LayerStore(store);
  }

  @AfterAll
  static void close() throws IOException {
    layers.close();
  }

  @Test
  void aDamagedLogReplaysAPrefixOrFailsClearly() {
    Props p = Props.tries(TRIES);
    p.qt()
        .forAll(p.lists(p.ints(0, Integer.MAX_VALUE), 1, 14), p.booleans(),
            p.ints(0, Integer.MAX_VALUE))
        .checkAssert((ops, cut, where) -> unchecked(() -> run(ops, cut, where)));
    assertTrue(opened.get() > 0 && refused.get() > 0 || TRIES < 20,
        opened + " replayed, " + refused + " refused: the damage should reach both outcomes");
  }

  private static void run(List<Integer> ops, boolean cut, int where) throws IOException {
    String name = "fz" + names.incrementAndGet();
    List<List<String>> states = new ArrayList<>();
    Path dir = store.stateDir().resolve("containers").resolve(name);
    Path crash = tmp.resolve("crash-" + name);
    try (Container c = Container.open(store, layers, name, ContainerFixture.IMAGE, false)) {
      states.add(describe(c));
      for (int op : ops) {
        apply(c, op, () -> states.add(describe(c)), states::add);
        states.add(describe(c));
      }
      ContainerFixture.copyState(dir, crash); // the state a kill -9 would leave (no compaction)
    }
    long[] valid = new long[1];
    MetaLog.read(crash, valid);
    Path log = crash.resolve("meta.log");
    long offset = Math.floorMod(where, Math.max(1, valid[0]));
    if (cut) {
      try (FileChannel ch = FileChannel.open(log, WRITE)) {
        ch.truncate(offset);
      }
    } else {
      try (FileChannel ch = FileChannel.open(log, READ, WRITE)) {
        ByteBuffer b = ByteBuffer.allocate(1);
        ch.read(b, offset);
        b.put(0, (byte) (b.get(0) ^ (1 << (where >>> 28 & 7))));
        ch.write(b.flip(), offset);
      }
    }
    ContainerFixture.replaceState(dir, crash);
    List<String> replayed;
    try (Container c = Container.open(store, layers, name, null, false)) {
      replayed = describe(c);
    } catch (IOException e) {
      String m = e.getMessage();
      assertTrue(m != null && (m.contains(name) || m.contains("meta.")), "a clear error: " + m);
      refused.incrementAndGet();
      return;
    } finally {
      deleteTree(crash);
    }
    opened.incrementAndGet();
    assertTrue(states.contains(replayed), (cut ? "cut" : "flip") + " at " + offset + " of "
        + valid[0] + " after " + ops + ": replayed " + replayed + " is none of " + states);
  }

  /**
   * One operation decoded from {@code v}; the errors Linux would give are part of the run. An
   * operation of several calls (open, write, close) calls {@code step} between them: a crash
   * may show the tree there, as a host's would after the same calls.
   */
  private static void apply(Container c, int v, Io step, Consumer<List<String>> crashable)
      throws IOException {
    String a = PATHS.get(v / 11 % PATHS.size());
    String b = PATHS.get(v / 143 % PATHS.size());
    int n = v / 2000 % 70_000;
    try {
      switch (v % 11) {
        case 0, 1 -> write(c, a, new byte[n % 300 + 1], 0, step, WRITE, CREATE,
            TRUNCATE_EXISTING);
        case 2 -> c.createDirectory(a, 0755);
        case 3 -> c.delete(a);
        case 4 -> {
          try (FileHandle h = c.open(a, ContainerFixture.opts(READ, WRITE), 0)) {
            step.run();
            h.truncate(n % Math.max(1, h.size() + 1));
            step.run();
          }
        }
        case 5 -> {
          if (v % 2 == 0) {
            unlinkedFirst(c, a, b, crashable);
          }
          c.move(a, b, v % 2 == 0);
        }
        case 6 -> c.setMode(a, false, n & 0777);
        case 7 -> c.createSymbolicLink(a, b);
        case 8 -> write(c, "/big", new byte[n % 5000 + 1], n * 9L, step, WRITE);
        case 9 -> c.createLink(a, b);
        default -> write(c, a, new byte[] {1, 2, 3}, n % 100, step, WRITE);
      }
    } catch (IOException expected) {
      // a refused operation changes nothing, which the state after it records
    }
  }

  /**
   * A move that replaces a symbolic link unlinks it in a record of its own, then moves, as the
   * JDK's default provider calls unlink(2) and then rename(2) (see {@code Overlay.move}): a crash
   * between them leaves the tree without the link and with the source where it was, as on a
   * host.
   */
  private static void unlinkedFirst(Container c, String source, String target,
      Consumer<List<String>> crashable) throws IOException {
    Node t;
    try {
      c.lookup(source, false);
      t = c.lookup(target, false);
    } catch (IOException absent) {
      return; // the move fails before it unlinks anything
    }
    if (t.type() == EntryType.SYMLINK) {
      List<String> without = new ArrayList<>(describe(c));
      without.removeIf(line -> line.startsWith(target + " "));
      crashable.accept(without);
    }
  }

  private static void write(Container c, String path, byte[] data, long pos, Io step,
      StandardOpenOption... options) throws IOException {
    try (FileHandle h = c.open(path, ContainerFixture.opts(options), 0644)) {
      step.run();
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        h.write(b, pos + b.position());
      }
      step.run();
    }
  }

  /** The tree's metadata, one line per entry. */
  private static List<String> describe(Container c) throws IOException {
    List<String> out = new ArrayList<>();
    describe(c, "/", out);
    return out;
  }

  private static void describe(Container c, String dir, List<String> out) throws IOException {
    for (String name : c.list(dir)) {
      String p = PathNames.child(dir, name);
      Node n = c.lookup(p, false);
      out.add(p + " " + n.type() + " " + Integer.toOctalString(n.mode() & 07777) + " "
          + (n.type() == EntryType.SYMLINK ? n.linkTarget() : ""));
      if (n.isDirectory()) {
        describe(c, p, out);
      }
    }
  }

  private interface Io {
    void run() throws IOException;
  }

  private static void unchecked(Io body) {
    try {
      body.run();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
