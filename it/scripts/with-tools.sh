#!/usr/bin/env bash
# Runs a command with the tools the integration tests need.
#
#   it/scripts/with-tools.sh mvn -Dlayerfs.suffix=-it -pl it -am verify
#
# - installs umoci, skopeo, docker-registry, debootstrap, openssl, gnupg (gpg, gpgconf), xz-utils
#   and zstd with apt-get when one is missing (apt-get update first only when apt knows no
#   candidate for a missing package);
# - starts a private docker-registry on 127.0.0.1, on a port the kernel picks (addr :0, read back
#   from the registry's "listening on" log line, so no other process can race us for it), with a
#   throwaway config and storage directory;
# - exports LAYERFS_TEST_REGISTRY=127.0.0.1:PORT and runs the command;
# - stops the registry and removes its files on every exit path, and exits with the command's
#   exit code.
set -euo pipefail

if (($# == 0)); then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

log() { echo "with-tools: $*" >&2; }

REGISTRY_BIN=/usr/bin/docker-registry

install_missing() {
  local missing=()
  command -v umoci >/dev/null 2>&1 || missing+=(umoci)
  command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
  [[ -x $REGISTRY_BIN ]] || missing+=(docker-registry)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  { command -v gpg && command -v gpgconf; } >/dev/null 2>&1 || missing+=(gnupg)
  command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
  command -v zstd >/dev/null 2>&1 || missing+=(zstd)
  ((${#missing[@]} == 0)) && return 0

  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { log "need root or sudo to install: ${missing[*]}"; exit 1; }
    sudo=(sudo)
  fi
  local pkg update=false
  for pkg in "${missing[@]}"; do
    # an empty package list (fresh container) shows no candidate: only then is an update needed
    if ! apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]'; then
      update=true
    fi
  done
  if $update; then
    log "apt-get update"
    "${sudo[@]}" apt-get update -q >&2
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}" >&2
}

install_missing

WORK=$(mktemp -d "${TMPDIR:-/tmp}/layerfs-registry.XXXXXX")
REGISTRY_PID=

cleanup() {
  if [[ -n $REGISTRY_PID ]] && kill -0 "$REGISTRY_PID" 2>/dev/null; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    # give it a moment to exit cleanly, then make sure
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$REGISTRY_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -9 "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$WORK/storage"
cat >"$WORK/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
  secret: $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
EOF

# made before the registry starts: the background job opens it only after the fork, and a sed of
# the loop below reading before that failed the script (set -e) with "can't read registry.log"
: >"$WORK/registry.log"
"$REGISTRY_BIN" serve "$WORK/config.yml" >"$WORK/registry.log" 2>&1 &
REGISTRY_PID=$!

PORT=
for _ in $(seq 1 100); do
  PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$WORK/registry.log" | head -n1)
  [[ -n $PORT ]] && break
  if ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
    log "docker-registry exited at start:"
    cat "$WORK/registry.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [[ -z $PORT ]]; then
  log "docker-registry did not report its port within 10 s:"
  cat "$WORK/registry.log" >&2
  exit 1
fi

# the port is bound before it is logged; wait until the API answers
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    break
  fi
  sleep 0.1
done

export LAYERFS_TEST_REGISTRY="127.0.0.1:$PORT"
log "docker-registry on $LAYERFS_TEST_REGISTRY (pid $REGISTRY_PID)"

# The command runs in the background so that a TERM or INT sent to this script is handled at
# once (bash runs traps only between foreground commands): it is passed on to the command, and
# the registry is stopped when the command has exited.
CMD_PID=
forward() {
  [[ -n $CMD_PID ]] && kill "-$1" "$CMD_PID" 2>/dev/null || true
}
trap 'forward TERM' TERM
# an asynchronous command of a non-interactive shell ignores INT, so Ctrl-C is passed on as TERM
trap 'forward TERM' INT

set +e
"$@" <&0 &
CMD_PID=$!
wait "$CMD_PID"
STATUS=$?
# a trapped signal interrupts wait; wait again until the command has really exited
while kill -0 "$CMD_PID" 2>/dev/null; do
  wait "$CMD_PID"
  STATUS=$?
done
set -e
exit "$STATUS"
