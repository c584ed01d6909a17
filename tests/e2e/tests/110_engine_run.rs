//! `run` and the container lifecycle: output, exit codes, signals, detached containers,
//! stop, logs, exec, wait, restart, pause, rename, rm.

use std::time::Duration;

use berth_e2e::Berth;

fn setup(name: &str) -> Option<Berth> {
    let b = Berth::new(name)?;
    b.busybox_image("bb");
    Some(b)
}

#[test]
fn output_and_exit_codes_reach_the_caller() {
    let Some(b) = setup("exit-codes") else { return };
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "bb",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 7",
        ])
        .code_is(7);
    assert_eq!(o.stdout, "out\n");
    assert_eq!(o.stderr, "err\n");
    b.cmd(&["run", "--rm", "bb", "nosuchcmd"]).code_is(127);
    b.cmd(&["run", "--rm", "bb", "/etc/passwd"]).code_is(126);
    b.cmd(&["run", "--rm", "--memory", "lots", "bb", "true"])
        .code_is(125)
        .stderr_mentions(&["--memory"]);
    assert!(b.container_ids().is_empty(), "--rm left containers");
}

#[test]
fn signals_to_the_cli_reach_the_container() {
    let Some(b) = setup("sig-proxy") else { return };
    let mut child = std::process::Command::new(&b.bin)
        .args([
            "--root",
            b.root.to_str().unwrap(),
            "run",
            "--rm",
            "bb",
            "sh",
            "-c",
        ])
        .arg("trap 'echo got TERM; exit 42' TERM; echo ready; while true; do sleep 0.1; done")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut buf = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut buf).unwrap();
    assert_eq!(&buf, b"ready\n");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert_eq!(status.code(), Some(42), "output: {rest}");
    assert_eq!(rest, "got TERM\n");
}

#[test]
fn detached_ps_logs_stop() {
    let Some(b) = setup("detached") else { return };
    let o = b
        .cmd(&[
            "run",
            "-d",
            "--name",
            "web",
            "bb",
            "sh",
            "-c",
            "echo started; echo oops >&2; exec sleep 1000",
        ])
        .ok();
    let id = o.out().trim().to_string();
    assert_eq!(id.len(), 64, "{o}");
    let o = b.cmd(&["ps"]).ok();
    assert!(o.lines()[0].starts_with("CONTAINER ID"), "{o}");
    assert!(
        o.out().contains(&id[..12]) && o.out().contains("web") && o.out().contains("Up "),
        "{o}"
    );
    // Logs: stdout and stderr kept apart.
    let mut logs = b.cmd(&["logs", "web"]).ok();
    for _ in 0..100 {
        if logs.out().contains("started") && logs.stderr.contains("oops") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        logs = b.cmd(&["logs", "web"]).ok();
    }
    assert_eq!(logs.stdout, "started\n");
    assert_eq!(logs.stderr, "oops\n");
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.Running}} {{.Name}}",
            "web",
        ])
        .ok();
    assert_eq!(o.out().trim(), "running true /web");
    // sleep as PID 1 ignores SIGTERM: stop kills it after the timeout, and says so.
    let o = b.cmd(&["stop", "-t", "1", "web"]).ok();
    assert_eq!(o.stdout, "web\n");
    assert!(
        o.stderr.contains("SIGKILL"),
        "stop should say it killed: {o}"
    );
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            &id[..6],
        ])
        .ok();
    assert_eq!(o.out().trim(), "exited 137");
    assert_eq!(b.cmd(&["ps", "-q"]).ok().stdout, "");
    assert!(b.cmd(&["ps", "-a"]).ok().out().contains("Exited (137)"));
    b.cmd(&["rm", "web"]).ok();
    b.cmd(&["inspect", "web"]).fails();
}

#[test]
fn a_relative_root_and_an_idle_monitor() {
    let Some(b) = setup("relative-root") else {
        return;
    };
    // `--root root` from the test dir names the same store as the absolute b.root; the
    // monitor runs in the container's directory, so the root must be made absolute.
    let o = std::process::Command::new(&b.bin)
        .current_dir(&b.dir)
        .args(["--root", "root", "run", "-d", "--name", "rel", "bb"])
        .args(["sh", "-c", "echo hi; exec sleep 1000"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Half a second after the start the idle monitor gives back its start-up code pages;
    // it must serve every client the same afterwards.
    std::thread::sleep(Duration::from_millis(1200));
    let mut logs = b.cmd(&["logs", "rel"]).ok();
    for _ in 0..100 {
        if logs.stdout == "hi\n" {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
        logs = b.cmd(&["logs", "rel"]).ok();
    }
    assert_eq!(logs.stdout, "hi\n");
    assert_eq!(b.cmd(&["exec", "rel", "echo", "x"]).ok().stdout, "x\n");
    b.cmd(&["stop", "-t", "1", "rel"]).ok();
    let o = b
        .cmd(&["inspect", "--format", "{{.State.ExitCode}}", "rel"])
        .ok();
    assert_eq!(o.out().trim(), "137");
    b.cmd(&["rm", "rel"]).ok();
}

#[test]
fn mount_points_come_from_the_shared_skeleton() {
    let Some(b) = setup("skeleton") else { return };
    // The busybox image has no /proc, /sys, /dev or /etc/hosts: they come from one shared
    // read-only skeleton layer, so a container that writes nothing leaves its upper empty.
    let o = b
        .cmd(&[
            "run",
            "--name",
            "s1",
            "bb",
            "sh",
            "-c",
            "ls -d /proc /sys /dev; cat /etc/hostname",
        ])
        .ok();
    assert!(o.out().starts_with("/dev\n/proc\n/sys\n"), "{o}");
    let upper = b
        .cmd(&["inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", "s1"])
        .ok();
    let entries: Vec<_> = std::fs::read_dir(upper.out().trim())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(entries.is_empty(), "upper dir holds {entries:?}");
    b.cmd(&["run", "--rm", "bb", "true"]).ok();
    let skeletons: Vec<_> = std::fs::read_dir(b.root.join("skeletons"))
        .unwrap()
        .collect();
    assert_eq!(skeletons.len(), 1, "one skeleton for one image");
    b.cmd(&["rm", "s1"]).ok();
}

#[test]
fn graceful_stop_is_quick() {
    let Some(b) = setup("graceful-stop") else {
        return;
    };
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "gs",
        "bb",
        "sh",
        "-c",
        "trap 'exit 3' TERM; while true; do sleep 0.1; done",
    ])
    .ok();
    let o = b.cmd(&["stop", "gs"]).ok();
    assert!(
        o.elapsed < Duration::from_secs(5),
        "stop took {:?}",
        o.elapsed
    );
    assert!(!o.stderr.contains("SIGKILL"), "{o}");
    assert_eq!(b.cmd(&["wait", "gs"]).ok().out().trim(), "3");
}

#[test]
fn env_workdir_user_entrypoint_hostname_labels() {
    let Some(b) = setup("process-options") else {
        return;
    };
    let envfile = b.dir.join("env.list");
    std::fs::write(&envfile, "# comment\nFROM_FILE=yes\n").unwrap();
    let o = b
        .cmd(&[
            "run",
            "--rm",
            "-e",
            "A=1",
            "--env-file",
            envfile.to_str().unwrap(),
            "-w",
            "/tmp",
            "--hostname",
            "box",
            "bb",
            "sh",
            "-c",
            "echo $A $FROM_FILE $(pwd) $(hostname) $(cat /etc/hostname)",
        ])
        .ok();
    assert_eq!(o.stdout, "1 yes /tmp box box\n");
    assert_eq!(
        b.cmd(&["run", "--rm", "-u", "1000", "bb", "id", "-u"])
            .ok()
            .stdout,
        "1000\n"
    );
    assert_eq!(
        b.cmd(&["run", "--rm", "-u", "user", "bb", "id", "-un"])
            .ok()
            .stdout,
        "user\n"
    );
    assert_eq!(
        b.cmd(&["run", "--rm", "-u", "1000:100", "bb", "id", "-g"])
            .ok()
            .stdout,
        "100\n"
    );
    b.cmd(&["run", "--rm", "-u", "nobody-here", "bb", "true"])
        .code_is(125)
        .stderr_mentions(&["nobody-here"]);
    assert_eq!(
        b.cmd(&[
            "run",
            "--rm",
            "--entrypoint",
            "echo",
            "bb",
            "via",
            "entrypoint"
        ])
        .ok()
        .stdout,
        "via entrypoint\n"
    );
    b.cmd(&["create", "--name", "lab", "-l", "tier=web", "bb"])
        .ok();
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{index .Config.Labels \"tier\"}}",
            "lab",
        ])
        .ok();
    assert_eq!(o.out().trim(), "web");
    assert_eq!(
        b.cmd(&["ps", "-a", "-q", "--filter", "label=tier=web"])
            .ok()
            .lines()
            .len(),
        1
    );
}

#[test]
fn exec_wait_kill_restart_pause_rename() {
    let Some(b) = setup("lifecycle") else { return };
    b.cmd(&["run", "-d", "--name", "c1", "bb", "sleep", "1000"])
        .ok();
    assert_eq!(
        b.cmd(&["exec", "c1", "echo", "inside"]).ok().stdout,
        "inside\n"
    );
    b.cmd(&["exec", "c1", "sh", "-c", "exit 5"]).code_is(5);
    b.cmd(&["exec", "c1", "nosuch"]).code_is(127);
    // The exec'd process writes to pipes berth relays, never to the caller's own descriptors.
    let o = b
        .cmd(&[
            "exec",
            "c1",
            "sh",
            "-c",
            "readlink /proc/self/fd/1; readlink /proc/self/fd/2 >&1",
        ])
        .ok();
    assert!(o.lines().iter().all(|l| l.starts_with("pipe:")), "{o}");
    let o = b
        .cmd(&["exec", "c1", "sh", "-c", "echo to-out; echo to-err >&2"])
        .ok();
    assert_eq!(
        (o.stdout.as_str(), o.stderr.as_str()),
        ("to-out\n", "to-err\n")
    );
    assert_eq!(
        b.cmd(&["exec", "-u", "1000", "c1", "id", "-u"]).ok().stdout,
        "1000\n"
    );
    b.cmd(&["pause", "c1"]).ok();
    assert!(b.cmd(&["ps"]).ok().out().contains("(Paused)"));
    b.cmd(&["exec", "c1", "true"]).code_is(1);
    b.cmd(&["unpause", "c1"]).ok();
    b.cmd(&["rename", "c1", "c2"]).ok();
    let pid1 = b
        .cmd(&["inspect", "--format", "{{.State.Pid}}", "c2"])
        .ok()
        .out()
        .trim()
        .to_string();
    b.cmd(&["restart", "-t", "0", "c2"]).ok();
    let pid2 = b
        .cmd(&["inspect", "--format", "{{.State.Pid}}", "c2"])
        .ok()
        .out()
        .trim()
        .to_string();
    assert_ne!(pid1, pid2, "restart must make a new process");
    b.cmd(&["kill", "-s", "TERM", "c2"]).ok();
    b.cmd(&["kill", "c2"]).ok();
    assert_eq!(b.cmd(&["wait", "c2"]).ok().out().trim(), "137");
    b.cmd(&["kill", "c2"])
        .fails()
        .stderr_mentions(&["not running"]);
    b.cmd(&["start", "c2"]).ok();
    b.cmd(&["rm", "c2"]).fails().stderr_mentions(&["running"]);
    b.cmd(&["rm", "-f", "c2"]).ok();
}

#[test]
fn twenty_concurrent_runs() {
    let Some(b) = setup("concurrent") else { return };
    let b = std::sync::Arc::new(b);
    let handles: Vec<_> = (0..20)
        .map(|i| {
            let b = b.clone();
            std::thread::spawn(move || b.cmd(&["run", "--rm", "bb", "echo", &format!("n{i}")]))
        })
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        let o = h.join().unwrap();
        assert!(o.success(), "run {i}: {o}");
        assert_eq!(o.stdout, format!("n{i}\n"));
    }
    assert!(b.container_ids().is_empty());
}

/// `ps -a --format '{{.Names}} {{.Status}}'`, one line per container, newest first.
fn ps_lines(b: &Berth, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["ps", "-a", "--format", "{{.Names}} {{.Status}}"];
    args.extend_from_slice(extra);
    b.cmd(&args).ok().lines()
}

#[test]
fn ps_keeps_up_with_starts_after_a_container_stopped_for_good() {
    let Some(b) = setup("ps-listing") else { return };
    b.cmd(&["create", "--name", "fresh", "bb", "true"]).ok();
    // Exits 4 until /again exists, then sleeps.
    let script = "test -e /again && exec sleep 1000; exit 4";
    b.cmd(&["run", "--name", "twice", "bb", "sh", "-c", script])
        .code_is(4);
    b.cmd(&["run", "--name", "newest", "bb", "true"]).ok();
    let first = ps_lines(&b, &[]);
    assert_eq!(first.len(), 3, "{first:?}");
    assert!(first[0].starts_with("newest Exited (0)"), "{first:?}");
    assert!(first[1].starts_with("twice Exited (4)"), "{first:?}");
    assert_eq!(first[2], "fresh Created");
    // The second listing reads the states the first one kept: the same.
    assert_eq!(ps_lines(&b, &[]), first);
    // A start forgets the kept state: running now, then exited with the stop's code.
    let again = b.host_dir("files").join("again");
    std::fs::write(&again, "").unwrap();
    b.cmd(&["cp", again.to_str().unwrap(), "twice:/again"]).ok();
    b.cmd(&["start", "twice"]).ok();
    let running = ps_lines(&b, &[]);
    assert!(running[1].starts_with("twice Up "), "{running:?}");
    assert_eq!(
        b.cmd(&["ps", "--format", "{{.Names}}"]).ok().lines(),
        ["twice"]
    );
    b.cmd(&["kill", "twice"]).ok();
    b.cmd(&["wait", "twice"]).ok();
    let killed = ps_lines(&b, &[]);
    assert!(killed[1].starts_with("twice Exited (137)"), "{killed:?}");
    assert_eq!(ps_lines(&b, &[]), killed);
    // --last and --latest count newest first, before the filters.
    assert_eq!(ps_lines(&b, &["-n", "2"]).len(), 2);
    assert!(ps_lines(&b, &["--latest"])[0].starts_with("newest "));
    assert!(ps_lines(&b, &["-n", "1", "--filter", "name=twice"]).is_empty());
    assert_eq!(
        b.cmd(&["ps", "-a", "-q", "--filter", "status=created"])
            .ok()
            .lines()
            .len(),
        1
    );
    // A rename shows at once; a removal too.
    b.cmd(&["rename", "fresh", "renamed"]).ok();
    b.cmd(&["rm", "newest"]).ok();
    let names = b.cmd(&["ps", "-a", "--format", "{{.Names}}"]).ok().lines();
    assert_eq!(names, ["twice", "renamed"]);
    b.cmd(&["ps", "--filter", "nokeyvalue"]).code_is(1);
}
