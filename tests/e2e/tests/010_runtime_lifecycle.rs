//! Lifecycle: create, start, state, delete, run, exit codes, duplicate ids.

use std::fs;
use std::path::Path;
use std::time::Duration;

use berth_e2e::{leaks, Test, Value};

const WAIT: Duration = Duration::from_secs(10);

/// Blocks inside the container until the host creates `<ctl>/go`, then exits 0.
const WAIT_FOR_GO: &str = "while [ ! -e /ctl/go ]; do sleep 0.05; done";

#[test]
fn create_start_stop_delete() {
    let Some(t) = Test::new("lifecycle") else {
        return;
    };
    let ctl = t.host_dir("ctl");
    let mut b = t.bundle("lc");
    b.bind(&ctl, "/ctl", false)
        .sh(&format!("touch /ctl/started; {WAIT_FOR_GO}"));
    let id = b.id.clone();

    t.rt.create(&id, &b).ok();
    let st = t.rt.state_json(&id);
    assert_eq!(st["status"], "created", "state after create: {st}");
    assert_eq!(st["id"], id.as_str(), "state id: {st}");
    assert!(
        st["ociVersion"].as_str().is_some_and(|v| !v.is_empty()),
        "state has no ociVersion: {st}"
    );
    let bundle = st["bundle"]
        .as_str()
        .unwrap_or_else(|| panic!("state has no bundle: {st}"));
    assert_eq!(
        Path::new(bundle).canonicalize().ok(),
        b.dir.canonicalize().ok(),
        "state bundle: {st}"
    );
    let pid = st["pid"].as_i64().unwrap_or(0) as i32;
    assert!(
        pid > 0 && leaks::alive(pid),
        "state after create must carry the live container pid: {st}"
    );

    // `create` stops before the user process runs.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !ctl.join("started").exists(),
        "the user process ran before `start`"
    );

    t.rt.start(&id).ok();
    assert!(
        berth_e2e::wait_until(WAIT, || ctl.join("started").exists()),
        "user process did not run after start"
    );
    assert_eq!(t.rt.status(&id).as_deref(), Some("running"));
    assert_eq!(t.rt.pid(&id), pid, "pid changed between create and start");

    fs::write(ctl.join("go"), "").unwrap();
    t.rt.wait_status(&id, "stopped", WAIT);
    assert!(
        !leaks::alive(pid),
        "process {pid} still alive after the container stopped"
    );

    t.rt.delete(&id).ok();
    t.rt.state(&id).fails();
    t.assert_nothing_left(&id);
}

#[test]
fn start_twice_fails_and_start_of_unknown_fails() {
    let Some(t) = Test::new("start_twice") else {
        return;
    };
    let b = t.sleeper("st2");
    t.rt.create_and_start(&b.id, &b);
    t.rt.start(&b.id).fails();
    assert_eq!(t.rt.status(&b.id).as_deref(), Some("running"));
    t.rt.start(&t.id("nosuch")).fails();
    t.rt.state(&t.id("nosuch")).fails();
    t.rt.delete(&t.id("nosuch")).fails();
}

#[test]
fn state_json_has_required_fields() {
    let Some(t) = Test::new("state_fields") else {
        return;
    };
    let mut b = t.bundle("sf");
    b.args(&["sleep", "1000"])
        .set("/annotations", berth_e2e::json!({"org.berth.e2e": "yes"}));
    t.rt.create_and_start(&b.id, &b);
    let st: Value = t.rt.state_json(&b.id);
    for k in ["ociVersion", "id", "status", "pid", "bundle"] {
        assert!(!st[k].is_null(), "state lacks {k}: {st}");
    }
    assert_eq!(st["status"], "running");
    assert_eq!(
        st["annotations"]["org.berth.e2e"], "yes",
        "annotations must be in the state: {st}"
    );
}

#[test]
fn delete_running_needs_force() {
    let Some(t) = Test::new("delete_force") else {
        return;
    };
    let b = t.sleeper("df");
    t.rt.create_and_start(&b.id, &b);
    let pid = t.rt.pid(&b.id);

    t.rt.delete(&b.id).fails();
    assert_eq!(
        t.rt.status(&b.id).as_deref(),
        Some("running"),
        "delete without --force must not stop it"
    );

    t.rt.delete_force(&b.id).ok();
    t.rt.state(&b.id).fails();
    assert!(
        berth_e2e::wait_until(WAIT, || !leaks::alive(pid)),
        "process {pid} survived delete --force"
    );
    t.assert_nothing_left(&b.id);
}

#[test]
fn delete_force_of_created_container() {
    let Some(t) = Test::new("delete_created") else {
        return;
    };
    let b = t.bundle("dc");
    t.rt.create(&b.id, &b).ok();
    let pid = t.rt.pid(&b.id);
    t.rt.delete_force(&b.id).ok();
    assert!(
        berth_e2e::wait_until(WAIT, || !leaks::alive(pid)),
        "process {pid} survived delete --force"
    );
    t.assert_nothing_left(&b.id);
}

#[test]
fn run_propagates_exit_code_and_output() {
    let Some(t) = Test::new("run_exit") else {
        return;
    };
    for (script, code) in [
        ("echo hello-from-run", 0),
        ("exit 3", 3),
        ("false", 1),
        ("exit 255", 255),
    ] {
        let mut b = t.bundle("run");
        b.sh(script);
        let o = t.rt.run(&b.id, &b).code_is(code);
        if code == 0 {
            assert_eq!(o.out(), "hello-from-run", "{o}");
        }
        t.rt.state(&b.id).fails();
        t.assert_nothing_left(&b.id);
    }
}

#[test]
fn run_of_missing_executable_fails() {
    let Some(t) = Test::new("run_missing_exe") else {
        return;
    };
    let mut b = t.bundle("nx");
    b.args(&["/no/such/binary"]);
    t.rt.run(&b.id, &b)
        .fails()
        .stderr_mentions(&["/no/such/binary", "no such file", "not found"]);
    t.rt.delete_force(&b.id);
    t.assert_nothing_left(&b.id);
}

#[test]
fn create_with_duplicate_id_fails_and_keeps_the_first() {
    let Some(t) = Test::new("duplicate_id") else {
        return;
    };
    let a = t.sleeper("dup");
    t.rt.create(&a.id, &a).ok();
    let before = t.rt.state_json(&a.id);

    let mut other = t.bundle("dup2");
    other
        .args(&["sleep", "1000"])
        .cgroups_path(&format!("/{}-second", a.id));
    t.rt.create(&a.id, &other).fails().stderr_mentions(&[
        "exist",
        "already",
        "in use",
        a.id.as_str(),
    ]);

    let after = t.rt.state_json(&a.id);
    assert_eq!(
        after["status"], "created",
        "first container disturbed: {after}"
    );
    assert_eq!(after["pid"], before["pid"], "first container's pid changed");
    assert_eq!(
        after["bundle"], before["bundle"],
        "first container's bundle changed"
    );
    let pid = after["pid"].as_i64().unwrap() as i32;
    assert!(leaks::alive(pid));
    assert!(
        berth_e2e::cgroup::existing_dirs(&format!("/{}-second", a.id)).is_empty(),
        "the failed create left a cgroup behind"
    );
    t.rt.start(&a.id).ok();
    assert_eq!(t.rt.status(&a.id).as_deref(), Some("running"));
}

#[test]
fn list_shows_containers() {
    let Some(t) = Test::new("list") else { return };
    let a = t.sleeper("la");
    let b = t.sleeper("lb");
    t.rt.create(&a.id, &a).ok();
    t.rt.create_and_start(&b.id, &b);

    let q = t.rt.list(&["-q"]).ok();
    let mut ids = q.lines();
    ids.sort();
    let mut want = vec![a.id.clone(), b.id.clone()];
    want.sort();
    assert_eq!(ids, want, "list -q:\n{q}");

    let j = t.rt.list(&["--format", "json"]).ok();
    let v: Value =
        serde_json::from_str(&j.stdout).unwrap_or_else(|e| panic!("list json ({e}):\n{j}"));
    let arr = v
        .as_array()
        .unwrap_or_else(|| panic!("list --format json is not an array:\n{j}"));
    let status_of = |id: &str| {
        arr.iter()
            .find(|c| c["id"] == id)
            .map(|c| c["status"].as_str().unwrap_or("").to_string())
    };
    assert_eq!(status_of(&a.id).as_deref(), Some("created"), "{j}");
    assert_eq!(status_of(&b.id).as_deref(), Some("running"), "{j}");

    let table = t.rt.list(&[]).ok();
    assert!(
        table.stdout.contains(&a.id) && table.stdout.contains(&b.id),
        "list table:\n{table}"
    );
}

/// The runtime killed with SIGKILL in the middle of `create` (while a prestart hook runs, after
/// the namespaces and cgroup exist): `delete --force` must still remove everything.
#[test]
fn delete_force_after_the_runtime_was_killed_during_create() {
    let Some(t) = Test::new("killed_create") else {
        return;
    };
    let ctl = t.host_dir("ctl");
    let mut b = t.bundle("kc");
    let hook = format!(
        // Ends when told to, or when the test's dir is gone (never outlives the test).
        "touch {c}/in-hook; while [ ! -e {c}/go ] && [ -d {c} ]; do sleep 0.05; done",
        c = ctl.display()
    );
    b.hook(
        "prestart",
        berth_e2e::json!({"path": "/bin/sh", "args": ["sh", "-c", hook]}),
    )
    .sh("true");
    let id = b.id.clone();
    let mut create = t.rt.spawn_create(&id, &b);
    assert!(
        berth_e2e::wait_until(WAIT, || ctl.join("in-hook").exists()),
        "the prestart hook never ran"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(create.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill the runtime");
    let _ = create.wait();
    // Let the orphaned hook finish.
    fs::write(ctl.join("go"), "").unwrap();
    t.rt.delete_force(&id).ok();
    t.assert_nothing_left(&id);
}

#[test]
fn state_of_a_created_container_follows_its_process() {
    let Some(t) = Test::new("state_created") else {
        return;
    };
    let mut b = t.sleeper("stcreated");
    b.set("/annotations", serde_json::json!({"e2e.key": "e2e-value"}));
    t.rt.create(&b.id, &b).ok();
    // Created: the pid is the live init (still the runtime binary, waiting for start), the
    // annotations are echoed, and state can be asked again and again without changing it.
    for _ in 0..3 {
        let st = t.rt.state_json(&b.id);
        assert_eq!(st["status"], "created", "{st}");
        assert_eq!(st["annotations"]["e2e.key"], "e2e-value", "{st}");
        let pid = st["pid"].as_i64().unwrap_or(0) as i32;
        assert!(pid > 0 && leaks::alive(pid), "{st}");
    }
    // The init dies before start: the container is stopped, and start says so.
    let pid = t.rt.pid(&b.id);
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    t.rt.wait_status(&b.id, "stopped", WAIT);
    t.rt.start(&b.id).fails();
    t.rt.delete(&b.id).ok();
    t.assert_nothing_left(&b.id);
}
