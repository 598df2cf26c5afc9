package io.layerfs.core.mount;

import com.google.common.collect.ImmutableMap;
import com.google.common.collect.ImmutableSet;
import com.google.common.jimfs.AttributeProvider;
import com.google.common.jimfs.File;
import com.google.common.jimfs.FileLookup;
import java.io.IOException;
import java.nio.file.attribute.FileAttributeView;

/**
 * The set-id and sticky bits of a tmpfs file, which Jimfs's posix view (nine permission bits)
 * drops: a Jimfs attribute of the file itself, so hard links share them and a deleted file takes
 * them along. {@link DirTree} applies Linux's rules to them. Loaded only with Jimfs.
 */
final class TmpfsModeBits extends AttributeProvider {
  private static final String NAME = "tmpfs";
  private static final String BITS = "modeBits";

  /** The bits of one file, reached as Jimfs's other views are. */
  interface View extends FileAttributeView {
    /** The set-id and sticky bits (07000 at most). */
    int bits() throws IOException;

    void setBits(int bits) throws IOException;
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
