#!/bin/sh
# Runs a command in a private mount namespace where the cgroup2 tree at
# /sys/fs/cgroup/unified is unmounted, so the host looks like pure cgroup v1 to it.
#
# Why: on this project's machines cgroup v1 controllers sit beside a cgroup2 tree that holds
# hugetlb; crun 1.8 refuses that layout ("cgroups in hybrid mode not supported"). This lets
# the e2e suite be checked against crun without touching the host's cgroup setup:
#
#   BERTH_RUNTIME=/usr/bin/crun tests/e2e/hide-cgroup2.sh cargo test -p berth-e2e --no-fail-fast
#
# Only the mount namespace of this command changes; nothing is unmounted on the host.
set -eu
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
exec unshare --mount --propagation private sh -c '
    if grep -q " /sys/fs/cgroup/unified " /proc/self/mountinfo; then
        umount /sys/fs/cgroup/unified
    fi
    exec "$@"' sh "$@"
