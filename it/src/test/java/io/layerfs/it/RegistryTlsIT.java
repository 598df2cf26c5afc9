package io.layerfs.it;

import static io.layerfs.it.LayerFs.assertSameTree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerfs.core.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry that speaks TLS only, as every registry off this machine does: docker-registry with
 * a certificate of its own authority (made by openssl), which skopeo reaches with {@code
 * --cert-dir}. layerfs trusts that authority from {@code --cert-dir} (env {@code certDir}) and
 * from the registry's directory in {@code /etc/docker/certs.d}, as Docker does; refuses the
 * registry without it, saying where the certificate goes; and with {@code --tls-verify=false}
 * speaks TLS to it unverified although it is on a loopback address; lazy reads fetch their byte
 * ranges over TLS as well. A registry that asks for a
 * client certificate gets the pair {@code client.cert} and {@code client.key} of the directory.
 */
final class RegistryTlsIT {
  private static final String TAG = UmociImages.BASE;

  @TempDir static Path work;
  private static UmociImages images;
  private static RegistryProcess registry;
  /** A registry that asks for a client certificate; the directory with one, as Docker's. */
  private static RegistryProcess mutual;
  private static Path clientCerts;
  /** A directory with the authority's certificate as ca.crt, as Docker and skopeo read it. */
  private static Path certs;
  private static String reference;

  @BeforeAll
  static void start() throws IOException {
    images = UmociImages.build(work.resolve("umoci"));
    images.rootfs(TAG);
    Path tls = Files.createDirectories(work.resolve("tls"));
    certs = Files.createDirectories(work.resolve("certs"));
    // an authority, and the registry's certificate it signs for 127.0.0.1 and localhost
    Tools.run(tls, List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=layerfs test CA"));
    Tools.run(tls, List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
        "registry.key", "-out", "registry.csr", "-subj", "/CN=127.0.0.1"));
    Files.writeString(tls.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    Tools.run(tls, List.of("openssl", "x509", "-req", "-in", "registry.csr", "-CA", "ca.crt",
        "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out",
        "registry.crt"));
    Files.copy(tls.resolve("ca.crt"), certs.resolve("ca.crt"));
    registry = RegistryProcess.startTls(work.resolve("registry"), tls.resolve("registry.crt"),
        tls.resolve("registry.key"), null);
    // a registry that asks for a client certificate of the same authority, and such a client
    Tools.run(tls, List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout",
        "client.key", "-out", "client.csr", "-subj", "/CN=layerfs test client"));
    Tools.run(tls, List.of("openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.crt",
        "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", "client.cert"));
    mutual = RegistryProcess.startTls(work.resolve("mutual"), tls.resolve("registry.crt"),
        tls.resolve("registry.key"), tls.resolve("ca.crt"));
    clientCerts = Files.createDirectories(work.resolve("client-certs"));
    Files.copy(tls.resolve("ca.crt"), clientCerts.resolve("ca.crt"));
    Files.copy(tls.resolve("client.cert"), clientCerts.resolve("client.cert"));
    Files.copy(tls.resolve("client.key"), clientCerts.resolve("client.key"));
    Tools.run("skopeo", "copy", "-q", "--dest-cert-dir", clientCerts.toString(),
        "oci:" + images.layout() + ":" + TAG,
        "docker://" + mutual.address() + "/" + UmociImages.REPOSITORY + ":" + TAG);
    reference = registry.address() + "/" + UmociImages.REPOSITORY + ":" + TAG;
    Tools.run("skopeo", "copy", "-q", "--dest-cert-dir", certs.toString(),
        "oci:" + images.layout() + ":" + TAG, "docker://" + reference);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (registry != null) {
      registry.close();
    }
    if (mutual != null) {
      mutual.close();
    }
  }

  @Test
  void aPullTrustsTheAuthorityOfCertDirAndGetsWhatSkopeoSees() throws IOException {
    Path store = work.resolve("cert-dir");
    assertEquals(reference, LayerfsCli.run(store, "pull", "--cert-dir", certs.toString(),
        reference).strip());
    assertEquals(skopeoDigest(reference), manifestOf(store, reference));
    try (FileSystem fs = LayerFs.open(store, reference)) {
      assertSameTree(images.rootfs(TAG), fs.getPath("/"), UmociImages.comparison(TAG));
    }
  }

  @Test
  void withoutTheAuthorityThePullIsRefusedSayingWhereItGoes() {
    Path store = work.resolve("untrusted");
    LayerfsCli.Result r = LayerfsCli.runFailing(store, "pull", reference);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("TLS") && r.stderr().contains("/etc/docker/certs.d/"
        + registry.address() + "/ca.crt") && r.stderr().contains("--cert-dir"), r::stderr);
    assertTrue(!Files.exists(store) || LayerfsCli.tags(store).isEmpty());
  }

  @Test
  void theRegistrysDirectoryInDockersCertsDIsTrustedWithoutAFlag() throws IOException {
    // the port is this run's own: no other registry's directory is touched
    Path dir = Path.of("/etc/docker/certs.d", registry.address());
    assertTrue(!Files.exists(dir), dir + " exists already");
    Files.createDirectories(dir);
    try {
      Files.copy(certs.resolve("ca.crt"), dir.resolve("ca.crt"));
      Path store = work.resolve("certs-d");
      assertEquals(reference, LayerfsCli.run(store, "pull", reference).strip());
      assertEquals(skopeoDigest(reference), manifestOf(store, reference));
    } finally {
      Files.deleteIfExists(dir.resolve("ca.crt"));
      Files.delete(dir);
    }
  }

  @Test
  void tlsVerifyFalseSpeaksUnverifiedTlsToALoopbackRegistry() throws IOException {
    Path store = work.resolve("unverified");
    assertEquals(reference, LayerfsCli.run(store, "pull", "--tls-verify=false", reference)
        .strip());
    assertEquals(skopeoDigest(reference), manifestOf(store, reference));
  }

  @Test
  void aPushWithCertDirIsWhatSkopeoReadsBack() {
    Path store = work.resolve("push");
    LayerfsCli.run(store, "pull", "--cert-dir", certs.toString(), reference);
    String pushed = registry.address() + "/pushed/over-tls:1";
    String digest = LayerfsCli.run(store, "push", "--cert-dir", certs.toString(), reference,
        pushed).strip();
    assertEquals(digest, skopeoDigest(pushed));
  }

  @Test
  void aLazyReadOverTlsFetchesTheFileAsUmociUnpackedIt() throws IOException {
    Path store = work.resolve("lazy");
    byte[] expected = Files.readAllBytes(images.rootfs(TAG).resolve("usr/share/doc/readme"));
    LayerfsCli.Result r = LayerfsCli.runWith(Map.of(), store, "cat", "--lazy", "--cert-dir",
        certs.toString(), reference, "/usr/share/doc/readme");
    assertEquals(0, r.exit(), r::stderr);
    assertTrue(Arrays.equals(expected, r.stdout().getBytes(StandardCharsets.ISO_8859_1)),
        "the lazily read file differs from umoci's");
  }

  @Test
  void theProvidersEnvKeyCertDirOpensTheImageFromTheRegistry() throws IOException {
    Path store = work.resolve("env");
    try (FileSystem fs = LayerFs.open(store, reference, Map.of("certDir", certs))) {
      assertSameTree(images.rootfs(TAG), fs.getPath("/"), UmociImages.comparison(TAG));
    }
    Path other = work.resolve("env-untrusted");
    IOException e = assertThrows(IOException.class, () -> LayerFs.open(other, reference));
    assertTrue(e.getMessage().contains("TLS"), e.getMessage());
  }

  @Test
  void aRegistryAskingForAClientCertificateGetsTheCertDirsPair() throws IOException {
    String ref = mutual.address() + "/" + UmociImages.REPOSITORY + ":" + TAG;
    LayerfsCli.Result r = LayerfsCli.runFailing(work.resolve("mutual-none"), "pull",
        "--cert-dir", certs.toString(), ref);
    assertEquals(1, r.exit(), r::stderr);
    assertTrue(r.stderr().contains("fatal alert") && r.stderr().contains("NAME.cert and NAME.key"),
        r::stderr);
    Path store = work.resolve("mutual-store");
    assertEquals(ref, LayerfsCli.run(store, "pull", "--cert-dir", clientCerts.toString(), ref)
        .strip());
    assertEquals(Tools.run("skopeo", "inspect", "--cert-dir", clientCerts.toString(),
        "--format", "{{.Digest}}", "docker://" + ref).strip(), manifestOf(store, ref));
  }

  private static String skopeoDigest(String ref) {
    return Tools.run("skopeo", "inspect", "--cert-dir", certs.toString(), "--format",
        "{{.Digest}}", "docker://" + ref).strip();
  }

  private static String manifestOf(Path store, String ref) throws IOException {
    try (Store s = Store.open(store)) {
      return s.image(ref).manifestDigest().toString();
    }
  }
}
