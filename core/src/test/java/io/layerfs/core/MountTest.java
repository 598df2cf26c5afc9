package io.layerfs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;
import org.quicktheories.generators.SourceDSL;

class MountTest {

  @Test
  void parsesDockersKeysAndAliases() {
    Mount v = Mount.parse("type=volume,src=data,dst=/var/lib/data,ro");
    assertEquals(Mount.Type.VOLUME, v.type());
    assertEquals("data", v.source());
    assertEquals("/var/lib/data", v.target());
    assertTrue(v.readOnly());
    Mount b = Mount.parse("type=bind,source=/srv/site,destination=/usr/share/html,"
        + "readonly=false,bind-propagation=rslave");
    assertEquals(Mount.Type.BIND, b.type());
    assertFalse(b.readOnly());
    assertEquals("rslave", b.inspectPropagation());
    Mount t = Mount.parse("type=tmpfs,target=/tmp,tmpfs-size=64m,tmpfs-mode=700");
    assertEquals(64L << 20, t.tmpfsSize());
    assertEquals(0700, t.tmpfsMode());
    assertNull(t.source());
    // Docker's default type is volume, its default tmpfs mode 1777
    assertEquals(Mount.Type.VOLUME, Mount.parse("source=x,target=/x").type());
    assertEquals(01777, Mount.parse("type=tmpfs,target=/t").tmpfsMode());
    assertTrue(Mount.parse("type=volume,source=x,target=/x,volume-nocopy").noCopy());
    assertEquals("/a/c", Mount.parse("type=tmpfs,target=/a//b/../c/").target());
  }

  @Test
  void sizesAreBinaryUnitsAsDockersRamInBytes() {
    assertEquals(65536, size("65536"));
    assertEquals(64 << 10, size("64k"));
    assertEquals(64 << 10, size("64KiB"));
    assertEquals(1L << 30, size("1g"));
    assertEquals(3L << 20, size("3MB"));
    assertEquals(100, size("100b"));
  }

  private static long size(String s) {
    return Mount.parse("type=tmpfs,target=/t,tmpfs-size=" + s).tmpfsSize();
  }

  @Test
  void badSpecsNameTheSpecAndTheProblem() {
    bad("type=nfs,target=/x", "unknown type 'nfs'");
    bad("type=volume,source=x,target=/x,colour=red", "unknown option 'colour'");
    bad("type=volume,source=x,target=relative", "not an absolute path");
    bad("type=volume,source=x,target=/", "is the root");
    bad("type=volume,source=x,target=/a/..", "is the root");
    bad("type=volume,source=x", "no target");
    bad("type=volume,target=/x", "anonymous volumes are not supported");
    bad("type=volume,source=../up,target=/x", "volume name '../up'");
    bad("type=bind,source=rel/dir,target=/x", "not an absolute path");
    bad("type=bind,target=/x", "needs a source");
    bad("type=tmpfs,source=x,target=/x", "takes no source");
    bad("type=tmpfs,target=/x,readonly", "read-only tmpfs");
    bad("type=bind,source=/a,target=/x,volume-nocopy", "is for type=volume, not bind");
    bad("type=volume,source=a,target=/x,tmpfs-size=1m", "is for type=tmpfs, not volume");
    bad("type=tmpfs,target=/x,bind-propagation=shared", "is for type=bind, not tmpfs");
    bad("type=bind,source=/a,target=/x,bind-propagation=sideways", "'sideways' is none of");
    bad("type=tmpfs,target=/x,tmpfs-size=lots", "tmpfs-size 'lots'");
    bad("type=tmpfs,target=/x,tmpfs-size=-1", "tmpfs-size '-1'");
    bad("type=tmpfs,target=/x,tmpfs-mode=999", "tmpfs-mode '999'");
    bad("type=tmpfs,target=/x,target=/y", "'target' is given twice");
    bad("type=volume,source=x,target=/x,ro=maybe", "'readonly' is 'maybe'");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Mount.parseAll(List.of("type=tmpfs,target=/x", "type=volume,source=v,target=/x/")));
    assertTrue(e.getMessage().contains("duplicate mount point /x"), e.getMessage());
    assertTrue(e.getMessage().contains("'type=volume,source=v,target=/x/'"), e.getMessage());
  }

  @Test
  void fieldsAreSplitAsDockersCsvReaderSplitsThem() {
    Mount b = Mount.parse("type=bind,\"source=/srv/a,b\",target=/x");
    assertEquals("/srv/a,b", b.source());
    assertEquals("/x", b.target());
    assertEquals("/say \"hi\"", Mount.parse("type=bind,\"source=/say \"\"hi\"\"\",target=/x")
        .source());
    assertEquals("/a, b", Mount.parse("\"type=tmpfs\",\"target=/a, b\"").target());
    // a quoted value is kept as written, an unquoted one trimmed (as before)
    assertEquals("/end ", Mount.parse("type=bind,\"source=/end \",target=/x").source());
    assertEquals("/end", Mount.parse("type=bind,source=/end ,target=/x").source());
    assertEquals("type=bind,\"source=/srv/a,b\",target=/x", b.spec());
    assertEquals(b, Mount.parse(b.spec()));
    assertEquals("target=/a", Mount.quote("target=/a"));
    assertEquals("\"target=/a \"\"b\"\"\"", Mount.quote("target=/a \"b\""));
    assertEquals("\"target=/a\nb\"", Mount.quote("target=/a\nb"));
    assertEquals("\"target=/a\rb\"", Mount.quote("target=/a\rb"));
    assertEquals("\"target=/a,b\"", Mount.quote("target=/a,b"));
    assertEquals("\"target=/a \"", Mount.quote("target=/a "), "white space at an end");
  }

  @Test
  void badQuotesAreRefusedNamingTheColumn() {
    bad("type=bind,\"source=/a,b,target=/x", "unterminated quote: the field opened by the '\"' "
        + "at column 11 has no closing '\"'");
    bad("type=bind,source=\"/a,b\",target=/x", "'\"' at column 18 inside an unquoted field: "
        + "quote the whole field, as \"source=/a,b\"");
    bad("type=bind,\"source=/a\"b,target=/x", "'b' at column 22 follows a closing quote");
    bad("type=tmpfs,target=/x\ntype=tmpfs,target=/y", "a line break at column 21 outside "
        + "quotes");
    bad("type=tmpfs,\"\",target=/x", "an empty field");
  }

  private static void bad(String spec, String problem) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Mount.parse(spec));
    assertTrue(e.getMessage().contains("'" + spec + "'"), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }

  @Test
  void theCanonicalSpecParsesBackToTheSameMount() {
    Gen<String> names = SourceDSL.strings().betweenCodePoints('a', 'e').ofLengthBetween(1, 4);
    // path names with what a spec must quote: commas, quotes, '=', spaces at either end
    Gen<String> pathNames = SourceDSL.lists().of(Generate.pick(List.of("a", "b", ",", "\"", "=",
        " "))).ofSizeBetween(1, 4).map(l -> String.join("", l))
        .assuming(n -> !n.equals(".") && !n.equals(".."));
    Gen<String> paths = SourceDSL.lists().of(pathNames).ofSizeBetween(1, 4)
        .map(l -> "/" + String.join("/", l));
    Gen<Mount> volumes = names.zip(paths, SourceDSL.booleans().all(),
        SourceDSL.booleans().all(), (n, t, ro, nc) -> new Mount(Mount.Type.VOLUME, n, t, ro,
            nc, null, 0, 01777));
    Gen<Mount> binds = paths.zip(paths, SourceDSL.booleans().all(),
        Generate.pick(List.of("rprivate", "shared", "rslave")), (s, t, ro, p) ->
            new Mount(Mount.Type.BIND, s, t, ro, false, p, 0, 01777));
    Gen<Mount> tmpfs = paths.zip(SourceDSL.longs().between(1, 1L << 40),
        SourceDSL.integers().between(0, 07777), (t, size, mode) ->
            new Mount(Mount.Type.TMPFS, null, t, false, false, null, size, mode));
    qt().withExamples(300).forAll(Generate.oneOf(volumes, binds, tmpfs))
        .checkAssert(m -> assertEquals(m, Mount.parse(m.spec()), m.spec()));
  }
}
