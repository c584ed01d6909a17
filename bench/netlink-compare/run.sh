#!/usr/bin/env bash
# berth-net's hand-written rtnetlink vs netlink-packet-route + netlink-sys (blocking), on one
# container start's network work (see README.md). Root only; everything runs inside a
# network namespace made for this run (`ip netns add nlc-<pid>`), deleted on exit.
#   1. release builds of three variants (none / berth / crate): bytes, stripped, .text,
#   2. a check that both leave the same links, addresses, routes and hairpin flag,
#   3. peak RSS (/usr/bin/time -v, median of 20 each),
#   4. bring-up + teardown time (median of 50 rounds, the two alternated, ABBA),
#   5. lines of code.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$PWD

if [ "${1:-}" = --inner ]; then
    bins=$2 work=$3
    med() { sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
    minmax() { sort -n | awk 'NR==1{lo=$1} {hi=$1} END {print lo "-" hi}'; }

    echo "== same result (kept, inspected with ip, then deleted)"
    for e in berth crate; do
        br=nlcbk$e veth=nlcvk$e ns=$work/keep-$e
        "$bins/$e" "$br" "$veth" "$ns" keep >/dev/null
        {
            ip -br addr show dev "$br"
            ip -d link show dev "$veth" | grep -o 'master [^ ]*\|hairpin [a-z]*\|state [A-Z]\+' | tr '\n' ' '
            echo
            nsenter --net="$ns" ip -br addr
            nsenter --net="$ns" ip -br link
            nsenter --net="$ns" ip route
        } | sed -E "s/$br/BRIDGE/g; s/$veth/VETH/g; s/@if[0-9]+//; s/ fe80::[^ ]*//; s/  */ /g" > "$work/state-$e"
        ip link del "$veth"
        ip link del "$br"
        umount "$ns"
        rm -f "$ns"
    done
    cat "$work/state-berth"
    if cmp -s "$work/state-berth" "$work/state-crate"; then
        echo "-> identical for both"
    else
        echo "-> DIFFERENT:"
        diff "$work/state-berth" "$work/state-crate" || true
    fi

    echo
    echo "== peak RSS (KiB), /usr/bin/time -v, 20 runs each"
    for e in none berth crate; do
        for i in $(seq 1 20); do
            /usr/bin/time -v "$bins/$e" "nlcbr$i${e:0:1}" "nlcvr$i${e:0:1}" "$work/rss-$e-$i" \
                2>&1 >/dev/null | awk '/Maximum resident/ {print $6}'
        done > "$work/rss-$e"
        printf '%-6s median %s  range %s\n' "$e" "$(med < "$work/rss-$e")" "$(minmax < "$work/rss-$e")"
    done

    echo
    echo "== bring-up + teardown, in-process (µs; 50 rounds, the two alternated ABBA)"
    : > "$work/times"
    for i in $(seq 1 50); do
        order="berth crate"
        [ $((i % 2)) = 0 ] && order="crate berth"
        for e in $order; do
            "$bins/$e" "nlcb$i${e:0:1}" "nlcv$i${e:0:1}" "$work/t-$e-$i" >> "$work/times"
        done
    done
    for e in berth crate; do
        for col in 2 3; do
            awk -v e=$e -v c=$col '$1==e {print $c}' "$work/times" > "$work/t-$e-$col"
        done
        printf '%-6s wall median %s range %s   cpu (process, whole run) median %s range %s\n' "$e" \
            "$(med < "$work/t-$e-2")" "$(minmax < "$work/t-$e-2")" \
            "$(med < "$work/t-$e-3")" "$(minmax < "$work/t-$e-3")"
    done
    exit 0
fi

[ "$(id -u)" = 0 ] || { echo "run as root (it makes namespaces, bridges and veths)" >&2; exit 1; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
bins=$(mktemp -d)
work=$(mktemp -d)
ns="nlc-$$"
cleanup() {
    ip netns del "$ns" 2>/dev/null || true
    # Namespace files left by a failed run (the mounts were in ip netns exec's own mount
    # namespace, gone with it).
    rm -rf "$bins" "$work"
}
trap cleanup EXIT

echo "== binaries (release, berth's profile)"
for e in none berth crate; do
    feat=()
    [ "$e" = none ] || feat=(--features "$e")
    cargo build --release -q -j2 "${feat[@]}"
    cp "$CARGO_TARGET_DIR/release/netlink-compare" "$bins/$e"
    strip -s -o "$bins/$e.stripped" "$bins/$e"
done
printf '%-6s %10s %10s %10s %16s\n' variant bytes stripped .text "stripped - none"
base=$(stat -c %s "$bins/none.stripped")
for e in none berth crate; do
    s=$(stat -c %s "$bins/$e.stripped")
    printf '%-6s %10s %10s %10s %16s\n' "$e" "$(stat -c %s "$bins/$e")" "$s" \
        "$(size -A "$bins/$e" | awk '$1==".text"{print $2}')" "$((s - base))"
done
echo "crate - berth (stripped): $(( $(stat -c %s "$bins/crate.stripped") - $(stat -c %s "$bins/berth.stripped") )) bytes"

echo
echo "== lines (wc -l)"
link=../../crates/net/src/link
echo "berth crates/net/src/link, without tests/: $(cat "$link"/*.rs | wc -l)" \
    "(netns.rs $(wc -l < "$link/netns.rs"), names.rs $(wc -l < "$link/names.rs")," \
    "error.rs $(wc -l < "$link/error.rs"); tests/ $(cat "$link"/tests/*.rs | wc -l))"
echo "crate route, start path only (src/crate_engine.rs): $(wc -l < src/crate_engine.rs)" \
    "+ its netns helpers (src/netns.rs): $(wc -l < src/netns.rs)"
echo

ip netns add "$ns"
ip netns exec "$ns" "$HERE/run.sh" --inner "$bins" "$work"
