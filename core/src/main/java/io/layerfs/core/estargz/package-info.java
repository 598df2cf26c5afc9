/**
 * eStargz, the layer layout containerd's stargz-snapshotter defines for lazy pulling: what it is
 * on the wire, how layerfs writes it and how it reads any blob in it.
 *
 * <h2>The layout</h2>
 *
 * <p>An eStargz blob is a gzip stream made of many members, and so still a valid tar.gz for every
 * other tool. {@link io.layerfs.core.estargz.EStargzWriter} copies a layer tar's headers and
 * payloads byte for byte ({@link io.layerfs.core.estargz.RawTarReader}) and starts a new gzip
 * member at every regular file's payload and every 4 MiB chunk of it, so each chunk is one range
 * of the blob that inflates alone. A {@code .no.prefetch.landmark} file comes first (nothing is
 * prioritized). After the files, a member of its own holds the tar entry {@code
 * stargz.index.json}, the TOC ({@link io.layerfs.core.estargz.Toc}, {@link
 * io.layerfs.core.estargz.TocEntry}): every entry's metadata, and for each chunk where its member
 * starts and the SHA-256 of its bytes; then the tar's end. Last, a 51-byte empty gzip member
 * whose extra field (subfield {@code SG}) holds the TOC's offset as 16 hex digits and {@code
 * STARGZ}. The DiffID is the digest of the whole uncompressed stream (landmark and TOC entries
 * included, the original end-of-archive replaced); the manifest's layer descriptor carries
 * {@code containerd.io/snapshot/stargz/toc.digest} (the TOC JSON's digest) and {@code
 * io.containers.estargz.uncompressed-size}.
 *
 * <h2>Reading</h2>
 *
 * <p>{@link io.layerfs.core.estargz.EStargzReader} reads the footer (or the 47-byte footer of the
 * older stargz), then the TOC with one range request, and checks its digest against the
 * annotation before it believes a byte of it ({@code TocReader} reads the JSON token by token
 * into entries: a base image's TOC has thousands); a file's chunk is then one range request,
 * inflated and checked against the TOC's {@code chunkDigest} before it is returned. It reads
 * through any {@link io.layerfs.core.RangedBlob}: a local file ({@link
 * io.layerfs.core.estargz.FileRangedBlob}), a registry's blob, or the lazy package's cache of
 * one.
 *
 * <h2>Conversion</h2>
 *
 * <p>{@link io.layerfs.core.estargz.EStargzConversion} writes a new image whose layers are the
 * eStargz form of an image's ({@code layerfs convert --format estargz}): the source layers are
 * verified as they are read, the config keeps everything but its {@code diff_ids}, and the tag is
 * set only when every layer converted. {@code umoci unpack} of the result equals that of the
 * original but for two extra files at the root, {@code .no.prefetch.landmark} (one byte, 0x0f)
 * and {@code stargz.index.json} (mode 0000): what every eStargz-unaware tool shows. layerfs'
 * lazy view hides both, as the snapshotter does.
 */
package io.layerfs.core.estargz;
