//! Namespaces: uts (hostname, domainname), pid, net (new and joined by path), ipc, cgroup,
//! and user namespaces with uid/gid mappings.

use berth_e2e::{json, Test};

fn host_ns(ns: &str) -> String {
    Test::ns_of(std::process::id() as i32, ns)
}

#[test]
fn hostname_in_uts_namespace() {
    let Some(t) = Test::new("uts") else { return };
    let mut b = t.bundle("uts");
    b.namespace("uts", None)
        .hostname("berth-e2e-host")
        .sh("hostname; readlink /proc/self/ns/uts");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert_eq!(l.len(), 2, "{o}");
    assert_eq!(l[0], "berth-e2e-host", "{o}");
    assert_ne!(l[1], host_ns("uts"), "not in a new uts namespace");
}

/// `domainname` is in runtime-spec 1.1 (runc 1.1 predates it).
#[test]
fn domainname_in_uts_namespace() {
    let Some(t) = Test::new("domainname") else {
        return;
    };
    let mut b = t.bundle("dom");
    b.namespace("uts", None)
        .set("/domainname", json!("e2e.example"))
        .args(&["cat", "/proc/sys/kernel/domainname"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), "e2e.example", "{o}");
}

#[test]
fn pid_namespace_process_is_pid_1() {
    let Some(t) = Test::new("pidns") else { return };
    let mut b = t.bundle("pid");
    b.namespace("pid", None)
        .sh("echo $$; readlink /proc/self/ns/pid; ls /proc | grep -c '^[0-9]'");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert_eq!(
        l.first().map(String::as_str),
        Some("1"),
        "the container process must be pid 1: {o}"
    );
    assert_ne!(
        l.get(1).cloned().unwrap_or_default(),
        host_ns("pid"),
        "not in a new pid namespace: {o}"
    );
    let n: u32 = l.get(2).and_then(|s| s.parse().ok()).unwrap_or(999);
    assert!(
        n <= 4,
        "a new pid namespace sees only its own few processes, saw {n}: {o}"
    );
}

#[test]
fn new_network_namespace_has_only_lo() {
    let Some(t) = Test::new("netns") else { return };
    let mut b = t.bundle("net");
    b.namespace("network", None)
        .sh("readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert_ne!(
        l.first().cloned().unwrap_or_default(),
        host_ns("net"),
        "{o}"
    );
    assert_eq!(&l[1..], ["lo"], "{o}");
}

#[test]
fn join_network_namespace_by_path() {
    let Some(t) = Test::new("netns_join") else {
        return;
    };
    let mut a = t.bundle("nsa");
    a.namespace("network", None).args(&["sleep", "1000"]);
    t.rt.create_and_start(&a.id, &a);
    let apid = t.rt.pid(&a.id);
    let a_ns =
        t.rt.exec(&a.id, &[], &["readlink", "/proc/self/ns/net"])
            .ok();

    let mut b = t.bundle("nsb");
    b.namespace("network", Some(&format!("/proc/{apid}/ns/net")))
        .args(&["readlink", "/proc/self/ns/net"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), a_ns.out(), "B did not join A's network namespace");
    assert_eq!(o.out(), Test::ns_of(apid, "net"));
    assert_ne!(o.out(), host_ns("net"));
}

#[test]
fn ipc_and_cgroup_namespaces() {
    let Some(t) = Test::new("ipc_cgroupns") else {
        return;
    };
    let mut b = t.bundle("ipc");
    b.namespace("ipc", None)
        .namespace("cgroup", None)
        .sh("readlink /proc/self/ns/ipc; readlink /proc/self/ns/cgroup; cat /proc/self/cgroup");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert_ne!(l[0], host_ns("ipc"), "{o}");
    assert_ne!(l[1], host_ns("cgroup"), "{o}");
    // Inside a cgroup namespace rooted at the container's cgroup, paths read "/".
    for line in &l[2..] {
        let path = line.splitn(3, ':').nth(2).unwrap_or("");
        assert!(
            !path.contains(&b.id),
            "cgroup path leaks the host hierarchy in a cgroup namespace: {o}"
        );
    }
}

#[test]
fn without_a_uts_namespace_the_host_name_is_shared() {
    let Some(t) = Test::new("no_uts") else { return };
    let mut b = t.bundle("nouts");
    b.remove_namespace("uts")
        .remove("/hostname")
        .args(&["readlink", "/proc/self/ns/uts"]);
    let o = t.rt.run(&b.id, &b).ok();
    assert_eq!(o.out(), host_ns("uts"), "{o}");
}

#[test]
fn user_namespace_with_mappings() {
    let Some(t) = Test::new("userns") else { return };
    let mut b = t.bundle("user");
    b.namespace("user", None)
        .set(
            "/linux/uidMappings",
            json!([{"containerID": 0, "hostID": 100000, "size": 65536}]),
        )
        .set(
            "/linux/gidMappings",
            json!([{"containerID": 0, "hostID": 100000, "size": 65536}]),
        )
        .sh("id -u; id -g; cat /proc/self/uid_map; cat /proc/self/gid_map");
    let o = t.rt.run(&b.id, &b).ok();
    let l = o.lines();
    assert_eq!(l.len(), 4, "{o}");
    assert_eq!(l[0], "0", "uid inside: {o}");
    assert_eq!(l[1], "0", "gid inside: {o}");
    let words = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(words(&l[2]), ["0", "100000", "65536"], "uid_map: {o}");
    assert_eq!(words(&l[3]), ["0", "100000", "65536"], "gid_map: {o}");
}

#[test]
fn user_namespace_process_runs_as_mapped_host_uid() {
    let Some(t) = Test::new("userns_host") else {
        return;
    };
    let mut b = t.bundle("userh");
    b.namespace("user", None)
        .set(
            "/linux/uidMappings",
            json!([{"containerID": 0, "hostID": 200000, "size": 1000}]),
        )
        .set(
            "/linux/gidMappings",
            json!([{"containerID": 0, "hostID": 200000, "size": 1000}]),
        )
        .args(&["sleep", "1000"]);
    t.rt.create_and_start(&b.id, &b);
    let pid = t.rt.pid(&b.id);
    let st = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let uid = berth_e2e::status_field(&st, "Uid").unwrap_or_default();
    assert_eq!(
        uid.split_whitespace().next(),
        Some("200000"),
        "host view of the container uid: {uid}"
    );
}
