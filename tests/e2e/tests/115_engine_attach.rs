//! stdin and attach: `run -i`, `attach`, `top`, and the always/unless-stopped restart
//! policies.

use std::time::Duration;

use berth_e2e::Berth;

fn setup(name: &str) -> Option<Berth> {
    let b = Berth::new(name)?;
    b.busybox_image("bb");
    Some(b)
}

#[test]
fn run_interactive_reads_stdin() {
    let Some(b) = setup("run-stdin") else { return };
    let input = b.dir.join("input.txt");
    std::fs::write(&input, "one\ntwo\n").unwrap();
    let o = b
        .cmd_stdin(
            &["run", "--rm", "-i", "bb", "sh", "-c", "wc -l; echo done"],
            &input,
        )
        .ok();
    assert_eq!(o.stdout, "2\ndone\n");
    // Without -i the container's stdin is empty.
    let o = b
        .cmd_stdin(&["run", "--rm", "bb", "sh", "-c", "wc -l"], &input)
        .ok();
    assert_eq!(o.out(), "0");
}

#[test]
fn attach_follows_output_and_exit_code() {
    let Some(b) = setup("attach") else { return };
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "att",
        "bb",
        "sh",
        "-c",
        "sleep 1; echo late; exit 4",
    ])
    .ok();
    let o = b.cmd_timeout(&["attach", "att"], Duration::from_secs(20));
    assert_eq!(o.code, Some(4), "{o}");
    assert_eq!(o.stdout, "late\n");
    b.cmd(&["attach", "att"])
        .code_is(1)
        .stderr_mentions(&["stopped container"]);
}

#[test]
fn top_lists_the_processes() {
    let Some(b) = setup("top") else { return };
    b.cmd(&["run", "-d", "--name", "tp", "bb", "sleep", "1000"])
        .ok();
    let o = b.cmd(&["top", "tp"]).ok();
    assert!(
        o.lines()[0].contains("PID") && o.out().contains("sleep 1000"),
        "{o}"
    );
}

#[test]
fn restart_always_and_unless_stopped() {
    let Some(b) = setup("restart-always") else {
        return;
    };
    for policy in ["always", "unless-stopped"] {
        let name = format!("rs-{policy}");
        b.cmd(&[
            "run",
            "-d",
            "--name",
            &name,
            "--restart",
            policy,
            "bb",
            "sh",
            "-c",
            "sleep 0.2; exit 1",
        ])
        .ok();
        let mut count = 0;
        for _ in 0..200 {
            let o = b
                .cmd(&["inspect", "--format", "{{.RestartCount}}", &name])
                .ok();
            count = o.out().parse().unwrap_or(0);
            if count >= 2 {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        assert!(count >= 2, "{policy}: restarted {count} times");
        b.cmd(&["stop", "-t", "1", &name]).ok();
        let o = b
            .cmd(&["inspect", "--format", "{{.State.Status}}", &name])
            .ok();
        assert_eq!(o.out(), "exited", "{policy}: stop must end the restarts");
        std::thread::sleep(Duration::from_millis(500));
        let o = b
            .cmd(&["inspect", "--format", "{{.State.Status}}", &name])
            .ok();
        assert_eq!(o.out(), "exited", "{policy}: restarted after stop");
    }
}

#[test]
fn images_all_and_filters() {
    let Some(b) = setup("images-filter") else {
        return;
    };
    b.cmd(&["tag", "bb", "other:1"]).ok();
    let o = b
        .cmd(&[
            "images",
            "-a",
            "--filter",
            "reference=oth*",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ])
        .ok();
    assert_eq!(o.out(), "other:1");
    let o = b.cmd(&["images", "--filter", "dangling=true", "-q"]).ok();
    assert_eq!(o.out(), "");
    assert_eq!(b.cmd(&["images", "other"]).ok().lines().len(), 2);
    b.cmd(&["images", "--filter", "bogus=1"]).code_is(1);
    let tar = b.busybox_tar("labelled", |_| {});
    b.cmd(&[
        "import",
        "-c",
        "LABEL tier=web",
        tar.to_str().unwrap(),
        "labelled",
    ])
    .ok();
    let o = b
        .cmd(&[
            "images",
            "--filter",
            "label=tier=web",
            "--format",
            "{{.Repository}}",
        ])
        .ok();
    assert_eq!(o.out(), "labelled");
    let o = b
        .cmd(&[
            "images",
            "--filter",
            "since=bb",
            "--format",
            "{{.Repository}}",
        ])
        .ok();
    assert_eq!(o.out(), "labelled");
    let o = b
        .cmd(&[
            "images",
            "--filter",
            "before=labelled",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ])
        .ok();
    let mut names = o.lines();
    names.sort();
    assert_eq!(names, ["bb:latest", "other:1"]);
}

/// Runs `cmd` under `script` (a real pty) whose size is set to 31x101 first.
fn in_terminal(b: &Berth, cmd: &str) -> berth_e2e::Output {
    with_keystrokes(
        b,
        "in-terminal",
        &format!("exec script -qec 'stty rows 31 cols 101; {cmd}' /dev/null"),
    )
}

#[test]
fn terminals_start_with_the_callers_size() {
    let Some(b) = setup("tty-size") else { return };
    let berth = format!("{} --root {}", b.bin.display(), b.root.display());
    let o = in_terminal(&b, &format!("{berth} run --rm -t bb stty size"));
    assert!(o.stdout.contains("31 101"), "run -t: {o}");
    b.cmd(&["run", "-d", "--name", "tty-exec", "bb", "sleep", "1000"])
        .ok();
    let o = in_terminal(&b, &format!("{berth} exec -t tty-exec stty size"));
    assert!(o.stdout.contains("31 101"), "exec -t: {o}");
}

/// Runs `sh -c script` (which pipes keystrokes into `script`, a real pty) and returns it.
fn with_keystrokes(b: &Berth, name: &str, script: &str) -> berth_e2e::Output {
    let wrapper = b.dir.join(format!("{name}.sh"));
    std::fs::write(&wrapper, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    berth_e2e::Output::run_program(&wrapper, &[], &b.dir.join("out"))
}

#[test]
fn run_it_detaches_with_ctrl_p_ctrl_q_and_attach_comes_back() {
    let Some(b) = setup("detach-keys") else {
        return;
    };
    let berth = format!("{} --root {}", b.bin.display(), b.root.display());
    let o = with_keystrokes(
        &b,
        "detach",
        &format!(
            "(printf 'echo hi-from-tty\\r'; sleep 1; printf '\\020\\021'; sleep 1) | script -qec '{berth} run -it --name tt bb sh' /dev/null"
        ),
    );
    assert!(o.success() && o.stdout.contains("hi-from-tty"), "{o}");
    let o = b
        .cmd(&["inspect", "--format", "{{.State.Status}}", "tt"])
        .ok();
    assert_eq!(
        o.out(),
        "running",
        "detaching must leave the container running"
    );
    let o = with_keystrokes(
        &b,
        "attach",
        &format!("(printf 'exit 3\\r'; sleep 1) | script -qec '{berth} attach tt' /dev/null"),
    );
    assert_eq!(o.code, Some(3), "attach relays the exit code: {o}");
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            "tt",
        ])
        .ok();
    assert_eq!(o.out(), "exited 3");
}
