//! process.terminal through --console-socket: the runtime sends the pty master over a unix
//! socket (SCM_RIGHTS); the harness reads the container's output from it.

use std::time::Duration;

use berth_e2e::{json, Console, ConsoleSocket, Test};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn console_socket_receives_the_pty() {
    let Some(t) = Test::new("console") else {
        return;
    };
    let sock = ConsoleSocket::listen(&t.dir.join("console.sock"), WAIT);
    let mut b = t.bundle("tty");
    b.terminal(true)
        .set("/process/consoleSize", json!({"height": 33, "width": 111}))
        .sh("tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; stty size; echo done-tty");
    let path = sock.path.display().to_string();
    t.rt.create_with(&b.id, &b, &["--console-socket", &path])
        .ok();
    t.rt.start(&b.id).ok();
    let out = match sock.wait(WAIT + Duration::from_secs(2)) {
        Console::Output(s) => s,
        Console::Error(e) => panic!("console socket: {e}"),
    };
    let lines: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.starts_with("/dev/pts/") || *l == "/dev/console"),
        "tty: {out:?}"
    );
    assert_eq!(
        &lines[1..],
        ["all-tty", "33 111", "done-tty"],
        "terminal output: {out:?}"
    );
    assert!(
        out.contains("\r\n"),
        "a pty turns \\n into \\r\\n; got {out:?}"
    );
    t.rt.wait_status(&b.id, "stopped", WAIT);
    t.delete_and_check(&b.id);
}

#[test]
fn terminal_without_console_socket_fails_on_create() {
    let Some(t) = Test::new("console_missing") else {
        return;
    };
    let mut b = t.bundle("nosock");
    b.terminal(true).args(&["true"]);
    t.rt.create(&b.id, &b)
        .fails()
        .stderr_mentions(&["console", "socket", "terminal", "tty"]);
    t.assert_nothing_left(&b.id);
}

#[test]
fn exec_with_tty() {
    let Some(t) = Test::new("exec_tty") else {
        return;
    };
    let b = t.sleeper("exectty");
    t.rt.create_and_start(&b.id, &b);
    let sock = ConsoleSocket::listen(&t.dir.join("exec.sock"), WAIT);
    let path = sock.path.display().to_string();
    t.rt.exec(
        &b.id,
        &["-t", "-d", "--console-socket", &path],
        &["sh", "-c", "[ -t 1 ] && echo exec-tty"],
    )
    .ok();
    match sock.wait(WAIT + Duration::from_secs(2)) {
        Console::Output(s) => assert_eq!(s.trim(), "exec-tty", "{s:?}"),
        Console::Error(e) => panic!("console socket: {e}"),
    }
}
