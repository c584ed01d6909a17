#!/usr/bin/env bash
# berth demo: build berth (release), import a busybox image, build the example app from its
# multi-stage Dockerfile, run containers from them, and bring a compose project up and down.
#
# Run as root on Debian (bookworm) with a Rust toolchain. Installs what it needs
# (busybox-static, libseccomp-dev, pkg-config) when missing. Idempotent: every run works
# in a fresh temp dir with a unique container id, and removes the container and the temp dir
# on exit, also on failure or Ctrl-C.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: run as root (containers need namespaces, mounts and cgroups)" >&2
    exit 1
fi

need=()
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || need+=(busybox-static)
dpkg -s libseccomp-dev >/dev/null 2>&1 || need+=(libseccomp-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v nft >/dev/null || need+=(nftables)
if [ ${#need[@]} -gt 0 ]; then
    echo "==> installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "==> building berth (release)"
cargo build --release -p berth --manifest-path "$repo/Cargo.toml"
target="${CARGO_TARGET_DIR:-$repo/target}"
[[ "$target" = /* ]] || target="$repo/$target"

work="$(mktemp -d /tmp/berth-demo.XXXXXX)"
berth="$target/release/berth"
b() { "$berth" --root "$work/root" "$@"; }
cleanup() {
    for c in $(b ps -aq --no-trunc 2>/dev/null); do b rm -f "$c" >/dev/null 2>&1 || true; done
    # The default bridge, its DNS server and berth's nftables table go with the demo.
    b network prune -f >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "==> making a busybox root filesystem tarball (from Debian's busybox-static)"
rootfs="$work/rootfs"
mkdir -p "$rootfs"/{bin,dev,etc,proc,sys,tmp,root}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$work/busybox.tar" .

echo "==> berth import busybox.tar demo/busybox"
b import --change 'CMD ["sh"]' "$work/busybox.tar" demo/busybox
b images

echo "==> berth run --rm demo/busybox ..."
b run --rm --hostname demo demo/busybox sh -c \
    'echo "hello from a berth container: hostname $(hostname), pid $$, uid $(id -u)"; echo "its root: $(ls /)"'

echo "==> berth build -t demo/app examples/hello-app (multi-stage Dockerfile)"
b build --progress=plain -t demo/app "$repo/examples/hello-app"
echo "==> the same build again: every step comes from the cache"
b build --progress=plain -t demo/app "$repo/examples/hello-app" 2>&1 | grep -E 'CACHED|exporting' || true
echo "==> berth run --rm demo/app"
b run --rm demo/app

echo "==> a detached container, its logs, and stop"
b run -d --name demo-ticker demo/busybox sh -c \
    'trap "exit 0" TERM; for i in 1 2 3; do echo "tick $i"; sleep 0.1; done; while true; do sleep 0.1; done' >/dev/null
b ps
sleep 0.5
b logs demo-ticker
b stop demo-ticker
b rm demo-ticker >/dev/null

echo "==> berth compose up -d: examples/compose-app (a healthy web service, then a client)"
compose_file="$repo/examples/compose-app/compose.yaml"
b compose -f "$compose_file" up -d
echo "==> berth compose wait client (its exit code)"
b compose -f "$compose_file" wait client
b compose -f "$compose_file" ps -a
echo "==> berth compose logs client"
b compose -f "$compose_file" logs client
echo "==> berth compose down -v"
b compose -f "$compose_file" down -v
echo "==> done"
