package io.layerfs.core.mount;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.jimfs.AttributeProvider;
import com.google.common.jimfs.File;
import com.google.common.jimfs.FileLookup;
import java.io.IOException;
import java.nio.file.attribute.FileAttributeView;

/**
 * What a tmpfs inode has and Jimfs's files lack: the set-id and sticky bits, which Jimfs's posix
 * view (nine permission bits) drops, and a change time, which Jimfs never moves from the file's
 * creation. Jimfs attributes of the file itself, so hard links share them and a deleted file
 * takes them along. {@link DirTree} applies Linux's rules to them. Loaded only with Jimfs.
 */
final class TmpfsAttributes extends AttributeProvider {
  private static final String NAME = "tmpfs";
  private static final String BITS = "modeBits";
  /** When the file's metadata last changed, in nanoseconds; none until it first does. */
  private static final String CHANGED = "changed";
  /** The modification time the file had then: a later write moves it, and the change time. */
  private static final String CHANGED_MTIME = "changedMtime";

  /** These attributes of one file, reached as Jimfs's other views are. */
  interface View extends FileAttributeView {
    /** The set-id and sticky bits (07000 at most). */
    int bits() throws IOException;

    void setBits(int bits) throws IOException;

    /**
     * Linux's change time of a file whose modification time is {@code mtimeNanos} and which
     * Jimfs made at {@code createdNanos}: the later of the last metadata change and the last
     * write (Jimfs moves the modification time at each write, never the change time).
     */
    long changeTime(long mtimeNanos, long createdNanos) throws IOException;

    /** The file's metadata changed at {@code nowNanos}; its modification time is now this. */
    void changed(long nowNanos, long mtimeNanos) throws IOException;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Class<View> viewType() {
    return View.class;
  }

  @Override
  public View view(FileLookup lookup, ImmutableMap<String, FileAttributeView> inheritedViews) {
    return new View() {
      @Override
      public String name() {
        return NAME;
      }

      @Override
      public int bits() throws IOException {
        return (Integer) get(lookup.lookup(), BITS);
      }

      @Override
      public void setBits(int bits) throws IOException {
        lookup.lookup().setAttribute(NAME, BITS, bits & 07000);
      }

      @Override
      public long changeTime(long mtimeNanos, long createdNanos) throws IOException {
        File file = lookup.lookup();
        Object changed = file.getAttribute(NAME, CHANGED);
        if (changed == null) {
          return Math.max(createdNanos, mtimeNanos);
        }
        long at = (Long) changed;
        // the change's time while the modification time is the one it left (set by hand, it
        // may even lie ahead, as on Linux); once a write moved that, the later of the two
        return mtimeNanos == (Long) file.getAttribute(NAME, CHANGED_MTIME) ? at
            : Math.max(at, mtimeNanos);
      }

      @Override
      public void changed(long nowNanos, long mtimeNanos) throws IOException {
        File file = lookup.lookup();
        file.setAttribute(NAME, CHANGED, nowNanos);
        file.setAttribute(NAME, CHANGED_MTIME, mtimeNanos);
      }
    };
  }

  @Override
  public ImmutableSet<String> fixedAttributes() {
    return ImmutableSet.of(BITS);
  }

  @Override
  public Object get(File file, String attribute) {
    if (!attribute.equals(BITS)) {
      return null;
    }
    Object bits = file.getAttribute(NAME, BITS);
    return bits == null ? 0 : bits;
  }

  @Override
  public void set(File file, String view, String attribute, Object value, boolean create) {
    checkNotCreate(view, attribute, create);
    file.setAttribute(NAME, BITS, checkType(view, attribute, value, Integer.class) & 07000);
  }
}
