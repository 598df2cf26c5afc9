#!/usr/bin/env bash
# Remakes core's test fixture ctr-remote-estargz.tar: an eStargz image made by another tool than
# layerfs, for ForeignEStargzTest.
#
#   it/scripts/estargz-fixture.sh OUT.tar
#
# Needs umoci, Debian's containerd and stargz-snapshotter (its ctr-remote; only the .deb is
# unpacked, nothing of it is installed). Starts a private containerd on a socket in a scratch
# directory (no network listener), imports a small image umoci made, converts it with
# `ctr-remote images convert --estargz --oci --estargz-chunk-size 65536`, exports it as an OCI
# archive, and stops containerd. The random file differs on every run: update the digest in
# ForeignEStargzTest (the script prints it).
set -euo pipefail

out=$(realpath -m "${1:?usage: $0 OUT.tar}")
work=$(mktemp -d)
pid=""
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v containerd >/dev/null || apt-get install -y --no-install-recommends containerd
(cd "$work" && apt-get download stargz-snapshotter >/dev/null)
dpkg -x "$work"/stargz-snapshotter_*.deb "$work/sgz"
ctr=("$work/sgz/usr/bin/ctr-remote" -a "$work/containerd.sock")

cat >"$work/config.toml" <<TOML
version = 2
root = "$work/root"
state = "$work/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd.sock"
[ttrpc]
  address = "$work/containerd.sock.ttrpc"
TOML
containerd --config "$work/config.toml" >"$work/containerd.log" 2>&1 &
pid=$!
for _ in $(seq 50); do [[ -S $work/containerd.sock ]] && break; sleep 0.2; done

umoci init --layout "$work/L"
umoci new --image "$work/L:src"
umoci unpack --rootless --image "$work/L:src" "$work/b" >/dev/null
r="$work/b/rootfs"
mkdir -p "$r/etc" "$r/usr/lib" "$r/srv"
printf 'ID=fixture\nNAME="eStargz fixture"\n' >"$r/usr/lib/os-release"
ln -s ../usr/lib/os-release "$r/etc/os-release"
printf 'hello from ctr-remote\n' >"$r/etc/motd"
head -c 24000 /dev/urandom >"$r/srv/random.bin"
seq 1 30000 >"$r/srv/numbers.txt"
ln "$r/srv/numbers.txt" "$r/srv/numbers-link.txt"
sha256sum "$r/srv/random.bin"
umoci repack --image "$work/L:src" "$work/b"
tar -C "$work/L" -cf "$work/src.tar" .

"${ctr[@]}" images import --base-name fixture/src --all-platforms "$work/src.tar" >/dev/null
"${ctr[@]}" images convert --estargz --oci --estargz-chunk-size 65536 \
  fixture/src:src fixture/src:esgz
"${ctr[@]}" images export --platform linux/amd64 "$out" fixture/src:esgz
echo "wrote $out"
