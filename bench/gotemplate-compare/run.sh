#!/usr/bin/env bash
# Compares berth-gotemplate with the gotmpl crate behind the same API (see README.md):
#  1. Go's own answers for cases.txt (go-oracle/, needs `go`; else the committed
#     go-expected.json is used),
#  2. how many cases each engine answers exactly like Go (`--all` prints every case),
#  3. a `docker ps --format` table of 1000 rows per engine: binary size, peak RSS, render time.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if command -v go >/dev/null; then
    (cd go-oracle && go run . ../datasets.json ../cases.txt > ../go-expected.json)
fi
cargo build --release -q --bin gotemplate-compare
"$CARGO_TARGET_DIR/release/gotemplate-compare" "$@"

bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
relr="-C link-arg=-Wl,-z,pack-relative-relocs"
for engine in none berth gotmpl; do
    flags="$relr"
    [ "$engine" = none ] || flags="$relr --cfg engine=\"$engine\""
    RUSTFLAGS="$flags" cargo build --release -q --bin ps_render
    cp "$CARGO_TARGET_DIR/release/ps_render" "$bins/$engine"
done
cmp <("$bins/berth" berth 1000 2>/dev/null) <("$bins/gotmpl" gotmpl 1000 2>/dev/null) >/dev/null \
    && echo "ps table: both engines print the same 1000-row table" \
    || echo "ps table: the engines' tables differ"
echo
printf '%-8s %10s %10s %14s %14s %12s\n' engine bytes text "rss 10 rows" "rss 1000 rows" "ms/1000 rows"
for engine in none berth gotmpl; do
    b="$bins/$engine"
    rss() { for _ in 1 2 3 4 5 6 7; do /usr/bin/time -f %M "$b" "$engine" "$1" 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 4p; }
    ms=$( { for _ in 1 2 3 4 5; do "$b" "$engine" 1000 100 2>&1 >/dev/null; done; } | awk '{print $4}' | sort -n | sed -n 3p)
    printf '%-8s %10s %10s %11s KiB %11s KiB %12s\n' "$engine" "$(stat -c %s "$b")" \
        "$(size -A "$b" | awk '$1==".text"{print $2}')" "$(rss 10)" "$(rss 1000)" "$ms"
done
