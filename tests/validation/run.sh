#!/usr/bin/env bash
# Runs the OCI runtime validation suite (opencontainers/runtime-tools `validation/`) against an
# OCI runtime CLI and prints a per-test-file table plus "N passed, M failed".
#
#   RUNTIME=/path/to/berth-runc tests/validation/run.sh            # all 58 test files
#   RUNTIME=/usr/sbin/runc tests/validation/run.sh state kill      # a subset
#   RUNTIME=/usr/bin/crun HIDE_CGROUP2=1 tests/validation/run.sh   # crun 1.8 on a hybrid host
#   tests/validation/run.sh compare DIR...                         # side-by-side of earlier runs
#   tests/validation/run.sh rescore DIR...                         # judge saved outputs again
#
# Environment:
#   RUNTIME        runtime command (required for a run)
#   OUT            where per-test outputs go (default /tmp/validation-results/<runtime name>)
#   TIMEOUT        seconds per test file (default 60)
#   HIDE_CGROUP2   1: run inside tests/e2e/hide-cgroup2.sh (cgroup2 tree hidden; crun 1.8 needs it)
#   CACHE          build cache (default /var/cache/berth-validation)
#   RUNTIME_TOOLS_SRC  an unpacked runtime-tools source tree to use instead of Debian's
#
# See README.md beside this file for what is fetched and how results are judged.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${CACHE:-/var/cache/berth-validation}
TIMEOUT=${TIMEOUT:-60}
SRCPKG=golang-github-opencontainers-runtime-tools

log() { echo "run.sh: $*" >&2; }

# score OUT_FILE EXIT_CODE: prints "pass|fail DETAIL".
# A test file fails on a non-zero exit (timeouts included) or a `not ok` line (`not ok ... # TODO`
# is an expected failure in TAP and does not count). That is issue 2's measure.
# Marked `(strict-fail: ...)` in DETAIL, not counted: no TAP plan, a plan that does not match the
# results, or, with plan 1..0, a YAML diagnostic with an "error" key (the lifecycle tests, e.g.
# hooks and prestart, assert nothing and report a failure only that way). The *_fail tests print
# nothing when the runtime rightly refuses the config, and exit 1 when it accepts it.
score() {
    local o=$1 rc=$2 nok nnot ntodo nskip plan result=pass detail strict=""
    nok=$(grep -cE '^ok [0-9]+' "$o" || true)
    nnot=$(grep -E '^not ok [0-9]+' "$o" | grep -vc '# TODO' || true)
    ntodo=$(grep -E '^not ok [0-9]+' "$o" | grep -c '# TODO' || true)
    nskip=$(grep -cE '^ok [0-9]+ # SKIP' "$o" || true)
    plan=$(grep -oE '^1\.\.[0-9]+' "$o" | head -1 | cut -d. -f3 || true)
    detail="ok=$nok"
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then result=fail; detail="$detail timeout"
    elif [ "$rc" != 0 ]; then result=fail; detail="$detail exit=$rc"; fi
    [ "$nnot" -gt 0 ] && { result=fail; detail="$detail not_ok=$nnot"; }
    [ "$ntodo" -gt 0 ] && detail="$detail todo=$ntodo"
    [ "$nskip" -gt 0 ] && detail="$detail skip=$nskip"
    if [ -z "$plan" ]; then
        [ $((nok + nnot + ntodo)) -gt 0 ] && strict="no-plan"
    elif [ "$plan" = 0 ]; then
        grep -q '^    "error":' "$o" && strict="plan-0-with-error-diagnostic"
    elif [ "$plan" != $((nok + nnot + ntodo)) ]; then strict="plan=$plan"; fi
    [ -n "$strict" ] && [ "$result" = pass ] && detail="$detail (strict-fail: $strict)"
    echo "$result $detail"
}

# rescore DIR...: judge saved outputs (<test>.out, <test>.rc) again and print the table
if [ "${1:-}" = rescore ]; then
    shift
    for d in "$@"; do
        np=0; nf=0; : > "$d/results.tsv.new"
        for rcf in "$d"/*.rc; do
            t=$(basename "$rcf" .rc)
            read -r result detail < <(score "$d/$t.out" "$(cat "$rcf")")
            left=$(awk -F'\t' -v t="$t" '$1 == t {print $3}' "$d/results.tsv" 2>/dev/null | grep -o 'LEFTOVER:.*' || true)
            [ -n "$left" ] && detail="$detail $left"
            printf '%s\t%s\t%s\n' "$t" "$result" "$detail" >> "$d/results.tsv.new"
            printf '%-36s %-6s %s\n' "$t" "$result" "$detail"
            if [ "$result" = pass ]; then np=$((np + 1)); else nf=$((nf + 1)); fi
        done
        mv "$d/results.tsv.new" "$d/results.tsv"
        echo "$d: $np passed, $nf failed"
    done
    exit 0
fi

# ---------------------------------------------------------------------------------------------
# compare: side-by-side table of results.tsv files from earlier runs
if [ "${1:-}" = compare ]; then
    shift
    [ $# -gt 0 ] || { echo "usage: $0 compare DIR..." >&2; exit 2; }
    awk -F'\t' '
        FNR == 1 { n++; split(FILENAME, p, "/"); name[n] = p[length(p) - 1] }
        { res[$1, n] = $2; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
        END {
            printf "%-36s", "test"; for (i = 1; i <= n; i++) printf " %-12s", name[i]; printf "\n"
            for (j = 1; j <= k; j++) {
                t = order[j]; printf "%-36s", t
                for (i = 1; i <= n; i++) { r = res[t, i]; if (r == "") r = "-"; printf " %-12s", r; if (r == "pass") pass[i]++ }
                printf "\n"
            }
            printf "%-36s", "passed"; for (i = 1; i <= n; i++) printf " %-12d", pass[i]; printf "\n"
        }' $(for d in "$@"; do echo "$d/results.tsv"; done)
    exit 0
fi

[ -n "${RUNTIME:-}" ] || { echo "RUNTIME=<runtime command> is required" >&2; exit 2; }
RUNTIME=$(command -v "$RUNTIME" || echo "$RUNTIME")
[ -x "$RUNTIME" ] || { echo "RUNTIME $RUNTIME is not executable" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "the validation suite needs root" >&2; exit 2; }

if [ "${HIDE_CGROUP2:-0}" = 1 ] && [ -z "${_BERTH_VALIDATION_HIDDEN:-}" ]; then
    export _BERTH_VALIDATION_HIDDEN=1
    exec "$REPO/tests/e2e/hide-cgroup2.sh" "$0" "$@"
fi

# ---------------------------------------------------------------------------------------------
# 1. Debian packages: Go, the suite's Go dependencies (GOPATH sources), busybox for the rootfs.
DEBS="golang-go golang-github-opencontainers-runtime-tools-dev golang-github-google-uuid-dev
 golang-github-xeipuuv-gojsonschema-dev golang-gocapability-dev golang-golang-x-sys-dev
 golang-github-opencontainers-specs-dev golang-github-opencontainers-selinux-dev
 golang-github-urfave-cli-dev golang-github-sirupsen-logrus-dev golang-github-hashicorp-go-multierror-dev
 golang-github-mrunalp-fileutils-dev golang-github-blang-semver-dev busybox-static xz-utils util-linux"
missing=""
for p in $DEBS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"; done
if [ -n "$missing" ]; then
    log "installing:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2 ||
        { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2; }
fi

# ---------------------------------------------------------------------------------------------
# 2. Source. Debian's -dev package ships only the library, not validation/ or cmd/runtimetest,
#    so take the upstream tarball of Debian's source package (sid has 0.9.0.109.ge931285, which
#    also carries rootfs-amd64.tar.gz). A private apt config keeps the host's sources.list as is.
mkdir -p "$CACHE"
if [ -n "${RUNTIME_TOOLS_SRC:-}" ]; then
    SRC=$RUNTIME_TOOLS_SRC
else
    SRC=$(ls -d "$CACHE"/src/*/validation 2>/dev/null | head -1 | xargs -r dirname || true)
    if [ -z "$SRC" ]; then
        A=$CACHE/apt
        mkdir -p "$A/lists/partial" "$A/dl"
        printf 'deb-src http://deb.debian.org/debian %s main\n' sid trixie bookworm > "$A/sources.list"
        APTOPT=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
                -o "Dir::State::Lists=$A/lists")
        log "fetching $SRCPKG source from Debian"
        apt-get "${APTOPT[@]}" update -q >&2
        line=$(apt-get "${APTOPT[@]}" source --print-uris "$SRCPKG" 2>/dev/null | grep "\.orig\.tar\." | head -1)
        [ -n "$line" ] || { echo "no $SRCPKG source in Debian's Sources" >&2; exit 1; }
        url=$(echo "$line" | awk '{print $1}' | tr -d "'")
        file=$(echo "$line" | awk '{print $2}')
        sum=$(echo "$line" | awk '{print $4}')
        /usr/lib/apt/apt-helper download-file "$url" "$A/dl/$file" "$sum" >&2
        mkdir -p "$CACHE/src"
        tar -xf "$A/dl/$file" -C "$CACHE/src"
        SRC=$(ls -d "$CACHE"/src/*/validation | head -1 | xargs dirname)
    fi
fi
[ -d "$SRC/validation" ] && [ -d "$SRC/cmd/runtimetest" ] || { echo "$SRC lacks validation/ or cmd/runtimetest" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# 3. Build (GOPATH mode, offline). github.com/mndrix/tap-go is not packaged in Debian: a small
#    stand-in with the same API and TAP 13 output (tap-go's default JSON diagnostics) is used.
BIN=$CACHE/bin
GP=$CACHE/gopath
stamp="$SRC $(go version 2>/dev/null) v2"
if [ "$(cat "$BIN/.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "building the validation suite into $BIN"
    rm -rf "$BIN" "$GP"
    mkdir -p "$BIN" "$GP/src/github.com/opencontainers" "$GP/src/github.com/mndrix/tap-go"
    ln -s "$SRC" "$GP/src/github.com/opencontainers/runtime-tools"
    cat > "$GP/src/github.com/mndrix/tap-go/tap.go" <<'EOF'
// Package tap: a minimal TAP 13 producer with the API of github.com/mndrix/tap-go that
// runtime-tools uses (written for berth's test harness; tap-go is not packaged in Debian).
package tap

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

type T struct {
	nextTestNumber *int
	TODO           bool
	Writer         io.Writer
}

func New() *T { n := 1; return &T{nextTestNumber: &n} }

func (t *T) w() io.Writer {
	if t.Writer == nil {
		return os.Stdout
	}
	return t.Writer
}

func (t *T) printf(format string, a ...interface{}) { fmt.Fprintf(t.w(), format, a...) }

func (t *T) Header(testCount int) {
	if testCount > 0 {
		t.printf("TAP version 13\n1..%d\n", testCount)
	} else {
		t.printf("TAP version 13\n")
	}
}

func (t *T) Ok(test bool, description string) {
	ok := "ok"
	if !test {
		ok = "not ok"
	}
	if t.TODO {
		t.printf("%s %d # TODO %s\n", ok, *t.nextTestNumber, description)
	} else {
		t.printf("%s %d - %s\n", ok, *t.nextTestNumber, description)
	}
	*t.nextTestNumber++
}

func (t *T) Fail(description string) { t.Ok(false, description) }
func (t *T) Pass(description string) { t.Ok(true, description) }
func (t *T) Count() int              { return *t.nextTestNumber - 1 }
func (t *T) AutoPlan()               { t.printf("1..%d\n", t.Count()) }
func (t *T) Todo() *T                { n := *t; n.TODO = true; return &n }

func (t *T) Skip(count int, description string) {
	for i := 0; i < count; i++ {
		t.printf("ok %d # SKIP %s\n", *t.nextTestNumber, description)
		*t.nextTestNumber++
	}
}

func escapeNewlines(s string) string {
	return strings.Replace(strings.TrimRight(s, "\n"), "\n", "\n# ", -1)
}

func (t *T) Diagnostic(message string) { t.printf("# %s\n", escapeNewlines(message)) }

func (t *T) Diagnosticf(format string, a ...interface{}) {
	t.printf("# "+escapeNewlines(format)+"\n", a...)
}

func (t *T) YAML(message interface{}) error {
	b, err := json.MarshalIndent(message, "  ", "  ")
	if err != nil {
		return err
	}
	t.printf("  ---\n  %s\n  ...\n", b)
	return nil
}
EOF
    (
        cd "$GP/src/github.com/opencontainers/runtime-tools"
        export GO111MODULE=off GOPATH="$GP:/usr/share/gocode" GOFLAGS= GOCACHE="$CACHE/gocache"
        # runtimetest runs inside the busybox rootfs: static, no libc.
        CGO_ENABLED=0 go build -tags "netgo osusergo" -installsuffix cgo -o "$BIN/runtimetest" ./cmd/runtimetest
        for d in validation/*/; do
            n=$(basename "$d")
            [ "$n" = util ] && continue
            go build -o "$BIN/$n" "./validation/$n"
        done
    ) >&2
    # The bundle's rootfs: the tarball shipped in the source tree, else one made from busybox-static.
    if [ -f "$SRC/rootfs-amd64.tar.gz" ]; then
        cp "$SRC/rootfs-amd64.tar.gz" "$BIN/"
    else
        r=$(mktemp -d)
        mkdir -p "$r/bin" "$r/dev" "$r/etc" "$r/proc" "$r/sys" "$r/tmp"
        cp /bin/busybox "$r/bin/busybox"
        for a in $("$r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$r/etc/passwd"
        printf 'root:x:0:root\nnobody:x:65534:\n' > "$r/etc/group"
        tar -czf "$BIN/rootfs-amd64.tar.gz" -C "$r" --owner=0 --group=0 .
        rm -rf "$r"
    fi
    echo "$stamp" > "$BIN/.stamp"
fi

# ---------------------------------------------------------------------------------------------
# 4. Run.
if [ $# -gt 0 ]; then TESTS="$*"; else
    TESTS=$(cd "$BIN" && ls | grep -v -e '^runtimetest$' -e '\.tar\.gz$' | sort)
fi
OUT=${OUT:-/tmp/validation-results/$(basename "$RUNTIME")}
mkdir -p "$OUT"
rm -f "$OUT/results.tsv"
WORK=$(mktemp -d /tmp/berth-validation.XXXXXX)
# Bundles go to $WORK/tmp/<test>/ocitestNNN; keep the path traversable like /tmp is (user-namespace tests).
chmod 755 "$WORK"

list_ids() { "$RUNTIME" list -q 2>/dev/null | grep -v '^ID$' || true; }
cgdirs() { find /sys/fs/cgroup -mindepth 2 -type d 2>/dev/null | sort; }

# Removes what a test left, touching only what is the suite's own (other work may run on the
# host at the same time): containers whose bundle is under $WORK, live processes of the test's
# session (e.g. its `unshare --fork sleep 10000` helpers), mounts under $WORK, and empty cgroups
# the suite names (testdir, cgrouptest) or named by a container id (uuid).
# Prints a short description of anything it found.
cleanup() {
    local ids0=$1 cg0=$2 sid=$3 left="" id p m c b
    for id in $(comm -13 "$ids0" <(list_ids | sort)); do
        b=$("$RUNTIME" state "$id" 2>/dev/null | grep -o '"bundle": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/')
        case "$b" in "$WORK"/*) ;; *) continue ;; esac
        left="$left container:$id($("$RUNTIME" state "$id" 2>/dev/null | grep -o '"status": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'))"
        "$RUNTIME" kill "$id" KILL >/dev/null 2>&1 || true
        sleep 0.2
        "$RUNTIME" delete --force "$id" >/dev/null 2>&1 || "$RUNTIME" delete "$id" >/dev/null 2>&1 || true
    done
    for p in $(ps -eo pid=,sid=,stat= | awk -v s="$sid" '$2 == s && $3 !~ /^Z/ {print $1}'); do
        left="$left pid:$p($(cat /proc/$p/comm 2>/dev/null))"
        kill -KILL "$p" 2>/dev/null || true
    done
    for m in $(awk -v w="$WORK/" 'index($5, w) == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        left="$left mount:$m"
        umount -l "$m" 2>/dev/null || true
    done
    for c in $(comm -13 "$cg0" <(cgdirs) | grep -E '/(testdir|cgrouptest)(/|$)|/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' | sort -r); do
        if [ "$(stat -f -c %T "$c")" != cgroup2fs ] && [ "$(stat -f -c %T "$c")" != cgroupfs ]; then
            # not a cgroup: with HIDE_CGROUP2 crun 1.8 writes <id>/cgroup.procs into the plain
            # directory left where the cgroup2 tree was unmounted (on the host's tmpfs)
            rm -rf "$c"
            left="$left junk:${c#/sys/fs/cgroup/}"
        elif [ -n "$(cat "$c/cgroup.procs" 2>/dev/null)" ]; then
            left="$left cgroup-busy:${c#/sys/fs/cgroup/}"
        else
            rmdir "$c" 2>/dev/null || { sleep 0.5; rmdir "$c" 2>/dev/null; } || true
            # the parents of the relative cgroupsPath testdir/cgrouptest/container are the suite's
            case "$c" in */testdir|*/testdir/cgrouptest) ;; *) left="$left cgroup:${c#/sys/fs/cgroup/}" ;; esac
        fi
    done
    echo "$left"
}

# One test file's trouble must not end the run: no errexit/pipefail from here on.
set +e +o pipefail
printf '%-36s %-6s %s\n' TEST RESULT DETAIL
npass=0; nfail=0
for t in $TESTS; do
    [ -x "$BIN/$t" ] || { echo "no such test: $t" >&2; continue; }
    list_ids | sort > "$WORK/ids0"; cgdirs > "$WORK/cg0"
    mkdir -p -m 755 "$WORK/tmp" "$WORK/tmp/$t"
    # Own session, so helpers it spawns can be found afterwards; `timeout` ends the test itself.
    (cd "$BIN" && exec setsid --wait timeout -k 5 "$TIMEOUT" env RUNTIME="$RUNTIME" TMPDIR="$WORK/tmp/$t" "./$t") \
        > "$OUT/$t.out" 2> "$OUT/$t.err" &
    pid=$!
    sleep 0.05; sid=$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')
    wait "$pid"; rc=$?
    [ -n "$sid" ] || sid=$pid
    left=$(cleanup "$WORK/ids0" "$WORK/cg0" "$sid")
    rm -rf "$WORK/tmp/$t" 2>/dev/null || true

    echo "$rc" > "$OUT/$t.rc"
    read -r result detail < <(score "$OUT/$t.out" "$rc")
    [ -n "$left" ] && detail="$detail LEFTOVER:$left"
    printf '%-36s %-6s %s\n' "$t" "$result" "$detail"
    printf '%s\t%s\t%s\n' "$t" "$result" "$detail" >> "$OUT/results.tsv"
    if [ "$result" = pass ]; then npass=$((npass + 1)); else nfail=$((nfail + 1)); fi
done
rm -rf "$WORK"
echo "outputs: $OUT"
echo "$npass passed, $nfail failed"
