package io.layerfs.it;

import io.layerfs.core.CommitOptions;
import io.layerfs.core.FileHandle;
import io.layerfs.core.FileTree;
import io.layerfs.core.Progress;
import io.layerfs.core.store.Container;
import io.layerfs.core.registry.Platform;
import io.layerfs.core.registry.RegistryOptions;
import io.layerfs.core.store.Store;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * A child JVM for {@link CrashIT}: prints {@code started}, runs one operation on a store, prints
 * {@code done} and then waits to be killed (so a kill always finds it alive, before or after the
 * operation ended). Arguments: {@code OP STORE [SOURCE]}, OP one of {@code import}, {@code index},
 * {@code copyup}, {@code commit}, {@code gc}, {@code rename} (of an image directory in the
 * container), {@code create}, {@code remove} (of every container, in order), {@code pull} and
 * {@code push} (SOURCE is then a registry
 * reference; the push in 64 KiB chunks), {@code fill} (a container created with a volume, which
 * is filled from the image), {@code acked} (the changes of {@link #acknowledge}, each
 * acknowledged on a line once it returned).
 */
public final class CrashChild {
  static final String TAG = "base";
  static final String CONTAINER = "c";
  static final String BIG = "/big";
  static final int CHUNK = 64 << 10;
  /** Where in each 64 KiB chunk of {@link #BIG} the copy-up writes its marker byte. */
  static final int MARK_AT = 100;
  static final byte MARK = (byte) 0xEE;
  /** The volume of the {@code fill} operation, over the image's {@code /data}. */
  static final String VOLUME = "type=volume,source=vol,target=/data";
  /** The container of the {@code acked} operation, and its volume over the image's {@code /d}. */
  static final String ACKED = "acked";
  static final String ACKED_VOLUME = "type=volume,source=ackvol,target=/d";
  /** How many image files {@code /many/fN} the image has for {@code acked} to change. */
  static final int MANY = 40;

  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    String op = args[0];
    Path dir = Path.of(args[1]);
    Store store = Store.open(dir);
    // the container is opened before "started", so the kill's delay falls in the operation
    Container c = switch (op) {
      case "copyup", "commit", "rename" -> store.container(CONTAINER, null, false);
      default -> null;
    };
    if (op.equals("fill")) {
      store.container("warm", TAG, false).close(); // the classes a container needs are loaded
    }
    if (op.equals("acked")) {
      c = store.container(ACKED, TAG, false, java.util.List.of(ACKED_VOLUME));
      c.createDirectory("/moved", 0755);
      c.createDirectory("/links", 0755);
    }
    System.out.println("started");
    System.out.flush();
    switch (op) {
      case "import" -> store.importImage("oci:" + args[2] + ":" + TAG, TAG, Progress.NONE);
      case "index" -> CrashIT.tree(store.view(TAG));
      case "copyup" -> copyUp(c, 0);
      case "commit" -> c.commit("new", CommitOptions.defaults(), Progress.NONE);
      case "gc" -> store.gc(false);
      case "pull" -> store.pull(args[2], RegistryOptions.defaults().withTlsVerify(false),
          Platform.DEFAULT, Progress.NONE);
      case "rename" -> c.move("/d", "/moved", false);
      case "push" -> store.push(TAG, args[2], RegistryOptions.defaults().withTlsVerify(false)
          .withChunkSize(CHUNK), Progress.NONE);
      case "fill" -> store.container(CONTAINER, TAG, false, java.util.List.of(VOLUME));
      case "acked" -> acknowledge(c);
      case "remove" -> {
        for (String name : store.containers()) {
          store.removeContainer(name);
        }
      }
      case "volumerm" -> {
        for (String name : store.volumes()) {
          store.removeVolume(name);
        }
      }
      case "create" -> {
        for (int i = 0; ; i++) {
          store.container("n" + i, TAG, false).close();
        }
      }
      default -> throw new IllegalArgumentException(op);
    }
    System.out.println("done");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE); // no close: a kill finds whatever the operation left
  }

  /**
   * For each image file {@code /many/fN} in turn: a write forced to disk, a truncate forced,
   * its move to {@code /moved/fN}, its times, its mode, an xattr, a hard link {@code
   * /links/fN}, and a new file forced in the volume, {@code /d/vN}; each printed as {@code ack
   * STEP N} once it returned, so a kill after that line must find it done.
   */
  static void acknowledge(Container c) throws Exception {
    for (int i = 0; i < MANY; i++) {
      String at = "/many/f" + i;
      try (FileHandle h = c.open(at, Set.of(StandardOpenOption.WRITE), 0)) {
        h.write(ByteBuffer.wrap(written(i)), 0);
        h.force(true);
        ack("write", i);
        h.truncate(TRUNCATED);
        h.force(true);
        ack("truncate", i);
      }
      c.move(at, "/moved/f" + i, false);
      ack("move", i);
      c.setTimes("/moved/f" + i, true, mtime(i), FileTree.TIME_UNCHANGED);
      ack("times", i);
      c.setMode("/moved/f" + i, true, 0600);
      ack("mode", i);
      c.setXattr("/moved/f" + i, true, "user.ack", written(i));
      ack("xattr", i);
      c.createLink("/links/f" + i, "/moved/f" + i);
      ack("link", i);
      try (FileHandle h = c.open("/d/v" + i,
          Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), 0644)) {
        h.write(ByteBuffer.wrap(written(i)), 0);
        h.force(true);
      }
      ack("volume", i);
    }
  }

  static final int TRUNCATED = 4;

  static byte[] written(int i) {
    return ("written " + i + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  static long mtime(int i) {
    return 1_500_000_000_123_456_789L + i;
  }

  private static void ack(String step, int i) {
    System.out.println("ack " + step + " " + i);
    System.out.flush();
  }

  /** Writes the marker into every chunk of {@link #BIG} from chunk {@code from}, in order. */
  static void copyUp(FileTree container, int from) throws Exception {
    try (FileHandle h = container.open(BIG, Set.of(StandardOpenOption.WRITE), 0)) {
      long size = h.size();
      for (long pos = (long) from * CHUNK + MARK_AT; pos < size; pos += CHUNK) {
        h.write(ByteBuffer.wrap(new byte[] {MARK}), pos);
      }
    }
    if (container instanceof Container c) {
      c.close();
    }
  }
}
