//! The API's streams: attach (hijacked, to a created container started afterwards and to a
//! running one), logs (framed stdout/stderr, follow), exec (exit codes, stdin, TTY) and
//! resize, through raw requests and Debian's docker CLI.
//!
//! The docker CLI inspects a container before `logs`, `exec` and `attach`, and `run` creates,
//! waits and starts through the containers routes: those tests are skipped (said on stderr)
//! when the service has no `GET /containers/{id}/json` yet.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use berth_e2e::api::Api;
use berth_e2e::Output;

fn setup(name: &str) -> Option<Api> {
    let api = Api::new(name)?;
    api.berth.busybox_image("bb");
    Some(api)
}

/// One raw request on the service's socket with the given extra headers; returns the
/// status line's code, the headers and the stream (positioned after the headers).
fn open(
    socket: &Path,
    method: &str,
    path: &str,
    body: &str,
    upgrade: bool,
) -> (u16, String, UnixStream) {
    let mut s = UnixStream::connect(socket).expect("connect to the service");
    s.set_read_timeout(Some(Duration::from_secs(60))).ok();
    let extra = if upgrade {
        "Connection: Upgrade\r\nUpgrade: tcp\r\n"
    } else {
        "Connection: close\r\n"
    };
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: berth\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send the request");
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => break,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head, s)
}

/// The rest of a response body: de-chunked when the headers say so.
fn body(head: &str, s: &mut UnixStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return raw;
    }
    let mut out = Vec::new();
    let mut rest = &raw[..];
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&rest[..i]).trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < i + 2 + n {
            break;
        }
        out.extend_from_slice(&rest[i + 2..i + 2 + n]);
        rest = &rest[(i + 4 + n).min(rest.len())..];
    }
    out
}

/// Splits a multiplexed stream into (stdout, stderr).
fn demux(mut b: &[u8]) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while b.len() >= 8 {
        let n = u32::from_be_bytes([b[4], b[5], b[6], b[7]]) as usize;
        assert_eq!(&b[1..4], [0, 0, 0], "frame header");
        let data = &b[8..(8 + n).min(b.len())];
        match b[0] {
            1 => out.extend_from_slice(data),
            2 => err.extend_from_slice(data),
            k => panic!("unexpected stream {k} in a multiplexed stream"),
        }
        b = &b[(8 + n).min(b.len())..];
    }
    assert!(b.is_empty(), "a partial frame at the end: {b:?}");
    (
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

/// A GET whose whole (de-chunked) body is read; (status, content type, body).
fn get(api: &Api, path: &str) -> (u16, String, Vec<u8>) {
    let (status, head, mut s) = open(&api.socket, "GET", path, "", false);
    let ct = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    (status, ct, body(&head, &mut s))
}

#[test]
fn logs_split_streams_follow_and_tail() {
    let Some(api) = setup("api-logs") else { return };
    let b = &api.berth;
    b.cmd(&[
        "run",
        "-d",
        "--name",
        "lg",
        "bb",
        "sh",
        "-c",
        "echo out; echo err >&2; sleep 1; echo late",
    ])
    .ok();
    // Follow: ends by itself when the container exits.
    let (status, ct, raw) = get(&api, "/v1.41/containers/lg/logs?stdout=1&stderr=1&follow=1");
    assert_eq!(status, 200);
    assert_eq!(ct, "application/vnd.docker.multiplexed-stream");
    assert_eq!(demux(&raw), ("out\nlate\n".into(), "err\n".into()));
    let (_, _, raw) = get(&api, "/containers/lg/logs?stdout=1&tail=1");
    assert_eq!(demux(&raw), ("late\n".into(), String::new()));
    let (_, _, raw) = get(&api, "/containers/lg/logs?stderr=1&timestamps=1");
    let (_, err) = demux(&raw);
    assert!(err.ends_with(" err\n") && err.starts_with("20"), "{err:?}");
    let (status, body) = api.request_json("GET", "/containers/lg/logs", None);
    assert_eq!(status, 400, "{body}");
    let (status, _) = api.request_json("GET", "/containers/nope/logs?stdout=1", None);
    assert_eq!(status, 404);
    // A TTY's log is one raw stream.
    b.cmd(&["run", "-d", "-t", "--name", "lt", "bb", "echo", "tty-out"])
        .ok();
    b.cmd(&["wait", "lt"]).ok();
    let (_, ct, raw) = get(&api, "/containers/lt/logs?stdout=1&stderr=1");
    assert_eq!(ct, "application/vnd.docker.raw-stream");
    assert!(String::from_utf8_lossy(&raw).contains("tty-out"), "{raw:?}");
}

/// Starts an attached exec with `stdin` sent (then EOF); returns its demuxed output.
fn exec_start(api: &Api, id: &str, stdin: &[u8]) -> (String, String) {
    let (status, head, mut s) = open(
        &api.socket,
        "POST",
        &format!("/v1.41/exec/{id}/start"),
        r#"{"Detach":false,"Tty":false}"#,
        true,
    );
    assert_eq!(status, 101, "{head}");
    assert!(head.contains("multiplexed-stream"), "{head}");
    s.write_all(stdin).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    demux(&raw)
}

fn exec_create(api: &Api, container: &str, body: &str) -> String {
    let (status, v) = api.request_json(
        "POST",
        &format!("/v1.41/containers/{container}/exec"),
        Some(body),
    );
    assert_eq!(status, 201, "{v}");
    v["Id"].as_str().expect("Id").to_string()
}

#[test]
fn exec_exit_code_streams_and_stdin_raw() {
    let Some(api) = setup("api-exec-raw") else {
        return;
    };
    api.berth
        .cmd(&["run", "-d", "--name", "ex", "bb", "sleep", "1000"])
        .ok();
    let id = exec_create(
        &api,
        "ex",
        r#"{"AttachStdout":true,"AttachStderr":true,"Cmd":["sh","-c","echo o; echo e >&2; exit 3"]}"#,
    );
    let (status, v) = api.request_json("GET", &format!("/exec/{id}/json"), None);
    assert_eq!(
        (status, &v["Running"], &v["ExitCode"]),
        (200, &false.into(), &serde_json::Value::Null),
        "{v}"
    );
    assert_eq!(exec_start(&api, &id, b""), ("o\n".into(), "e\n".into()));
    let (_, v) = api.request_json("GET", &format!("/exec/{id}/json"), None);
    assert_eq!(
        (v["ExitCode"].as_i64(), v["Running"].as_bool()),
        (Some(3), Some(false)),
        "{v}"
    );
    let (status, _) = api.request_json("POST", &format!("/exec/{id}/start"), Some("{}"));
    assert_eq!(status, 409, "an exec starts once");
    // stdin to the process, EOF closes it.
    let id = exec_create(
        &api,
        "ex",
        r#"{"AttachStdin":true,"AttachStdout":true,"AttachStderr":true,"Cmd":["sh","-c","wc -l; echo done"]}"#,
    );
    let (out, _) = exec_start(&api, &id, b"one\ntwo\nthree\n");
    assert_eq!(out, "3\ndone\n");
    // Bad requests.
    let (status, _) = api.request_json("POST", "/containers/ex/exec", Some(r#"{"Cmd":[]}"#));
    assert_eq!(status, 400);
    let (status, _) = api.request_json("POST", "/containers/ex/exec", Some("{"));
    assert_eq!(status, 400);
    let (status, _) =
        api.request_json("POST", "/containers/nope/exec", Some(r#"{"Cmd":["true"]}"#));
    assert_eq!(status, 404);
    let (status, _) = api.request_json("GET", "/exec/nope/json", None);
    assert_eq!(status, 404);
    api.berth
        .cmd(&["create", "--name", "stopped", "bb", "true"])
        .ok();
    let (status, _) = api.request_json(
        "POST",
        "/containers/stopped/exec",
        Some(r#"{"Cmd":["true"]}"#),
    );
    assert_eq!(status, 409);
}

#[test]
fn attach_before_start_gets_all_output_and_stdin() {
    let Some(api) = setup("api-attach-raw") else {
        return;
    };
    let b = &api.berth;
    b.cmd(&[
        "create",
        "-i",
        "--name",
        "at",
        "bb",
        "sh",
        "-c",
        "echo first; read l; echo got $l; echo oops >&2; exit 5",
    ])
    .ok();
    let (status, head, mut s) = open(
        &api.socket,
        "POST",
        "/v1.41/containers/at/attach?stream=1&stdin=1&stdout=1&stderr=1",
        "",
        true,
    );
    assert_eq!(status, 101, "{head}");
    // The attach spawned the monitor; start tells that one to start.
    b.cmd(&["start", "at"]).ok();
    s.write_all(b"x\n").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    assert_eq!(demux(&raw), ("first\ngot x\n".into(), "oops\n".into()));
    let o = b
        .cmd(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            "at",
        ])
        .ok();
    assert_eq!(o.out(), "exited 5");
    // logs=1 without stream: what was logged, then the end.
    let (status, _, mut s) = open(
        &api.socket,
        "POST",
        "/containers/at/attach?logs=1&stdout=1",
        "",
        true,
    );
    assert_eq!(status, 101);
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    assert_eq!(demux(&raw).0, "first\ngot x\n");
    // Resize: a running TTY container's terminal follows.
    b.cmd(&[
        "run",
        "-d",
        "-t",
        "--name",
        "rz",
        "bb",
        "sh",
        "-c",
        "while true; do stty size; sleep 0.2; done",
    ])
    .ok();
    let (status, _) = api.request("POST", "/containers/rz/resize?h=31&w=101", None);
    assert_eq!(status, 200);
    let (status, _) = api.request("POST", "/containers/rz/resize?h=31", None);
    assert_eq!(status, 400);
    let mut size = String::new();
    berth_e2e::wait_until(Duration::from_secs(10), || {
        size = String::from_utf8_lossy(&get(&api, "/containers/rz/logs?stdout=1").2).into_owned();
        size.contains("31 101")
    });
    assert!(size.contains("31 101"), "{size:?}");
    b.cmd(&["rm", "-f", "rz"]).ok();
}

/// Whether the service has the containers routes the docker CLI needs (else the test says
/// so and is skipped).
fn has_container_routes(api: &Api, test: &str) -> bool {
    let (status, body) = api.request_json("GET", "/containers/none-such/json", None);
    let missing = status == 404 && body["message"] == "page not found";
    if missing {
        eprintln!("{test}: skipped: the service has no containers routes yet");
    }
    !missing
}

/// `docker args...` under `script` (a pty of 31x101 for the CLI).
fn docker_in_terminal(api: &Api, name: &str, args: &str, input: &str) -> Output {
    let wrapper = api.berth.dir.join(format!("{name}.sh"));
    let docker = api.docker_bin.display().to_string();
    let script = format!(
        "#!/bin/sh\n({input}) | script -qec 'stty rows 31 cols 101; {docker} {args}' /dev/null\n"
    );
    std::fs::write(&wrapper, script).unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    Output::run_program(&wrapper, &[], &api.berth.dir.join("out"))
}

#[test]
fn docker_run_logs_attach() {
    let Some(api) = setup("api-docker-run") else {
        return;
    };
    if !has_container_routes(&api, "docker_run_logs_attach") {
        return;
    }
    let o = api.docker(&["run", "--rm", "bb", "echo", "hi"]).ok();
    assert_eq!(o.stdout, "hi\n");
    // (Not --rm: `wait?condition=removed` is the containers routes' business.)
    api.docker(&[
        "run",
        "--name",
        "ex3",
        "bb",
        "sh",
        "-c",
        "echo e >&2; exit 3",
    ])
    .code_is(3)
    .stderr_mentions(&["e"]);
    let input = api.berth.dir.join("input.txt");
    std::fs::write(&input, "one\ntwo\n").unwrap();
    let o = api
        .docker_stdin(
            &["run", "--rm", "-i", "bb", "sh", "-c", "wc -l; echo done"],
            &input,
        )
        .ok();
    assert_eq!(o.stdout, "2\ndone\n");
    let o = docker_in_terminal(
        &api,
        "run-t",
        "run --rm -t bb sh -c \"tty; stty size\"",
        "sleep 2",
    );
    assert!(o.success() && o.stdout.contains("/dev/pts"), "{o}");
    // logs and logs -f (which ends when the container does).
    api.docker(&[
        "run",
        "-d",
        "--name",
        "dl",
        "bb",
        "sh",
        "-c",
        "echo a; echo b >&2; sleep 1; echo c",
    ])
    .ok();
    let o = api.docker(&["logs", "-f", "dl"]).ok();
    assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("a\nc\n", "b\n"));
    let o = api.docker(&["logs", "--tail", "1", "dl"]).ok();
    assert_eq!(o.stdout, "c\n");
    // start -a: attach (the monitor spawned, waiting), then start that monitor.
    let o = api.docker(&["start", "-a", "dl"]).ok();
    assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("a\nc\n", "b\n"));
    // attach to a running container: its output from then on, its exit code.
    api.docker(&[
        "run",
        "-d",
        "--name",
        "da",
        "bb",
        "sh",
        "-c",
        "sleep 1; echo late; exit 4",
    ])
    .ok();
    let o = api.docker(&["attach", "da"]);
    assert_eq!((o.code, o.stdout.as_str()), (Some(4), "late\n"), "{o}");
}

#[test]
fn docker_exec() {
    let Some(api) = setup("api-docker-exec") else {
        return;
    };
    if !has_container_routes(&api, "docker_exec") {
        return;
    }
    api.berth
        .cmd(&["run", "-d", "--name", "dx", "bb", "sleep", "1000"])
        .ok();
    let o = api.docker(&["exec", "dx", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (Some(7), "out\n", "err\n"),
        "{o}"
    );
    let input = api.berth.dir.join("input.txt");
    std::fs::write(&input, "a\nb\nc\n").unwrap();
    let o = api
        .docker_stdin(&["exec", "-i", "dx", "wc", "-l"], &input)
        .ok();
    assert_eq!(o.out(), "3");
    api.docker(&["exec", "-d", "dx", "sh", "-c", "echo detached > /tmp/f"])
        .ok();
    let mut seen = String::new();
    berth_e2e::wait_until(Duration::from_secs(10), || {
        seen = api.docker(&["exec", "dx", "cat", "/tmp/f"]).stdout;
        seen == "detached\n"
    });
    assert_eq!(seen, "detached\n", "exec -d ran");
    api.docker(&["exec", "dx", "no-such-command"])
        .code_is(127)
        .stderr_mentions(&["not found", "no such file"]);
    let o = docker_in_terminal(
        &api,
        "exec-it",
        "exec -it dx sh -c \"tty; stty size\"",
        "sleep 2",
    );
    assert!(o.success() && o.stdout.contains("/dev/pts"), "{o}");
    assert!(
        o.stdout.contains("31 101"),
        "the exec's terminal has the CLI's size: {o}"
    );
    let o = docker_in_terminal(
        &api,
        "exec-it-exit",
        "exec -it dx sh",
        "printf 'exit 6\\r'; sleep 2",
    );
    assert_eq!(o.code, Some(6), "{o}");
    api.berth.cmd(&["rm", "-f", "dx"]).ok();
}
