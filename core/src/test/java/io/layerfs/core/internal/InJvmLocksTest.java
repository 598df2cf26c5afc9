package io.layerfs.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerfs.testing.Props;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link InJvmLocks} against the JDK's own lock table, the oracle: the same program of locks,
 * releases and channel closes over two files, three channels each, run on host files and on the
 * table, must give the same outcome at every step (a lock with its range, or the exception) and
 * leave the same locks valid.
 */
class InJvmLocksTest {
  private static final int CHANNELS = 3;

  @TempDir Path tmp;

  @Test
  void locksReleasesAndClosesAgreeWithTheJdks() {
    Props p = Props.tries(300).seed(50);
    p.qt()
        .forAll(p.lists(p.ints(0, Integer.MAX_VALUE), 1, 40))
        .checkAssert(program -> {
          try (Side host = new Side(hostOpener(), 2 * CHANNELS);
              Side table = new Side(tableOpener(), 2 * CHANNELS)) {
            List<String> steps = new ArrayList<>();
            for (int number : program) {
              Step step = Step.of(number);
              steps.add(step.toString());
              String expected = host.run(step);
              assertEquals(expected, table.run(step), "at " + steps);
              assertEquals(host.valid(), table.valid(), "locks valid after " + steps);
            }
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  @Test
  void aLockChannelOnlyLocks() throws IOException {
    try (FileChannel ch = new InJvmLocks().channel("file")) {
      assertThrows(UnsupportedOperationException.class, ch::size);
      assertThrows(IllegalArgumentException.class, () -> ch.tryLock(-1, 1, false));
      assertThrows(IllegalArgumentException.class, () -> ch.tryLock(1, Long.MAX_VALUE, false));
    }
  }

  /** Opens channel {@code slot}: files by slot / CHANNELS. */
  private interface Opener {
    FileChannel open(int slot) throws IOException;
  }

  private Opener hostOpener() throws IOException {
    Path[] files = {Files.createTempFile(tmp, "a", ""), Files.createTempFile(tmp, "b", "")};
    return slot -> FileChannel.open(files[slot / CHANNELS], StandardOpenOption.READ,
        StandardOpenOption.WRITE);
  }

  private static Opener tableOpener() {
    InJvmLocks locks = new InJvmLocks();
    return slot -> locks.channel(slot / CHANNELS == 0 ? "a" : "b");
  }

  /**
   * An operation drawn as one number: tryLock, lock, release of a held lock ({@code pick}
   * chooses which) or a channel closed and opened again; its channel slot, position, size (0: to
   * the end) and whether shared.
   */
  private record Step(int kind, int slot, long position, long size, boolean shared, int pick) {
    static Step of(int op) {
      return new Step(op % 4, op / 4 % (2 * CHANNELS), op / 24 % 16, op / 384 % 16,
          op / 6144 % 2 == 1, op / 4);
    }

    @Override
    public String toString() {
      return switch (kind) {
        case 0, 1 -> (kind == 0 ? "tryLock" : "lock") + "(ch" + slot + ", " + position + ", "
            + size + ", " + shared + ")";
        case 2 -> "release #" + pick;
        default -> "close ch" + slot;
      };
    }
  }

  /** The channels of one side, the locks taken through them, in the order taken. */
  private static final class Side implements AutoCloseable {
    private final Opener opener;
    private final FileChannel[] channels;
    private final List<FileLock> locks = new ArrayList<>();

    Side(Opener opener, int slots) throws IOException {
      this.opener = opener;
      this.channels = new FileChannel[slots];
      for (int i = 0; i < slots; i++) {
        channels[i] = opener.open(i);
      }
    }

    String run(Step step) throws IOException {
      try {
        switch (step.kind()) {
          case 0, 1 -> {
            FileChannel ch = channels[step.slot()];
            FileLock lock = step.kind() == 0
                ? ch.tryLock(step.position(), step.size(), step.shared())
                : ch.lock(step.position(), step.size(), step.shared());
            locks.add(lock);
            return "locked " + lock.position() + "+" + lock.size() + " shared " + lock.isShared();
          }
          case 2 -> {
            if (locks.isEmpty()) {
              return "none";
            }
            locks.get(step.pick() % locks.size()).release();
            return "released";
          }
          default -> {
            channels[step.slot()].close();
            channels[step.slot()] = opener.open(step.slot());
            return "reopened";
          }
        }
      } catch (RuntimeException | IOException e) {
        return e.getClass().getSimpleName();
      }
    }

    List<Boolean> valid() {
      List<Boolean> valid = new ArrayList<>();
      for (FileLock lock : locks) {
        valid.add(lock.isValid());
      }
      return valid;
    }

    @Override
    public void close() throws IOException {
      for (FileChannel ch : channels) {
        ch.close();
      }
    }
  }
}
