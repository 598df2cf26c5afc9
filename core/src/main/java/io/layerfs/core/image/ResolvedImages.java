package io.layerfs.core.image;

import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.Layer;
import io.layerfs.core.content.ContentStore;
import io.layerfs.core.internal.HostFiles;
import io.layerfs.core.internal.MemoFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The memo of {@link Images#resolveRemembered}, in {@code layerfs/resolved} (a {@link
 * MemoFile}): a later JVM opens an image opened before without parsing JSON or hashing, the two
 * costliest steps of a cold open. Only opening an image (a view, {@code RootFs.open}, or a
 * container) writes it; {@link Images#isKnown} reads it too. A record keeps its inputs byte for
 * byte (index.json, then every manifest, image index and config blob resolving read, each
 * verified against its digest when the record was made) and the {@link Image} they gave. It is
 * used only while every input still reads exactly those bytes, so it answers what resolving again
 * would: a retagged image, a changed index.json or a damaged blob is a miss, and the full resolve
 * then reports or records what it finds.
 *
 * <p>Derived data, like a layer index: a CRC32C covers the file, anything unreadable is ignored
 * and rewritten, and writes are atomic renames without fsync (a torn file fails its checksum).
 * The file holds one index.json and at most {@value #MAX_RECORDS} records; a changed index.json
 * starts it afresh. A store that cannot be written simply keeps no memo.
 */
final class ResolvedImages {
  static final String FILE = "resolved";
  private static final long MAGIC = 0x4c46535245534f4cL; // "LFSRESOL"
  private static final int VERSION = 1;
  private static final int MAX_RECORDS = 16;
  /** A larger index.json is not copied: comparing it would cost about what parsing does. */
  private static final int MAX_INDEX = 1 << 20;
  private static final int MAX_FILE = 32 << 20;

  /** One blob resolving read: its digest and its verified bytes. */
  record Input(Digest digest, byte[] bytes) {}

  /** What resolving {@code ref} for {@code os}/{@code arch} read and gave. */
  record Entry(String ref, String os, String arch, int indexes, List<Input> inputs, Image image) {
    boolean answers(String ref, String os, String arch) {
      return this.ref.equals(ref) && this.os.equals(os) && this.arch.equals(arch);
    }
  }

  private ResolvedImages() {}

  /**
   * The remembered image of {@code ref}, or null when there is none or an input changed. Every
   * limit the full resolve applies is checked again, so a lowered limit is a miss too.
   */
  static Image find(ContentStore store, byte[] indexJson, String ref, String os, String arch) {
    if (indexJson.length > MAX_INDEX) {
      return null;
    }
    List<Entry> entries = read(store, indexJson);
    for (Entry e : entries) {
      if (e.answers(ref, os, arch)) {
        return stillValid(store, e) ? e.image() : null;
      }
    }
    return null;
  }

  private static boolean stillValid(ContentStore store, Entry e) {
    if (e.indexes() > store.limits().indexNesting()) {
      return false;
    }
    for (Input in : e.inputs()) {
      if (in.bytes().length > store.limits().jsonBytes()
          || !Arrays.equals(in.bytes(), readExactly(store, in.digest(), in.bytes().length))) {
        return false;
      }
    }
    return true;
  }

  /** The blob's bytes if it has exactly {@code length} of them, else null. */
  private static byte[] readExactly(ContentStore store, Digest digest, int length) {
    try {
      byte[] data = HostFiles.read(store.blobPath(digest), length);
      return data.length == length ? data : null;
    } catch (IOException e) {
      return null;
    }
  }

  /** Records what a full resolve read and gave; never fails the resolve. */
  static void remember(ContentStore store, byte[] indexJson, Entry entry) {
    if (indexJson.length > MAX_INDEX) {
      return;
    }
    List<Entry> entries = new ArrayList<>(read(store, indexJson));
    entries.removeIf(e -> e.answers(entry.ref(), entry.os(), entry.arch()));
    entries.add(entry);
    while (entries.size() > MAX_RECORDS) {
      entries.remove(0);
    }
    byte[] body;
    Path temp;
    try {
      body = encode(indexJson, entries);
      temp = store.newTempFile(FILE);
    } catch (IOException | RuntimeException e) {
      return; // a store whose temp folder cannot be made keeps no memo
    }
    MemoFile.write(path(store), temp, body);
  }

  private static Path path(ContentStore store) {
    return store.root().resolve(ContentStore.STATE_DIR).resolve(FILE);
  }

  /** The records made for exactly this index.json; none if the file is absent or damaged. */
  private static List<Entry> read(ContentStore store, byte[] indexJson) {
    byte[] body = MemoFile.read(path(store), MAX_FILE);
    if (body == null) {
      return List.of();
    }
    try {
      return decode(new DataInputStream(new ByteArrayInputStream(body)), indexJson);
    } catch (IOException | RuntimeException e) {
      return List.of(); // a checksum that matches over bytes this version cannot read
    }
  }

  private static List<Entry> decode(DataInputStream in, byte[] indexJson) throws IOException {
    if (in.readLong() != MAGIC || in.readInt() != VERSION
        || !Arrays.equals(bytes(in), indexJson)) {
      return List.of();
    }
    int count = in.readInt();
    List<Entry> entries = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      String ref = in.readUTF();
      String os = in.readUTF();
      String arch = in.readUTF();
      int indexes = in.readInt();
      int inputCount = in.readInt();
      List<Input> inputs = new ArrayList<>(inputCount);
      for (int j = 0; j < inputCount; j++) {
        inputs.add(new Input(Digest.parse(in.readUTF()), bytes(in)));
      }
      Digest manifest = Digest.parse(in.readUTF());
      String mediaType = nullable(in);
      Digest config = Digest.parse(in.readUTF());
      String imageOs = nullable(in);
      String imageArch = nullable(in);
      int layerCount = in.readInt();
      List<Layer> layers = new ArrayList<>(layerCount);
      for (int j = 0; j < layerCount; j++) {
        layers.add(MemoFile.readLayer(in));
      }
      entries.add(new Entry(ref, os, arch, indexes, inputs,
          new Image(manifest, mediaType, config, imageOs, imageArch, layers)));
    }
    if (in.read() != -1) {
      throw new IOException("trailing bytes");
    }
    return entries;
  }

  static byte[] encode(byte[] indexJson, List<Entry> entries) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(buf);
    out.writeLong(MAGIC);
    out.writeInt(VERSION);
    bytes(out, indexJson);
    out.writeInt(entries.size());
    for (Entry e : entries) {
      out.writeUTF(e.ref());
      out.writeUTF(e.os());
      out.writeUTF(e.arch());
      out.writeInt(e.indexes());
      out.writeInt(e.inputs().size());
      for (Input in : e.inputs()) {
        out.writeUTF(in.digest().toString());
        bytes(out, in.bytes());
      }
      Image image = e.image();
      out.writeUTF(image.manifestDigest().toString());
      nullable(out, image.manifestMediaType());
      out.writeUTF(image.configDigest().toString());
      nullable(out, image.os());
      nullable(out, image.architecture());
      out.writeInt(image.layers().size());
      for (Layer layer : image.layers()) {
        MemoFile.writeLayer(out, layer);
      }
    }
    out.flush();
    return buf.toByteArray();
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new IOException("bad length " + length);
    }
    return in.readNBytes(length);
  }

  private static void bytes(DataOutputStream out, byte[] data) throws IOException {
    out.writeInt(data.length);
    out.write(data);
  }

  private static String nullable(DataInputStream in) throws IOException {
    return in.readBoolean() ? in.readUTF() : null;
  }

  private static void nullable(DataOutputStream out, String s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) {
      out.writeUTF(s);
    }
  }
}
