//! containerd drives berth-runc: a private containerd (started by the test, see
//! `berth_e2e::containerd`) imports a busybox image archive made in the test and runs it with
//! `ctr run --runc-binary <berth-runc>`, through `containerd-shim-runc-v2` as Kubernetes would.
//!
//! `BERTH_CONTAINERD_RUNTIME=/usr/sbin/runc` runs the same tests against runc, to check them.
//! `BERTH_E2E_WRITE_FIXTURES=1` saves the config.json containerd generates to
//! `tests/e2e/fixtures/containerd-config.json`, for the runtime's developers.

use std::path::Path;
use std::time::Duration;

use berth_e2e::containerd::Containerd;
use berth_e2e::image_archive::ArchiveFormat;
use berth_e2e::wait_until;

#[test]
fn ctr_run_echo_prints_and_exits_zero() {
    let Some(c) = Containerd::start("ctrd-echo") else {
        return;
    };
    let img = c.import_busybox("echo", ArchiveFormat::Docker);
    let id = c.id("echo");
    let o = c.run(
        &["--rm"],
        &img.normalized,
        &id,
        &["echo", "hello-from-berth"],
    );
    assert!(
        o.success() && o.out() == "hello-from-berth",
        "ctr run echo:\n{}",
        c.explain(&o, &id)
    );
    assert!(
        c.task(&id).is_none(),
        "task {id} still listed after `ctr run --rm`"
    );
    let ls = c.ctr(&["container", "ls", "-q"]).ok();
    assert!(
        !ls.lines().contains(&id),
        "container {id} still listed after `ctr run --rm`:\n{ls}"
    );
}

#[test]
fn ctr_run_passes_the_exit_code_through() {
    let Some(c) = Containerd::start("ctrd-exit") else {
        return;
    };
    // The OCI layout archive here (the Docker one in the other tests): both must import.
    let img = c.import_busybox("exit", ArchiveFormat::Oci);
    let id = c.id("exit7");
    let o = c.run(&["--rm"], &img.normalized, &id, &["sh", "-c", "exit 7"]);
    assert_eq!(
        o.code,
        Some(7),
        "ctr run sh -c 'exit 7':\n{}",
        c.explain(&o, &id)
    );
}

#[test]
fn detached_task_exec_kill_delete() {
    let Some(c) = Containerd::start("ctrd-detached") else {
        return;
    };
    let img = c.import_busybox("detached", ArchiveFormat::Docker);
    let id = c.id("sleeper");
    let o = c.run(&["-d"], &img.normalized, &id, &["sleep", "30"]);
    assert!(o.success(), "ctr run -d sleep 30:\n{}", c.explain(&o, &id));

    let task = c.task(&id);
    let Some((pid, status)) = task.clone() else {
        panic!(
            "task {id} not listed by `ctr task ls`:\n{}",
            c.explain(&c.ctr(&["task", "ls"]), &id)
        );
    };
    assert_eq!(
        status,
        "RUNNING",
        "ctr task ls: {task:?}\n{}",
        c.explain(&o, &id)
    );
    assert!(
        pid > 0 && berth_e2e::leaks::alive(pid),
        "task pid {pid} is not a live process"
    );
    let want = format!("/{}/{id}", c.namespace);
    let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
    assert!(
        cg.lines()
            .any(|l| l.splitn(3, ':').nth(2) == Some(want.as_str())),
        "the task is not in the cgroupsPath containerd asked for ({want}):\n{cg}"
    );
    save_fixture(&c, &id);

    let e = c.exec(&id, "x1", &["echo", "in-exec"]);
    assert!(
        e.success() && e.out() == "in-exec",
        "ctr task exec:\n{}",
        c.explain(&e, &id)
    );
    let e = c.exec(&id, "x2", &["sh", "-c", "exit 3"]);
    assert_eq!(
        e.code,
        Some(3),
        "ctr task exec sh -c 'exit 3':\n{}",
        c.explain(&e, &id)
    );

    let k = c.ctr(&["task", "kill", "-s", "SIGKILL", &id]);
    assert!(k.success(), "ctr task kill:\n{}", c.explain(&k, &id));
    let stopped = wait_until(Duration::from_secs(10), || {
        c.task(&id).is_some_and(|(_, s)| s == "STOPPED")
    });
    assert!(
        stopped,
        "task not STOPPED 10 s after SIGKILL: {:?}\n{}",
        c.task(&id),
        c.explain(&k, &id)
    );
    assert!(
        wait_until(Duration::from_secs(5), || !berth_e2e::leaks::alive(pid)),
        "task pid {pid} survived SIGKILL"
    );

    let d = c.ctr(&["task", "delete", &id]);
    assert!(d.success(), "ctr task delete:\n{}", c.explain(&d, &id));
    assert!(
        c.task(&id).is_none(),
        "task {id} still listed after `ctr task delete`"
    );
    assert!(
        !c.bundle_dir(&id).exists(),
        "bundle {} left after task delete",
        c.bundle_dir(&id).display()
    );
    assert!(
        !c.runtime_root().join(&id).exists(),
        "runtime state {} left after task delete",
        c.runtime_root().join(&id).display()
    );
    let r = c.ctr(&["container", "rm", &id]);
    assert!(r.success(), "ctr container rm:\n{}", c.explain(&r, &id));
}

/// With `BERTH_E2E_WRITE_FIXTURES` set, saves the config.json containerd wrote for `id`.
fn save_fixture(c: &Containerd, id: &str) {
    if std::env::var_os("BERTH_E2E_WRITE_FIXTURES").is_none_or(|v| v.is_empty() || v == "0") {
        return;
    }
    let cfg = c
        .bundle_config(id)
        .unwrap_or_else(|| panic!("no config.json in {}", c.bundle_dir(id).display()));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    std::fs::create_dir_all(&dir).expect("create fixtures dir");
    std::fs::write(dir.join("containerd-config.json"), cfg).expect("write fixture");
}
