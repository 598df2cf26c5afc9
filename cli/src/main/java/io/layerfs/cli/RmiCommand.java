package io.layerfs.cli;

import io.layerfs.core.ContainerInfo;
import io.layerfs.core.Digest;
import io.layerfs.core.Image;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs rmi [-f] IMAGE...}: removes image tags from the store's {@code index.json}, as
 * {@code docker rmi} untags: prints {@code Untagged: TAG} for each, and {@code Deleted: ID} when
 * that was the image's last name (it leaves the index, as with {@code rmi ID}), goes on past a
 * failure and exits 1 if any failed. An image ID or digest removes the image, as {@code docker
 * rmi ID} does: every tag of it and its untagged entry ({@code Deleted: ID}, the config digest,
 * as docker names an image), unless it has several tags or a container was created from it
 * (then only with {@code -f}). As docker does, it
 * refuses the last tag of an image a container was created from, unless {@code -f}; another
 * tag of the same image goes freely.
 * Blobs stay until {@code gc}, which keeps those a container still uses (each container records
 * its image), so even a forced removal loses no container's files.
 */
final class RmiCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new RmiCommand(), "rmi",
        "Remove image tags, or images by ID or digest with all their tags, as 'docker rmi' "
            + "does; 'gc' then frees what no tag or container uses.");
    spec.addOption(Specs.flag(new String[] {"-f", "--force"},
        "Remove the last tag of an image a container uses too, and an image by ID that has "
            + "several tags or a container (the container keeps its image's files)."));
    spec.addPositional(Specs.names("IMAGE",
        "A tag to remove (a name without :TAG is NAME:latest, as for Docker), or an image ID "
            + "(as 'images' shows it, or a unique prefix of 4 or more digits) or manifest "
            + "digest: that image with all its tags."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> refs = in.positional(0);
    boolean force = in.flag("--force");
    PrintWriter out = in.out();
    try (Store store = Stores.existing(in.store())) {
      return Main.eachOf(refs, in, ref -> {
        String name = tagged(store, ref);
        if (name == null) {
          deleteImage(store, ref, force, out);
          return;
        }
        Digest inUse = lastTagInUse(store, name, force);
        Digest target = targetOrNull(store, name);
        Digest imageId = target == null ? null : imageId(store, target);
        if (!store.untag(name)) {
          throw missing(store, ref); // removed since it was looked up
        }
        out.println("Untagged: " + name);
        if (inUse != null) {
          // forced: as docker keeps it, the image a container uses stays, untagged (<none>)
          store.keepUntagged(inUse);
        } else if (target != null && !listed(store, target, imageId)) {
          // its last name gone, the image is out of the index, as 'rmi ID' takes it out: docker
          // says Deleted: ID then. No line for layers: the blobs stay until gc, as containerd's
          // image store leaves content to its garbage collector
          out.println("Deleted: " + imageId);
        }
      });
    }
  }

  /**
   * Removes the image an ID or digest names, as {@code docker rmi ID} does: all its tags
   * ({@code Untagged:} each) and its untagged entry, then {@code Deleted: DIGEST}. Refused
   * without {@code force}, as docker refuses it, while the image has several tags or a container
   * was created from it.
   */
  private static void deleteImage(Store store, String ref, boolean force, PrintWriter out)
      throws IOException {
    Digest target;
    try {
      target = store.target(ref);
    } catch (IOException e) {
      if (ImportCommand.isDigest(ref) || looksLikeId(ref)) {
        throw e; // says why: no such digest, or which images an ID prefix matches
      }
      throw missing(store, ref);
    }
    List<String> tags = new ArrayList<>();
    for (String tag : store.tags()) {
      if (sameTarget(store, tag, target)) {
        tags.add(tag);
      }
    }
    boolean untagged = store.untaggedImages().contains(target);
    if (tags.isEmpty() && !untagged) {
      throw new NoSuchFileException(ref, null, "no image " + ref + " in store " + store.root()
          + ": no tag or untagged image of its index.json is " + target + " ('layerfs images' "
          + "lists them)");
    }
    Digest imageId = imageId(store, target);
    String id = imageId.hex().substring(0, 12);
    if (!force) {
      if (tags.size() > 1) {
        throw new IOException("conflict: unable to delete " + id + " (must be forced) - image "
            + "is referenced in multiple repositories (" + String.join(", ", tags) + ")");
      }
      // an image index is used through the manifest it resolves to
      ContainerInfo user = userOf(store, store.image(target.toString()).manifestDigest());
      if (user != null) {
        throw new IOException("conflict: unable to delete " + id + " (must be forced) - image "
            + "is being used by stopped container " + user.name());
      }
    }
    for (String tag : tags) {
      if (store.untag(tag)) {
        out.println("Untagged: " + tag);
      }
    }
    store.removeUntagged(target);
    out.println("Deleted: " + imageId);
  }

  /**
   * The image's ID as docker names it and {@code images} shows it, the config digest; the index
   * entry's own digest if the image no longer resolves (a blob gone), which may still go.
   */
  private static Digest imageId(Store store, Digest target) {
    try {
      return store.image(target.toString()).configDigest();
    } catch (IOException | RuntimeException e) {
      return target;
    }
  }

  private static Digest targetOrNull(Store store, String tag) {
    try {
      return store.target(tag);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * True if a tag or an untagged entry of the index still names {@code target}, or another image
   * of the same ID (its config: the same image in another manifest), which 'images' still lists.
   */
  private static boolean listed(Store store, Digest target, Digest imageId) throws IOException {
    List<String> names = new ArrayList<>(store.tags());
    for (Digest untagged : store.untaggedImages()) {
      names.add(untagged.toString());
    }
    for (String name : names) {
      if (sameTarget(store, name, target) || imageId.equals(imageIdOrNull(store, name))) {
        return true;
      }
    }
    return false;
  }

  private static Digest imageIdOrNull(Store store, String name) {
    try {
      return store.image(name).configDigest();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static boolean looksLikeId(String ref) {
    return ref.matches("(sha256:)?[0-9a-f]{4,64}");
  }

  private static boolean sameTarget(Store store, String tag, Digest target) {
    try {
      return store.target(tag).equals(target);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * The tag {@code ref} names: itself, or {@code ref:latest} when it has no tag of its own;
   * null when it names no tag (an image ID or digest, or nothing).
   */
  private static String tagged(Store store, String ref) throws IOException {
    List<String> all = store.tags();
    if (all.contains(ref)) {
      return ref;
    }
    String latest = ref + ":latest";
    if (ref.indexOf(':', ref.lastIndexOf('/') + 1) < 0 && all.contains(latest)) {
      return latest;
    }
    return null;
  }

  /**
   * The manifest digest of {@code tag}'s image if {@code tag} is its only tag and a container
   * was created from it, else null; without {@code force}, docker's conflict error instead,
   * which names the container and the image by short id, the IMAGE ID {@code images} shows (the
   * config digest).
   */
  private static Digest lastTagInUse(Store store, String tag, boolean force) throws IOException {
    Digest image;
    Digest id;
    try {
      Image resolved = store.image(tag);
      image = resolved.manifestDigest();
      id = resolved.configDigest();
    } catch (IOException e) {
      return null; // a tag that no longer resolves (a blob gone) may go: containers keep theirs
    }
    ContainerInfo user = userOf(store, image);
    if (user == null) {
      return null;
    }
    for (String other : store.tags()) {
      if (!other.equals(tag) && sameImage(store, other, image)) {
        return null; // the image keeps a name
      }
    }
    if (force) {
      return image;
    }
    throw new IOException("conflict: unable to remove repository reference \"" + tag
        + "\" (must force) - container " + user.name() + " is using its referenced image "
        + id.hex().substring(0, 12));
  }

  /** A container created from the image of manifest {@code image}, or null. */
  private static ContainerInfo userOf(Store store, Digest image) throws IOException {
    for (String name : store.containers()) {
      try {
        ContainerInfo info = store.containerInfo(name);
        if (info.manifest().equals(image)) {
          return info;
        }
      } catch (NoSuchFileException e) {
        // removed since it was listed
      }
    }
    return null;
  }

  private static boolean sameImage(Store store, String tag, Digest manifest) {
    try {
      return store.image(tag).manifestDigest().equals(manifest);
    } catch (IOException | RuntimeException e) {
      return false; // a tag that does not resolve names no image a container could use
    }
  }

  private static NoSuchFileException missing(Store store, String tag) {
    return new NoSuchFileException(tag, null, "no image tagged " + tag + " in store "
        + store.root() + " ('layerfs images' lists the tags)");
  }
}
