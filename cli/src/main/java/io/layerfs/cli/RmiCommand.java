package io.layerfs.cli;

import io.layerfs.core.ContainerInfo;
import io.layerfs.core.Digest;
import io.layerfs.core.store.Store;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code layerfs rmi [-f] TAG...}: removes image tags from the store's {@code index.json}, as
 * {@code docker rmi} untags: prints {@code Untagged: TAG} for each, goes on past a failure and
 * exits 1 if any failed. The digest of an untagged image removes it ({@code Deleted: DIGEST}),
 * as {@code docker rmi ID} does. As docker does, it refuses the last tag of an image a
 * container was created from, unless {@code -f}; another tag of the same image goes freely.
 * Blobs stay until {@code gc}, which keeps those a container still uses (each container records
 * its image), so even a forced removal loses no container's files.
 */
final class RmiCommand implements CliCommand {
  static CommandSpec spec() {
    CommandSpec spec = Specs.command(new RmiCommand(), "rmi",
        "Remove image tags, as 'docker rmi' does; 'gc' then frees what no tag or container "
            + "uses.");
    spec.addOption(Specs.flag(new String[] {"-f", "--force"},
        "Remove the last tag of an image a container uses too (the container keeps its "
            + "image's files)."));
    spec.addPositional(Specs.names("TAG",
        "The tags to remove (a name without :TAG is NAME:latest, as for Docker), or the "
            + "digest of an untagged image."));
    return spec;
  }

  @Override
  public int run(Invocation in) throws IOException {
    List<String> tags = in.positional(0);
    boolean force = in.flag("--force");
    PrintWriter out = in.out();
    try (Store store = Stores.existing(in.store())) {
      return Main.eachOf(tags, in, tag -> {
        if (ImportCommand.isDigest(tag)
            && store.untaggedImages().contains(Digest.parse(tag))) {
          deleteUntagged(store, Digest.parse(tag), force);
          out.println("Deleted: " + tag);
          return;
        }
        String name = tagged(store, tag);
        if (!force) {
          refuseIfLastTagInUse(store, name);
        }
        if (!store.untag(name)) {
          throw missing(store, tag); // removed since it was looked up
        }
        out.println("Untagged: " + name);
      });
    }
  }

  /** The tag {@code tag} names: itself, or {@code tag:latest} when it has no tag of its own. */
  private static String tagged(Store store, String tag) throws IOException {
    List<String> all = store.tags();
    if (all.contains(tag)) {
      return tag;
    }
    String latest = tag + ":latest";
    if (tag.indexOf(':', tag.lastIndexOf('/') + 1) < 0 && all.contains(latest)) {
      return latest;
    }
    throw missing(store, tag);
  }

  /**
   * Throws docker's conflict error if {@code tag} is the only tag of its image and a container
   * was created from that image; docker names the container and the image by short id.
   */
  private static void refuseIfLastTagInUse(Store store, String tag) throws IOException {
    Digest image;
    try {
      image = store.image(tag).manifestDigest();
    } catch (IOException e) {
      return; // a tag that no longer resolves (a blob gone) may go: containers keep their own
    }
    ContainerInfo user = userOf(store, image);
    if (user == null) {
      return;
    }
    for (String other : store.tags()) {
      if (!other.equals(tag) && sameImage(store, other, image)) {
        return; // the image keeps a name
      }
    }
    throw new IOException("conflict: unable to remove repository reference \"" + tag
        + "\" (must force) - container " + user.name() + " is using its referenced image "
        + image.hex().substring(0, 12));
  }

  /**
   * Removes an untagged image's entries, as {@code docker rmi ID} deletes an untagged image;
   * refused with docker's conflict error while a container uses it, unless {@code force}.
   */
  private static void deleteUntagged(Store store, Digest image, boolean force)
      throws IOException {
    // an image index is used through the manifest it resolves to
    ContainerInfo user =
        force ? null : userOf(store, store.image(image.toString()).manifestDigest());
    if (user != null) {
      throw new IOException("conflict: unable to delete " + image.hex().substring(0, 12)
          + " (must be forced) - image is being used by stopped container " + user.name());
    }
    if (!store.removeUntagged(image)) {
      throw missing(store, image.toString());
    }
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
