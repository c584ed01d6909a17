#!/usr/bin/env bash
# berth demo: build berth (release), make a busybox OCI bundle, and run it with berth-runc.
#
# Run as root on Debian (bookworm) with a Rust toolchain. Installs what it needs
# (busybox-static, libseccomp-dev, pkg-config, jq) when missing. Idempotent: every run works
# in a fresh temp dir with a unique container id, and removes the container and the temp dir
# on exit, also on failure or Ctrl-C.
#
# BERTH_RUNTIME=/usr/sbin/runc ./scripts/demo.sh runs the same bundle with another
# runc-compatible runtime (to compare).
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
command -v jq >/dev/null || need+=(jq)
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
id="berth-demo-$$"
runtime="${BERTH_RUNTIME:-$work/berth-runc}"
cleanup() {
    "$runtime" --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
ln -s "$target/release/berth" "$work/berth-runc"   # the berth binary answers to this name

echo "==> making a busybox bundle in $work/bundle"
rootfs="$work/bundle/rootfs"
mkdir -p "$rootfs"/{bin,dev,etc,proc,sys,tmp,root}
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
echo 'root:x:0:' >"$rootfs/etc/group"

"$runtime" spec --bundle "$work/bundle"
jq --arg id "$id" '
    .process.terminal = false
  | .process.args = ["sh", "-c",
      "echo \"hello from a berth container: hostname $(hostname), pid $$, uid $(id -u)\"; echo its root: $(ls /)"]
  | .hostname = $id
  | .linux.cgroupsPath = ("/" + $id)
' "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

echo "==> $(basename "$runtime") run $id"
rc=0
"$runtime" --root "$work/state" run --bundle "$work/bundle" "$id" || rc=$?
echo "==> the container exited with code $rc"
exit "$rc"
