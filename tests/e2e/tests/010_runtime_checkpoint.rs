//! CRIU `checkpoint` and `restore`. Where criu cannot work (not installed, or `criu check`
//! fails, as Debian's criu 3.17 does on kernels whose vDSO layout it does not know), the
//! round trip is skipped with the reason, and the commands must fail clearly, leaving the
//! container as it was.

use std::process::Command;
use std::time::Duration;

use berth_e2e::{wait_until, Test};

const WAIT: Duration = Duration::from_secs(10);

/// Why criu cannot checkpoint here, or `None` when `criu check` passes.
fn criu_unusable() -> Option<String> {
    match Command::new("criu").arg("check").output() {
        Err(e) => Some(format!("no criu program ({e})")),
        Ok(o) if !o.status.success() => {
            let text = String::from_utf8_lossy(&o.stderr);
            let why: Vec<&str> = text.lines().filter(|l| l.contains("Error")).collect();
            Some(format!("`criu check` fails: {}", why.join("; ")))
        }
        Ok(_) => None,
    }
}

fn count(t: &Test, b: &berth_e2e::Bundle) -> u64 {
    let _ = t;
    std::fs::read_to_string(b.rootfs.join("tmp/count"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn checkpoint_and_restore() {
    let Some(t) = Test::new("checkpoint") else {
        return;
    };
    let mut b = t.bundle("ckpt");
    b.sh("i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done");
    t.rt.create_and_start(&b.id, &b);
    assert!(
        wait_until(WAIT, || count(&t, &b) > 0),
        "the counter never ran"
    );
    let images = t.dir.join("images");
    let images_s = images.display().to_string();
    if let Some(why) = criu_unusable() {
        eprintln!("SKIPPED e2e checkpoint/restore round trip: {why}");
        t.rt.cmd(&["checkpoint", "--image-path", &images_s, &b.id])
            .fails()
            .stderr_mentions(&["criu"]);
        assert_eq!(
            t.rt.status(&b.id).as_deref(),
            Some("running"),
            "a failed checkpoint must leave the container running"
        );
        t.rt.delete_force(&b.id).ok();
        // The bundle's cgroup is free again: restore gets as far as criu.
        t.rt.cmd(&[
            "restore",
            "--image-path",
            &images_s,
            "-b",
            &b.dir.display().to_string(),
            "-d",
            &b.id,
        ])
        .fails()
        .stderr_mentions(&["criu"]);
        t.rt.state(&b.id).fails();
        t.assert_nothing_left(&b.id);
        return;
    }
    t.rt.cmd(&["checkpoint", "--image-path", &images_s, &b.id])
        .ok();
    t.rt.state(&b.id).fails();
    let at_checkpoint = count(&t, &b);
    t.rt.cmd(&[
        "restore",
        "--image-path",
        &images_s,
        "-b",
        &b.dir.display().to_string(),
        "-d",
        &b.id,
    ])
    .ok();
    assert_eq!(t.rt.status(&b.id).as_deref(), Some("running"));
    assert!(
        wait_until(WAIT, || count(&t, &b) > at_checkpoint),
        "the restored counter does not continue from {at_checkpoint}"
    );
    t.rt.delete_force(&b.id).ok();
    t.assert_nothing_left(&b.id);
}

/// `berth container checkpoint` / `restore` (podman's commands) on top of the runtime's.
#[test]
fn engine_container_checkpoint_and_restore() {
    let Some(b) = berth_e2e::Berth::new("engine_checkpoint") else {
        return;
    };
    b.busybox_image("bb");
    let name = format!("ckpt-{}", std::process::id());
    b.cmd(&[
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &name,
        "bb",
        "sh",
        "-c",
        "i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done",
    ])
    .ok();
    let export = b.host_dir("export").join("ckpt.tar");
    let export_s = export.display().to_string();
    // Restore without a checkpoint: a clear error.
    b.cmd(&["container", "restore", &name])
        .fails()
        .stderr_mentions(&["already running", "checkpoint"]);
    if let Some(why) = criu_unusable() {
        eprintln!("SKIPPED e2e engine checkpoint/restore round trip: {why}");
        b.cmd(&["container", "checkpoint", "--export", &export_s, &name])
            .fails()
            .stderr_mentions(&["criu"]);
        let o = b.cmd(&["inspect", "-f", "{{.State.Status}}", &name]).ok();
        assert_eq!(
            o.out(),
            "running",
            "a failed checkpoint must leave it running"
        );
        b.cmd(&["rm", "-f", &name]).ok();
        return;
    }
    b.cmd(&["container", "checkpoint", "--export", &export_s, &name])
        .ok();
    assert!(export.is_file(), "no exported checkpoint");
    let o = b.cmd(&["inspect", "-f", "{{.State.Status}}", &name]).ok();
    assert_ne!(o.out(), "running");
    b.cmd(&["container", "restore", "--import", &export_s, &name])
        .ok();
    let o = b.cmd(&["inspect", "-f", "{{.State.Status}}", &name]).ok();
    assert_eq!(o.out(), "running");
    b.cmd(&["rm", "-f", &name]).ok();
}
