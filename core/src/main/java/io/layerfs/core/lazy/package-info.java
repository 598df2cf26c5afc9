/**
 * Lazy reads: layers read straight from their remote blobs (a registry's, through HTTP {@code
 * Range} requests) as containers and views need them, without pulling the image first.
 *
 * <h2>What a store holds of a lazy image</h2>
 *
 * <p>The manifest and config are ordinary, verified blobs of the store, tagged as after a pull.
 * Each layer the store lacks is attached ({@link io.layerfs.core.lazy.LazyLayers#attach}) to a
 * {@link io.layerfs.core.RangedBlob} of the remote blob, and what is fetched of it is kept in
 * {@code layerfs/lazy/<alg>/<hex>/}: {@code blob.part}, a sparse file of the blob's size holding
 * every fetched range at its own offset, and {@code ranges}, the list of those ranges with the
 * CRC32C of each 64 KiB piece of them, taken as it was written ({@code RangeList}; replaced
 * by a rename every 4 MiB fetched and when the blob closes, but not forced: after a machine crash
 * it may name bytes that never reached the disk, which the readers' checks refuse and fetch
 * again), so a range is fetched once, across processes (a process killed mid-way fetches again
 * what it had not listed yet); for a plain gzip layer read by path, also the inflated prefix, in a
 * file each reading instance makes and unlinks at once, so no other process truncates or
 * overwrites it ({@link
 * io.layerfs.core.lazy.PartialBlob}, {@link io.layerfs.core.lazy.LazyGzip}). A partial blob is
 * not a blob: nothing under {@code blobs/} exists for the layer until {@link
 * io.layerfs.core.lazy.LazyLayers#complete} fetched the rest, checked the whole blob against its
 * digest and stored it as any pulled blob; then the folder is removed and open views read the
 * verified blob. gc removes the folder of a layer nothing references or whose blob is complete;
 * fsck does not call an attached layer's blob missing.
 *
 * <h2>Completing</h2>
 *
 * <p>{@code PartialBlob.complete} fetches what is missing in steps of 4 MiB, so reads interleave
 * and wait at most for the step that holds their bytes; then it hashes the held bytes
 * into the store through a {@code BlobWriter} (temp file, verify, rename) and switches readers to
 * the stored blob. A stop flag, asked between steps and copy buffers, ends it early with what was
 * fetched kept: {@code store.BackgroundFetch} runs completions on a daemon thread this way.
 *
 * <h2>eStargz layers</h2>
 *
 * <p>A layer whose descriptor names a TOC digest is read as eStargz ({@link
 * io.layerfs.core.estargz}): attaching it fetches the footer and the TOC (two requests) and checks
 * the TOC against the digest; the layer store then indexes it from the TOC alone, so listing and
 * stat need no file data; a read fetches the chunks it touches (those not held yet) with one range
 * request and checks each against its digest before a byte is served. The 16 chunks read last are
 * kept inflated in memory.
 *
 * <h2>Plain gzip layers</h2>
 *
 * <p>A tar has no table of contents, and Java's {@code Inflater} can be neither copied nor
 * primed at a bit offset. {@link io.layerfs.core.lazy.LazyGzip} keeps one live inflater at the
 * frontier and the inflated prefix on disk, so reads behind the frontier are local file reads and
 * reads ahead continue the stream (fetched in blocks that grow from 128 KiB to 1 MiB, as
 * readahead does: few round trips for a file deep in a layer; once a quarter of a block is
 * inflated the next one is fetched in the background, so the network and the inflater work at
 * once); nothing starts over within a process. {@link io.layerfs.core.lazy.LazyTarScan} finds an
 * entry by reading headers up to it (of a name given twice, the first entry, also once a later
 * lookup read past both).
 *
 * <p>A lookup by path reads the tar from the start only as far as the first fetch block
 * inflates to; past that it searches the stream ({@link io.layerfs.core.lazy.GzipSeek}), as
 * rapidgzip does: image tools write a layer's tar sorted by name (umoci by path, BuildKit and
 * docker in directory-walk order, {@link io.layerfs.core.lazy.TarNames}), so a binary search over
 * compressed offsets finds an entry. Each probe looks for a deflate block boundary after its
 * offset ({@link io.layerfs.core.lazy.DeflateBlockFinder}: a dynamic block whose three prefix
 * codes are valid and complete, or a stored block's length and its complement), inflates from it
 * with two made-up windows that differ at every byte ({@link
 * io.layerfs.core.lazy.WindowlessInflation}; bytes equal in both do not come from the unknown 32
 * KiB before the boundary), and reads the tar headers in those known bytes (magic, checksum,
 * then entry after entry). The names say left or right; the last probe inflates from a boundary
 * shortly before the entry through its data. While a probe inflates, the places the next one may
 * go to (the middle of each half, while halves are over 2 MiB) are fetched on other threads, and
 * the next probe starts at one of them if it is near its gap's middle; a last probe's span (up to
 * 512 KiB) comes in one request rather than in growing chunks: the lookup waits for fewer round
 * trips, for about the same bytes. What probes saw is kept per layer for the next
 * lookups in the process. When the search cannot tell for sure (names out of order, a header or
 * a data byte from the unknown window, no boundary, a probe that fails to inflate, the path not
 * there, too many bytes spent), the lookup reads from the start as before. For the Debian test
 * image /etc/os-release (a link to /usr/lib/os-release, 10% into the stream) costs 3.1% of the
 * image's bytes rather than 10.9%.
 *
 * <h2>Lookups by path: the lazy merge</h2>
 *
 * <p>{@link io.layerfs.core.lazy.LazyMerge} looks a path up in an image whose layers are all
 * plain gzip layers attached here, by the merge rules a view applies to every layer's index,
 * without an index of any layer: the top layer is searched first, and a lower one only once the
 * upper ones are read whole and hold neither the path nor a whiteout of it, nor make a directory
 * on the way opaque, a link or a file; a link anywhere on the path is followed (a symbolic
 * link's target from the top, a hard link's in its own layer). Within a layer it looks first
 * where it costs nothing (entries the scan has seen, or finds within the layer's first {@code
 * SCAN_FIRST} bytes: a lookup never moves the scan further, so many lookups of paths deep in a
 * layer do not read it piece by piece), for the path and for each directory on the way (a link
 * there is followed, a file there means no such path); then it searches the stream for the path
 * and for those directories; only then is the layer read whole. What it finds is a {@link
 * io.layerfs.core.lazy.LazyEntry}, a {@code Node} with the metadata of the entry's tar header
 * (the topmost entry of a directory; a directory no layer has an entry of, only entries under
 * it, shows as a view shows it: 0755, 0:0, time 0), or the errors a view gives (no such file,
 * not a directory, too many links). The root is the one path it cannot tell (its metadata is the
 * topmost entry of it in any layer, wherever in the tar): the caller asks a view. {@code
 * LazyReadMergeTest} compares each lookup with a view of the same image read whole.
 *
 * <p>This serves {@code Store.readLazily} (one file) and, in the provider, a view of a lazily
 * read image or a container of it not yet written, which answer lookups and reads by path
 * through the merge until something needs the whole tree (a listing, a link count, a change),
 * and then open the tree as before. The tree needs every layer's index, and indexing a tar reads
 * it to its end, so it fetches plain gzip layers whole (completing them) first. Of a name given
 * twice in one tar, the merge finds the first entry (a view shows the
 * last; the OCI image spec forbids such tars). Completing a layer whose prefix this process
 * inflated inflates the rest after it and stores the whole tar (checked against the DiffID) as
 * the layer's uncompressed blob, so the layer store indexes it without inflating it again.
 *
 * <h2>What is verified when</h2>
 *
 * <p>eStargz: the TOC before it is used, each chunk before its bytes are served; the TOC's
 * metadata (names, modes, owners) is trusted as the TOC digest in the manifest commits to it, and
 * the blob as a whole (so also the tar headers the TOC describes) is checked only on completion.
 * Plain gzip: gzip's CRC-32 at the end of each member and the DiffID at the end of the stream;
 * what the registry sent is served before that unverified. A searched lookup is no less
 * verified than a read from the start, and no more: the file's header checksum, that its bytes
 * come from the compressed bytes after a block boundary alone, and that the names around it are
 * sorted (so that it is the first entry of its name, as a read from the start finds); a tar that
 * looks sorted where it was probed but names a path twice far apart, or holds an archive whose
 * names sort where it lies, could give another entry than a read from the start. Completion
 * checks the blob's digest either way. A lookup that reads a layer whole (to say a path is not
 * there, say) reads on from the tar's end to the stream's, so that layer is verified before
 * anything is concluded from it.
 *
 * <p>Bytes served before a check may be wrong (the registry sent them so), and so may what this
 * process derived from them: the inflated prefix, the entries the scan found, what searches of
 * the stream learnt, the merge's answers, the bytes of a file a provider view holds open. When a
 * check fails, the held bytes are dropped and fetched again (a gzip CRC or the DiffID: all of
 * them; the blob's digest on completion: the damaged pieces, then all), and each of those
 * derived things notes {@code PartialBlob.drops()}, counted whenever held bytes are dropped, and
 * starts over once it moved: the same open merge, entry, layer or file handle then serves what
 * the bytes fetched again give, never what the dropped ones did. A count rather than listeners:
 * each reader compares it where it would use what it holds, under its own lock, with nothing to
 * register or unregister; a drop for damage on disk, whose bytes were never served, starts them
 * over too (locally), as the copy fetched again may differ. A completion that verifies without
 * dropping anything moves nothing: the bytes read were the blob's. A verified prefix (the
 * DiffID held) is kept whatever happens after. Should the stream fail its checks again after
 * its bytes were fetched again, the read fails naming the layer and the registry, and those
 * bytes are dropped too, so a later read fetches them afresh.
 *
 * <p>What the disk gives back of the held bytes is checked whichever way a lookup reads them:
 * every read of {@code blob.part} checks each 64 KiB piece it touches against the
 * CRC32C taken when it was written, and a piece that fails is fetched again (once; then the read
 * fails naming the blob, the bytes and the file), so damage on disk is never served, not even
 * before a gzip CRC.
 *
 * <p>Thread safety: every class is safe for concurrent use. A fetch runs outside its blob's
 * monitor, which guards only the lists of ranges held and being fetched: two readers of
 * different ranges fetch in parallel, a reader of a range being fetched waits for that fetch,
 * and a range is held (and saved) only once all its bytes are written.
 */
package io.layerfs.core.lazy;
