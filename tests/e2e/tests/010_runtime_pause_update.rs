//! pause/resume and update (resources changed on a live container).

use std::fs;
use std::time::Duration;

use berth_e2e::{cgroup, json, Test};

const MIB: u64 = 1024 * 1024;

#[test]
fn pause_and_resume() {
    let Some(t) = Test::new("pause") else { return };
    let ctl = t.host_dir("ctl");
    let mut b = t.bundle("pause");
    b.bind(&ctl, "/ctl", false)
        .sh("i=0; while true; do i=$((i+1)); echo $i > /ctl/tick; sleep 0.02; done");
    t.rt.create_and_start(&b.id, &b);
    assert!(berth_e2e::wait_until(Duration::from_secs(10), || ctl
        .join("tick")
        .exists()));

    t.rt.pause(&b.id).ok();
    assert_eq!(t.rt.status(&b.id).as_deref(), Some("paused"));
    let frozen = cgroup::read("freezer", &b.cgroup(), "freezer.state", "cgroup.freeze");
    assert!(
        matches!(frozen.as_deref(), Some("FROZEN") | Some("1")),
        "freezer says {frozen:?}"
    );
    std::thread::sleep(Duration::from_millis(100));
    let a = fs::read_to_string(ctl.join("tick")).unwrap_or_default();
    std::thread::sleep(Duration::from_millis(300));
    let c = fs::read_to_string(ctl.join("tick")).unwrap_or_default();
    assert_eq!(a, c, "the container kept running while paused");

    t.rt.resume(&b.id).ok();
    assert_eq!(t.rt.status(&b.id).as_deref(), Some("running"));
    assert!(
        berth_e2e::wait_until(Duration::from_secs(5), || fs::read_to_string(
            ctl.join("tick")
        )
        .unwrap_or_default()
            != c),
        "the container did not run again after resume"
    );
}

#[test]
fn pause_paused_and_resume_running_fail() {
    let Some(t) = Test::new("pause_twice") else {
        return;
    };
    let b = t.sleeper("p2");
    t.rt.create_and_start(&b.id, &b);
    // As runc: resume of a running container and pause of a paused one are errors.
    t.rt.resume(&b.id).fails();
    t.rt.pause(&b.id).ok();
    t.rt.pause(&b.id).fails();
    assert_eq!(t.rt.status(&b.id).as_deref(), Some("paused"));
    t.rt.resume(&b.id).ok();
    assert_eq!(t.rt.status(&b.id).as_deref(), Some("running"));
}

#[test]
fn paused_container_can_be_force_deleted() {
    let Some(t) = Test::new("pause_delete") else {
        return;
    };
    let b = t.sleeper("pd");
    t.rt.create_and_start(&b.id, &b);
    t.rt.pause(&b.id).ok();
    t.rt.delete_force(&b.id).ok();
    t.assert_nothing_left(&b.id);
}

fn memory_limit(cg: &str) -> Option<u64> {
    cgroup::read("memory", cg, "memory.limit_in_bytes", "memory.max")?
        .parse()
        .ok()
}

fn pids_limit(cg: &str) -> Option<String> {
    cgroup::read("pids", cg, "pids.max", "pids.max")
}

#[test]
fn update_with_flags() {
    let Some(t) = Test::new("update_flags") else {
        return;
    };
    let mut b = t.bundle("upd");
    b.args(&["sleep", "1000"])
        .resources(json!({"memory": {"limit": 64 * MIB}, "pids": {"limit": 50}}));
    t.rt.create_and_start(&b.id, &b);
    assert_eq!(memory_limit(&b.cgroup()), Some(64 * MIB));
    t.rt.update(
        &b.id,
        &["--memory", &(128 * MIB).to_string(), "--pids-limit", "70"],
    )
    .ok();
    assert_eq!(
        memory_limit(&b.cgroup()),
        Some(128 * MIB),
        "update --memory did not reach the cgroup"
    );
    assert_eq!(
        pids_limit(&b.cgroup()).as_deref(),
        Some("70"),
        "update --pids-limit did not reach the cgroup"
    );
}

#[test]
fn update_with_resources_file() {
    let Some(t) = Test::new("update_file") else {
        return;
    };
    let mut b = t.bundle("updr");
    b.args(&["sleep", "1000"])
        .resources(json!({"memory": {"limit": 64 * MIB}}));
    t.rt.create_and_start(&b.id, &b);
    let f = t.dir.join("resources.json");
    fs::write(
        &f,
        serde_json::to_vec(&json!({"memory": {"limit": 96 * MIB}, "pids": {"limit": 33}})).unwrap(),
    )
    .unwrap();
    t.rt.update(&b.id, &["-r", &f.display().to_string()]).ok();
    assert_eq!(
        memory_limit(&b.cgroup()),
        Some(96 * MIB),
        "update -r did not reach the cgroup"
    );
    assert_eq!(pids_limit(&b.cgroup()).as_deref(), Some("33"));
    t.rt.update(&t.id("nosuch"), &["--memory", "1000000"])
        .fails();
}
