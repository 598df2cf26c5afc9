package io.layerfs.core.container;

import io.layerfs.core.Digest;
import io.layerfs.core.Layer;
import io.layerfs.core.internal.MemoFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * The memo of a container's record, {@code record.memo} beside its {@code container.json} (a
 * {@link MemoFile}): the JSON's exact bytes and the record they parse to. Reading a record whose
 * bytes equal the memo's takes the record from it, so a fresh JVM opens a container without
 * loading a JSON parser or a date parser (about 30 ms of a first open). Derived data: anything
 * that does not match or does not read is ignored, and the next read parses and writes it anew.
 */
final class RecordMemo {
  static final String FILE = "record.memo";
  private static final long MAGIC = 0x4c4653434f4e5452L; // "LFSCONTR"
  private static final int VERSION = 1;
  /** Records are a few hundred bytes; mounts make them longer, never this long. */
  private static final int MAX_FILE = 1 << 20;

  private RecordMemo() {}

  /** The record the memo in {@code dir} keeps for exactly {@code json}, or null. */
  static ContainerRecord find(Path dir, byte[] json) {
    byte[] body = MemoFile.read(dir.resolve(FILE), MAX_FILE);
    if (body == null) {
      return null;
    }
    try {
      return decode(new DataInputStream(new ByteArrayInputStream(body)), json);
    } catch (IOException | RuntimeException e) {
      return null; // a checksum that matches over bytes this version cannot read
    }
  }

  /** Keeps {@code record} as what {@code json} parses to; never fails the caller. */
  static void remember(Path dir, byte[] json, ContainerRecord record) {
    byte[] body;
    try {
      body = encode(json, record);
    } catch (IOException e) {
      return; // a string too long for the memo's format: the JSON is parsed each time
    }
    // a fresh name without SecureRandom, which a first open would otherwise initialize
    Path temp = dir.resolve("." + FILE + "-" + ProcessHandle.current().pid() + "-"
        + Thread.currentThread().getId() + "-" + System.nanoTime() + ".tmp");
    MemoFile.write(dir.resolve(FILE), temp, body);
  }

  private static ContainerRecord decode(DataInputStream in, byte[] json) throws IOException {
    if (in.readLong() != MAGIC || in.readInt() != VERSION) {
      return null;
    }
    int length = in.readInt();
    if (length != json.length || !Arrays.equals(in.readNBytes(length), json)) {
      return null;
    }
    String name = in.readUTF();
    String image = in.readUTF();
    Digest manifest = Digest.parse(in.readUTF());
    Digest config = Digest.parse(in.readUTF());
    Instant created = Instant.ofEpochSecond(in.readLong(), in.readInt());
    int layerCount = in.readInt();
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < layerCount; i++) {
      layers.add(MemoFile.readLayer(in));
    }
    int mountCount = in.readInt();
    List<String> mounts = new ArrayList<>();
    for (int i = 0; i < mountCount; i++) {
      mounts.add(in.readUTF());
    }
    UUID id = in.readBoolean() ? new UUID(in.readLong(), in.readLong()) : null;
    if (in.read() != -1) {
      return null;
    }
    return new ContainerRecord(name, image, manifest, config, layers, created, mounts, id);
  }

  private static byte[] encode(byte[] json, ContainerRecord r) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(buf);
    out.writeLong(MAGIC);
    out.writeInt(VERSION);
    out.writeInt(json.length);
    out.write(json);
    out.writeUTF(r.name());
    out.writeUTF(r.image());
    out.writeUTF(r.manifest().toString());
    out.writeUTF(r.config().toString());
    out.writeLong(r.created().getEpochSecond());
    out.writeInt(r.created().getNano());
    out.writeInt(r.layers().size());
    for (Layer layer : r.layers()) {
      MemoFile.writeLayer(out, layer);
    }
    out.writeInt(r.mounts().size());
    for (String mount : r.mounts()) {
      out.writeUTF(mount);
    }
    out.writeBoolean(r.id() != null);
    if (r.id() != null) {
      out.writeLong(r.id().getMostSignificantBits());
      out.writeLong(r.id().getLeastSignificantBits());
    }
    out.flush();
    return buf.toByteArray();
  }
}
