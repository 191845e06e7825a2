#!/usr/bin/env bash
# Peer run (issue 17, item 1): the open-source Svix server and jido-dispatch side by side on
# this machine, under the same load, delivering into the same nginx receiver.
#
#   runtime/benches/peer/svix.sh build   # Svix from source (its pinned git dependencies too)
#   runtime/benches/peer/svix.sh run     # PostgreSQL, nginx, both servers, the load; prints the table
#   runtime/benches/peer/svix.sh         # both
#
# Not part of CI. Needs Debian's `postgresql`, `nginx`, `wrk`, `pkg-config`, `libssl-dev`
# (installed with apt-get when missing and run as root) and a Rust toolchain.
#
# Sources (each a git URL or a local clone; the defaults need GitHub):
#   SVIX_REPO, SVIX_REV          svix-webhooks; default: the server 1.100.0 commit measured
#   OMNIQUEUE_REPO, METADATA_REPO the two git dependencies its lock file pins by revision
# Svix also pins a fork of hyper whose revision is gone from GitHub; it is hyper 1.11.0 with
# `HeaderCaseMap` public and buildable from a `HeaderMap<Bytes>`, so the script rebuilds it from
# the crates.io release (see patch_hyper below).
#
# Knobs: WORK (default target/peer-svix), BURST_SECONDS (default 10),
#        RATES (steady rates for the latency rows, default "1000 5000"), SECONDS_PER_RATE (10).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${WORK:-$ROOT/target/peer-svix}
SVIX_REPO=${SVIX_REPO:-https://github.com/svix/svix-webhooks}
SVIX_REV=${SVIX_REV:-4fc0cfb8b426c87ef7e2b937e7d896a71d456a47}
OMNIQUEUE_REPO=${OMNIQUEUE_REPO:-https://github.com/svix/omniqueue-rs}
OMNIQUEUE_REV=acb40983ed65f6cbebb19c05d590249306674a33
METADATA_REPO=${METADATA_REPO:-https://github.com/svix/rust-executable-metadata}
METADATA_REV=7a32435fbdab53f33e6abab9c1ab500afef0a7a8
SVIX_BIN=$WORK/target/release/svix-server

say() { printf '\n== %s\n' "$*" >&2; }

need_packages() {
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

checkout() { # repo rev dir
    if [ ! -d "$3/.git" ]; then git clone -q "$1" "$3"; fi
    git -C "$3" checkout -q --detach "$2"
}

# hyper 1.11.0 from crates.io plus the fork's two changes: a public `HeaderCaseMap` that
# Svix builds from its case-preserving header map.
patch_hyper() {
    local fetch=$WORK/hyper-fetch
    mkdir -p "$fetch/src"
    printf '[workspace]\n[package]\nname = "hyper-fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nhyper = "=1.11.0"\n' \
        > "$fetch/Cargo.toml"
    echo 'fn main() {}' > "$fetch/src/main.rs"
    cargo fetch -q --manifest-path "$fetch/Cargo.toml"
    local src
    src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/hyper-1.11.0 | head -1)
    rm -rf "$WORK/hyper" && cp -r "$src" "$WORK/hyper" && chmod -R u+w "$WORK/hyper"
    python3 - "$WORK/hyper/src/ext/mod.rs" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
old = "pub(crate) struct HeaderCaseMap(HeaderMap<Bytes>);"
assert old in text, "hyper 1.11.0 changed: HeaderCaseMap not found"
text = text.replace(old, "pub struct HeaderCaseMap(HeaderMap<Bytes>);", 1)
text += '''
#[cfg(all(any(feature = "client", feature = "server"), feature = "http1"))]
impl From<HeaderMap<Bytes>> for HeaderCaseMap {
    fn from(map: HeaderMap<Bytes>) -> Self {
        HeaderCaseMap(map)
    }
}

#[cfg(all(any(feature = "client", feature = "server"), feature = "http1"))]
impl HeaderCaseMap {
    /// The first spelling recorded for `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&Bytes> {
        self.0.get(name)
    }
}
'''
open(path, "w").write(text)
PY
}

build() {
    need_packages pkg-config libssl-dev
    mkdir -p "$WORK/src"
    say "sources"
    checkout "$SVIX_REPO" "$SVIX_REV" "$WORK/src/svix"
    checkout "$OMNIQUEUE_REPO" "$OMNIQUEUE_REV" "$WORK/src/omniqueue"
    checkout "$METADATA_REPO" "$METADATA_REV" "$WORK/src/metadata"
    patch_hyper
    local server=$WORK/src/svix/server
    git -C "$WORK/src/svix" checkout -q -- server
    python3 - "$server" "$WORK" <<'PY'
import re, sys
server, work = sys.argv[1], sys.argv[2]
ws = f"{server}/Cargo.toml"
text = open(ws).read()
text = re.sub(r'hyper = \{ git = "https://github.com/svix/hyper.git", rev = "[0-9a-f]+" \}',
              f'hyper = {{ path = "{work}/hyper" }}', text)
open(ws, "w").write(text)
crate = f"{server}/svix-server/Cargo.toml"
text = open(crate).read()
text = re.sub(r'omniqueue = \{ git = "[^"]+", rev = "[0-9a-f]+",',
              f'omniqueue = {{ path = "{work}/src/omniqueue/omniqueue",', text)
text = re.sub(r'rust-executable-metadata = \{ git = "[^"]+", rev = "[0-9a-f]+" \}',
              f'rust-executable-metadata = {{ path = "{work}/src/metadata" }}', text)
assert "git =" not in text, "an unpatched git dependency is left in svix-server/Cargo.toml"
open(crate, "w").write(text)
PY
    say "building svix-server (release; ~10 minutes on 2 cores)"
    CARGO_TARGET_DIR=$WORK/target cargo build -q --release -p svix-server --manifest-path "$server/Cargo.toml"
    "$SVIX_BIN" --version >&2
}

case "${1:-all}" in
build) build ;;
run) source "$HERE/run.sh" ;;
all) build && source "$HERE/run.sh" ;;
*) echo "usage: $0 [build|run|all]" >&2; exit 2 ;;
esac
