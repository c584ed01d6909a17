//! `destroy` on fake trees when directories stay busy: EBUSY retried within a pass and
//! across passes, every other hierarchy and sibling removed anyway, children before their
//! parent, and one error naming each directory that stayed.

use std::path::{Path, PathBuf};

use super::super::lifecycle::{self, Patience, CHILD_STAYED};
use super::super::CgroupManager;
use super::{hybrid_host, v1_host, v2_host, FakeHost};
use crate::Error;

const V2_LEAF: &str = "sys/fs/cgroup/user.slice/session-1.scope/berth/c";

/// Every v1 container directory of [`v1_host`] (named systemd one included).
const V1_DIRS: [&str; 11] = [
    "cpu,cpuacct",
    "cpuset",
    "memory/user.slice",
    "devices",
    "freezer",
    "blkio",
    "pids",
    "net_cls,net_prio",
    "hugetlb",
    "rdma",
    "systemd/user.slice/session-1.scope",
];

fn v1_dir(d: &str) -> String {
    format!("sys/fs/cgroup/{d}/berth/c")
}

/// How many removals of `rel` `m` attempted.
fn attempts(h: &FakeHost, m: &CgroupManager, rel: &str) -> usize {
    let p = h.path(rel);
    m.fs.rmdir_attempts().iter().filter(|a| **a == p).count()
}

/// The pids `m` SIGKILLed (recorded in fake mode), in order.
fn kills(h: &FakeHost, m: &CgroupManager) -> Vec<String> {
    h.writes(m)
        .into_iter()
        .filter(|(p, _)| p == "kill")
        .map(|(_, v)| v)
        .collect()
}

/// The directories a [`Error::CgroupsLeft`] names (relative to the fake root), with why.
fn left(h: &FakeHost, err: Error) -> Vec<(String, String)> {
    let Error::CgroupsLeft(list) = err else {
        panic!("not CgroupsLeft: {err}");
    };
    list.into_iter()
        .map(|(p, why)| {
            let rel = p.strip_prefix(h.root()).map(Path::to_path_buf).unwrap_or(p);
            (rel.display().to_string(), why)
        })
        .collect()
}

#[test]
fn a_briefly_busy_directory_is_retried_within_the_pass() {
    let h = v1_host();
    let m = h.created(None);
    let pids = v1_dir("pids");
    m.fs.set_busy(&h.path(&pids), Some(3));
    m.destroy().expect("removed on the 4th attempt");
    assert_eq!(attempts(&h, &m, &pids), 4);
    assert!(!h.path(&pids).exists());
    for d in V1_DIRS {
        assert!(!h.path(&v1_dir(d)).exists(), "{d} removed");
        if d != "pids" {
            assert_eq!(attempts(&h, &m, &v1_dir(d)), 1, "{d}: one attempt");
        }
    }
}

#[test]
fn a_directory_busy_beyond_one_pass_goes_in_a_later_pass() {
    let h = v1_host();
    let m = h.created(None);
    let mem = v1_dir("memory/user.slice");
    m.fs.set_busy(&h.path(&mem), Some(Patience::FAKE.rmdir_tries + 2));
    m.destroy().expect("removed in the second pass");
    let per_pass = Patience::FAKE.rmdir_tries as usize;
    assert_eq!(attempts(&h, &m, &mem), per_pass + 3);
    assert!(!h.path(&mem).exists());
    // The second pass only retried what stayed.
    assert_eq!(attempts(&h, &m, &v1_dir("cpuset")), 1);
}

#[test]
fn what_stays_busy_is_reported_and_everything_else_removed() {
    let h = v1_host();
    let m = h.created(None);
    let mem = v1_dir("memory/user.slice");
    let pids = v1_dir("pids");
    // memory: a busy child holding a process, and a sibling that can go.
    h.v1_dir(&format!("{mem}/stuck"), &[]);
    h.put(&format!("{mem}/stuck/cgroup.procs"), "4242\n");
    h.v1_dir(&format!("{mem}/free/deeper"), &[]);
    m.fs.set_busy(&h.path(&format!("{mem}/stuck")), None);
    // pids: the container's own directory never frees.
    m.fs.set_busy(&h.path(&pids), None);

    let err = m.destroy().expect_err("busy directories stay");
    let text = err.to_string();
    let got = left(&h, err);
    assert_eq!(
        got,
        [
            (
                format!("{mem}/stuck"),
                "Device or resource busy; still holds pid(s) 4242".to_string()
            ),
            (mem.clone(), CHILD_STAYED.to_string()),
            (pids.clone(), "Device or resource busy".to_string()),
        ],
        "{text}"
    );
    assert!(
        text.starts_with("could not remove 3 cgroup directories: "),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{mem}/stuck (Device or resource busy; still holds pid(s) 4242)"
        )),
        "{text}"
    );

    // Every other hierarchy, and the free sibling (children first), went.
    for d in V1_DIRS {
        if d != "memory/user.slice" && d != "pids" {
            assert!(!h.path(&v1_dir(d)).exists(), "{d} removed");
        }
    }
    assert!(!h.path(&format!("{mem}/free")).exists(), "sibling removed");
    assert!(h.path(&format!("{mem}/stuck")).is_dir());
    assert!(h.path(&pids).is_dir());

    // Each pass tried each stuck directory rmdir_tries times; the parent of a stuck child
    // is never tried (it cannot go while the child exists).
    let all = (Patience::FAKE.passes * Patience::FAKE.rmdir_tries) as usize;
    assert_eq!(attempts(&h, &m, &format!("{mem}/stuck")), all);
    assert_eq!(attempts(&h, &m, &pids), all);
    assert_eq!(attempts(&h, &m, &mem), 0);
    // Killed before the first pass and again before each later one.
    let k = kills(&h, &m);
    assert_eq!(k.len(), Patience::FAKE.passes as usize, "{k:?}");
    assert!(k.iter().all(|p| p == "4242"), "{k:?}");

    // Once free, a second destroy removes the rest.
    m.fs.set_busy(&h.path(&format!("{mem}/stuck")), Some(0));
    m.fs.set_busy(&h.path(&pids), Some(0));
    m.destroy().expect("the rest goes");
    assert!(!h.path(&mem).exists());
    assert!(!h.path(&pids).exists());
}

#[test]
fn a_named_hierarchy_that_stays_is_not_an_error() {
    let h = v1_host();
    let m = h.created(None);
    let named = v1_dir("systemd/user.slice/session-1.scope");
    m.fs.set_busy(&h.path(&named), None);
    m.destroy().expect("best effort");
    assert!(h.path(&named).is_dir());
    assert!(!h.path(&v1_dir("pids")).exists());
}

#[test]
fn v2_kills_once_through_cgroup_kill_and_reports_a_stuck_child() {
    let h = v2_host();
    let m = h.created(None);
    m.add_pid(777).expect("add");
    h.put(
        &format!("{V2_LEAF}/cgroup.events"),
        "populated 1\nfrozen 0\n",
    );
    h.dir_with(
        &format!("{V2_LEAF}/sub"),
        &[
            ("cgroup.procs", "778\n"),
            ("cgroup.events", "populated 1\n"),
        ],
    );
    m.fs.set_busy(&h.path(&format!("{V2_LEAF}/sub")), None);
    let got = left(&h, m.destroy().expect_err("stuck child"));
    assert_eq!(
        got,
        [
            (
                format!("{V2_LEAF}/sub"),
                "Device or resource busy; still holds pid(s) 778".to_string()
            ),
            (V2_LEAF.to_string(), CHILD_STAYED.to_string()),
        ]
    );
    assert_eq!(
        h.writes_in(&m, V2_LEAF)
            .iter()
            .filter(|(f, _)| f == "cgroup.kill")
            .count(),
        1,
        "one cgroup.kill"
    );
    // Between passes the pids still inside got SIGKILL, not another cgroup.kill.
    let k = kills(&h, &m);
    assert!(
        !k.is_empty() && k.iter().all(|p| p == "777" || p == "778"),
        "{k:?}"
    );
}

#[test]
fn hybrid_removes_v1_and_unified_even_when_one_v1_hierarchy_stays() {
    let h = hybrid_host();
    let m = h.created(None);
    let cpu = "sys/fs/cgroup/cpu/berth/c";
    m.fs.set_busy(&h.path(cpu), None);
    let got = left(&h, m.destroy().expect_err("cpu stays"));
    assert_eq!(
        got,
        [(cpu.to_string(), "Device or resource busy".to_string())]
    );
    for d in [
        "cpuacct", "cpuset", "devices", "freezer", "blkio", "pids", "systemd", "unified",
    ] {
        assert!(
            !h.path(&format!("sys/fs/cgroup/{d}/berth/c")).exists(),
            "{d} removed"
        );
    }
}

#[test]
fn remove_tree_goes_depth_first_and_keeps_going_past_a_failure() {
    let h = v1_host();
    let m = h.created(None);
    let base = v1_dir("pids");
    for d in ["a/a1", "a/a2", "b", "c/c1/c2"] {
        h.v1_dir(&format!("{base}/{d}"), &[]);
    }
    m.fs.set_busy(&h.path(&format!("{base}/a/a1")), None);
    let mut stayed = Vec::new();
    let gone = lifecycle::remove_tree(&m.fs, &h.path(&base), &Patience::FAKE, &mut stayed);
    assert!(!gone);
    let order: Vec<PathBuf> =
        m.fs.rmdir_attempts()
            .into_iter()
            .filter_map(|p| p.strip_prefix(h.path(&base)).ok().map(Path::to_path_buf))
            .collect();
    let tries = Patience::FAKE.rmdir_tries as usize;
    let mut want: Vec<PathBuf> = vec![PathBuf::from("a/a1"); tries];
    want.extend(["a/a2", "b", "c/c1/c2", "c/c1", "c"].map(PathBuf::from));
    assert_eq!(order, want, "children first, siblings despite a failure");
    let stayed: Vec<PathBuf> = stayed.into_iter().map(|s| s.path).collect();
    assert_eq!(
        stayed,
        [
            h.path(&format!("{base}/a/a1")),
            h.path(&format!("{base}/a")),
            h.path(&base)
        ]
    );
    assert!(!h.path(&format!("{base}/a/a2")).exists());
    assert!(!h.path(&format!("{base}/c")).exists());
}

#[test]
fn wait_empty_reads_populated_where_the_hierarchy_has_it() {
    let h = v2_host();
    let m = h.created(None);
    let leaf = h.path(V2_LEAF);
    h.put(
        &format!("{V2_LEAF}/cgroup.events"),
        "populated 0\nfrozen 0\n",
    );
    h.put(&format!("{V2_LEAF}/cgroup.procs"), "55\n");
    assert!(
        !lifecycle::populated(&m.fs, &leaf),
        "events win over a stale procs"
    );
    h.put(
        &format!("{V2_LEAF}/cgroup.events"),
        "populated 1\nfrozen 0\n",
    );
    assert!(lifecycle::populated(&m.fs, &leaf));
    assert_eq!(
        lifecycle::wait_empty(&m.fs, &[leaf.as_path()], &Patience::FAKE),
        [55],
        "the fake never empties: what is left comes back"
    );
    let v1 = v1_host();
    let m1 = v1.created(None);
    let pids = v1.path(&v1_dir("pids"));
    assert!(!lifecycle::populated(&m1.fs, &pids));
    v1.put(&format!("{}/cgroup.procs", v1_dir("pids")), "9\n");
    assert!(lifecycle::populated(&m1.fs, &pids), "v1: the pids listed");
}

#[test]
fn the_error_names_each_directory() {
    let e = Error::CgroupsLeft(vec![(
        PathBuf::from("/sys/fs/cgroup/pids/x"),
        "Device or resource busy".into(),
    )]);
    assert_eq!(
        e.to_string(),
        "could not remove 1 cgroup directory: /sys/fs/cgroup/pids/x (Device or resource busy)"
    );
}
