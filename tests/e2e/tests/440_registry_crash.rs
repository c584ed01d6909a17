//! Pulls that are killed, and pulls that race: a `kill -9` in the middle of a pull leaves a
//! store `system check` calls clean, and the next pull resumes the partial download instead
//! of starting over; two pulls of one image at once both succeed with the same image.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use berth_e2e::registry::{self, Registry};
use berth_e2e::{Berth, Output};

/// Limits the test namespace's loopback to about 4 MB/s, so a pull takes seconds.
fn throttle_loopback(b: &Berth) {
    b.in_netns(&[
        "tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "32mbit", "burst", "256kb",
        "latency", "5s",
    ])
    .ok();
}

/// Pushes an image with one ~16 MB layer nobody can compress to `r` as `big:1`, from a
/// second root (so the pulling root starts empty); returns the reference and image ID.
fn seed(b: &Berth, r: &Registry) -> (String, String) {
    let id = b.busybox_image_with("big:1", |root| {
        fs::create_dir_all(root.join("data")).unwrap();
        fs::write(root.join("data/a"), registry::incompressible(16 << 20, 7)).unwrap();
    });
    let reference = r.image("big:1");
    b.cmd(&["tag", "big:1", &reference]).ok();
    b.cmd(&["push", &reference]).ok();
    (reference, id)
}

/// `berth --root <root> args...` (the test's own root is `b.root`; this one starts empty).
fn in_root(b: &Berth, root: &Path, args: &[&str]) -> Output {
    let mut full = vec!["--root".to_string(), root.display().to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    berth_e2e::cmd::run(&b.bin, &full, &b.dir.join("out"), Duration::from_secs(120))
}

/// Bytes of partial downloads in `root`'s store.
fn partial_bytes(root: &Path) -> u64 {
    fs::read_dir(root.join("store/partial"))
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().ends_with(".pending"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn killed_pull_resumes_and_leaves_a_clean_store() {
    let name = "registry-killed-pull";
    let Some(b) = Berth::new(name) else { return };
    if registry::skip(name) || berth_e2e::peers::skip_unless_installed(name, &[("tc", "iproute2")])
    {
        return;
    }
    let r = Registry::plain(&b.netns, &b.dir);
    let (reference, id) = seed(&b, &r);
    let fresh = b.dir.join("fresh-root");
    throttle_loopback(&b);

    // Start a pull into an empty root and kill it once part of the layer is on disk.
    let mut child = Command::new(&b.bin)
        .args(["--root", fresh.to_str().unwrap(), "pull", "-q", &reference])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn berth pull");
    let deadline = Instant::now() + Duration::from_secs(60);
    while partial_bytes(&fresh) < (2 << 20) && Instant::now() < deadline {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let kept = partial_bytes(&fresh);
    assert!(kept > 0, "the killed pull kept nothing to resume");

    let check = |what: &str| {
        let o = in_root(&b, &fresh, &["system", "check"]);
        assert!(
            o.success() && o.stdout.contains("No problems found"),
            "system check {what}:\n{o}"
        );
    };
    check("after the killed pull");
    let o = in_root(&b, &fresh, &["pull", &reference]).ok();
    assert!(o.stdout.contains("Downloaded newer image"), "{o}");
    check("after the resumed pull");
    let got = in_root(
        &b,
        &fresh,
        &["image", "inspect", "--format", "{{.Id}}", &reference],
    )
    .ok();
    assert_eq!(got.out().trim(), id, "the resumed pull made another image");
    assert_eq!(
        partial_bytes(&fresh),
        0,
        "partial downloads left after a pull"
    );
}

#[test]
fn two_pulls_of_one_image_at_once_both_succeed() {
    let name = "registry-racing-pulls";
    let Some(b) = Berth::new(name) else { return };
    if registry::skip(name) {
        return;
    }
    let r = Registry::plain(&b.netns, &b.dir);
    let (reference, id) = seed(&b, &r);
    let fresh = b.dir.join("race-root");
    let spawn = || {
        Command::new(&b.bin)
            .args(["--root", fresh.to_str().unwrap(), "pull", "-q", &reference])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn berth pull")
    };
    let (one, two) = (spawn(), spawn());
    for c in [one, two] {
        let o = c.wait_with_output().expect("wait for pull");
        assert!(
            o.status.success(),
            "a racing pull failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let got = in_root(
        &b,
        &fresh,
        &["image", "inspect", "--format", "{{.Id}}", &reference],
    )
    .ok();
    assert_eq!(got.out().trim(), id);
    let o = in_root(&b, &fresh, &["system", "check"]);
    assert!(o.stdout.contains("No problems found"), "{o}");
}
