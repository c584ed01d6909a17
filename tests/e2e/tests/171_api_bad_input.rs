//! Hostile input to the Docker Engine API service: malformed and mistyped JSON, bodies over
//! the JSON limit, bad percent-encoding, path traversal in names and archive paths, unknown
//! routes, methods and API versions, requests cut off mid-body, clients that leave during a
//! streamed response, many clients at once. Each gets a 4xx with `{"message"}` (or the
//! connection ends); afterwards the service still answers `/_ping` and `docker ps`, never
//! logged a panic, and wrote nothing outside its state root.

use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use berth_e2e::api::Api;

/// Sends raw bytes on a new connection (in a thread, so that a service that answers early
/// and closes does not block the write) and reads what comes back; (status, text).
fn raw(socket: &Path, bytes: Vec<u8>) -> (u16, String) {
    let s = UnixStream::connect(socket).expect("connect to the service");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut w = s.try_clone().expect("clone the socket");
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&bytes);
    });
    let mut out = Vec::new();
    let _ = (&s).read_to_end(&mut out);
    let _ = s.shutdown(std::net::Shutdown::Both);
    let _ = writer.join();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// Asserts a 4xx in `allowed` with dockerd's `{"message": "..."}` body.
fn refused(api: &Api, method: &str, path: &str, body: Option<&str>, allowed: &[u16]) {
    let (status, text) = api.request(method, path, body);
    assert!(
        allowed.contains(&status),
        "{method} {path}: status {status}, want one of {allowed:?}: {text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text:?}"));
    assert!(
        v["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{method} {path}: no message: {text}"
    );
}

/// The entries of the test dir outside the state root (what the service might write).
fn outside_root(api: &Api) -> BTreeSet<String> {
    fs::read_dir(&api.berth.dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "out")
                .collect()
        })
        .unwrap_or_default()
}

fn assert_alive(api: &Api) {
    let (status, body) = api.request("GET", "/_ping", None);
    assert_eq!(
        (status, body.as_str()),
        (200, "OK"),
        "{}",
        api.service_log()
    );
}

#[test]
fn hostile_requests_get_errors_and_the_service_lives_on() {
    let Some(api) = Api::new("api-bad-input") else {
        return;
    };
    let image = api.berth.busybox_image("bb");
    api.berth
        .cmd(&["run", "-d", "--name", "bad-c1", &image, "sleep", "300"])
        .ok();
    let before = outside_root(&api);
    let marker = format!("berth-escape-{}", std::process::id());

    // Malformed JSON and wrong types.
    for (path, body) in [
        ("/containers/create", "{"),
        ("/containers/create", "[1,2]"),
        ("/containers/create", r#"{"Image": 5}"#),
        ("/containers/create", r#"{"Image":"bb","Cmd":{"a":1}}"#),
        (
            "/containers/create",
            r#"{"Image":"bb","HostConfig":{"Memory":"lots"}}"#,
        ),
        (
            "/containers/create",
            r#"{"Image":"bb","HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":"99999"}]}}}"#,
        ),
        (
            "/containers/create",
            r#"{"Image":"bb","HostConfig":{"Binds":["::::"]}}"#,
        ),
        (
            "/containers/create",
            "{\"Image\":\"bb\",\"Env\":[\"\u{0}\"]}\u{0}",
        ),
        ("/networks/create", "[]"),
        ("/networks/create", r#"{"Name":7}"#),
        ("/volumes/create", r#""x""#),
        ("/volumes/create", r#"{"Labels":[1]}"#),
        ("/containers/bad-c1/exec", r#"{"Cmd":"ls"}"#),
        ("/containers/bad-c1/exec", r#"{"Cmd":[]}"#),
        ("/containers/bad-c1/update", r#"{"Memory":-5}"#),
        ("/containers/bad-c1/update", r#"{"Memory":"x"}"#),
    ] {
        refused(&api, "POST", path, Some(body), &[400]);
    }
    // Deep nesting (serde's recursion limit, not the stack) and a very long query.
    let deep = format!(
        "{{\"Image\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    refused(&api, "POST", "/containers/create", Some(&deep), &[400]);
    let deep_filters = format!("/containers/json?filters={}", "%5B".repeat(20_000));
    refused(&api, "GET", &deep_filters, None, &[400]);
    let many = format!("/containers/json?{}", "a=1&".repeat(20_000));
    let (status, text) = api.request("GET", &many, None);
    assert!(
        status == 200 || (400..500).contains(&status),
        "{status}: {text}"
    );

    // Bad query values and percent-encoding.
    for path in [
        "/containers/json?filters=%ZZ",
        "/containers/json?filters=%7B",
        "/containers/json?filters=%5B1%5D",
        "/containers/json?filters=%7B%22status%22%3A7%7D",
        "/containers/json?limit=many",
        "/images/json?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D",
        "/containers/bad-c1/logs?since=%ff&stdout=1",
        "/containers/bad-c1/resize?h=-1&w=10",
        // Times out of range: a panic (an abort in a release build) before the fix.
        "/containers/bad-c1/logs?since=19999999999900000000&stdout=1",
        "/events?since=1e300",
        "/events?until=inf",
        "/containers/prune?filters=%7B%22until%22%3A%5B%221e300%22%5D%7D",
    ] {
        let method = if path.contains("resize") || path.contains("prune") {
            "POST"
        } else {
            "GET"
        };
        refused(&api, method, path, None, &[400]);
    }
    // Path traversal in names: never a 500, never a host file.
    for (method, path, body) in [
        ("GET", "/containers/..%2F..%2Fx/json", None),
        ("GET", "/containers/%ff%fe/json", None),
        ("GET", "/containers/../../../etc/json", None),
        ("GET", "/images/../../etc/passwd/json", None),
        ("GET", "/images/..%2F..%2Fetc%2Fpasswd/json", None),
        ("GET", "/volumes/..%2F..%2Fx", None),
        ("DELETE", "/volumes/..%2F..%2Fx", None),
        ("GET", "/networks/..%2F..%2Fx", None),
        ("GET", "/exec/..%2F..%2Fx/json", None),
        ("POST", "/volumes/create", Some(r#"{"Name":"../../x"}"#)),
        ("POST", "/networks/create", Some(r#"{"Name":"../../x"}"#)),
        (
            "POST",
            "/containers/create?name=..%2F..%2Fx",
            Some(r#"{"Image":"bb"}"#),
        ),
    ] {
        refused(&api, method, path, body, &[400, 404]);
    }
    let (status, body) = api.request(
        "GET",
        "/containers/bad-c1/archive?path=../../../etc/passwd",
        None,
    );
    if status == 200 {
        let host = fs::read_to_string("/etc/passwd").unwrap_or_default();
        assert!(
            host.lines().count() < 3 || !body.contains(host.lines().last().unwrap_or("")),
            "archive path=../../.. read the host's /etc/passwd"
        );
    }
    // A tar put at path=../../.. lands in the container's root, not the host's.
    let src = api.berth.dir.join("tar-src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join(&marker), "inside\n").unwrap();
    let tar = api.berth.dir.join("put.tar");
    let st = Command::new("tar")
        .arg("-cf")
        .arg(&tar)
        .arg("-C")
        .arg(&src)
        .arg(&marker)
        .status()
        .expect("tar");
    assert!(st.success());
    let tar_bytes = fs::read(&tar).unwrap();
    let mut req = format!(
        "PUT /containers/bad-c1/archive?path=..%2F..%2F.. HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nContent-Type: application/x-tar\r\nContent-Length: {}\r\n\r\n",
        tar_bytes.len()
    )
    .into_bytes();
    req.extend_from_slice(&tar_bytes);
    let (status, text) = raw(&api.socket, req);
    assert!(
        status == 200 || status == 400 || status == 404,
        "archive put ../../..: {text}"
    );
    assert!(
        !Path::new("/").join(&marker).exists(),
        "a file escaped to the host's /"
    );
    if status == 200 {
        let out = api
            .berth
            .cmd(&["exec", "bad-c1", "cat", &format!("/{marker}")])
            .ok();
        assert_eq!(out.out().trim(), "inside", "{out}");
    }

    // Unknown routes, methods and versions.
    refused(&api, "GET", "/no/such/route", None, &[404]);
    refused(&api, "GET", "/containers/bad-c1/nope", None, &[404]);
    refused(&api, "PUT", "/_ping", None, &[404, 405]);
    refused(&api, "DELETE", "/containers/json", None, &[404, 405]);
    refused(&api, "PATCH", "/info", None, &[404, 405]);
    refused(&api, "GET", "/v1.99/_ping", None, &[400]);
    refused(&api, "GET", "/v0.1/info", None, &[400]);
    refused(
        &api,
        "GET",
        "/v99999999999999999999.1/info",
        None,
        &[400, 404],
    );
    refused(&api, "GET", "/v1.x/info", None, &[400, 404]);

    // Bodies beyond the 16 MiB JSON limit.
    let huge = 17usize << 20;
    let mut req = format!(
        "POST /containers/create HTTP/1.1\r\nHost: berth\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {huge}\r\n\r\n{{\"Image\":\""
    )
    .into_bytes();
    req.resize(req.len() + huge - 10, b'a');
    req.extend_from_slice(b"\"}");
    let (status, text) = raw(&api.socket, req);
    assert!(
        status == 400 || status == 413 || status == 0,
        "huge body: {}",
        &text[..text.len().min(300)]
    );
    let mut req = b"POST /networks/create HTTP/1.1\r\nHost: berth\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..18 {
        req.extend_from_slice(b"100000\r\n");
        req.resize(req.len() + 0x100000, b' ');
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let (status, text) = raw(&api.socket, req);
    assert!(
        status == 400 || status == 413 || status == 0,
        "huge chunked body: {}",
        &text[..text.len().min(300)]
    );
    assert_alive(&api);

    // Requests cut off, garbage, oversized headers.
    for bytes in [
        b"POST /containers/create HTTP/1.1\r\nHost: b\r\nContent-Length: 1000\r\n\r\n{\"Image\":".to_vec(),
        b"POST /containers/create HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"Ima".to_vec(),
        b"GET /_ping HTTP/1.1\r\nHost: b\r\n".to_vec(),
        b"GARBAGE\r\n\r\n".to_vec(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
        b"GET /_ping HTTP/9.9\r\n\r\n".to_vec(),
        format!("GET /_ping HTTP/1.1\r\nHost: b\r\nX-Big: {}\r\n\r\n", "a".repeat(200_000)).into_bytes(),
        format!("GET /{} HTTP/1.1\r\nHost: b\r\n\r\n", "a/".repeat(50_000)).into_bytes(),
    ] {
        let s = UnixStream::connect(&api.socket).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(5))).ok();
        let _ = (&s).write_all(&bytes);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = (&s).read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out);
        assert!(
            !text.starts_with("HTTP/1.1 5"),
            "{:?}: {text}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(60)])
        );
    }
    assert_alive(&api);

    // Clients that leave during a streamed response.
    for path in [
        "/containers/bad-c1/logs?follow=1&stdout=1&stderr=1",
        "/events",
        "/containers/bad-c1/stats",
    ] {
        for _ in 0..3 {
            let mut s = UnixStream::connect(&api.socket).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(10))).ok();
            write!(s, "GET {path} HTTP/1.1\r\nHost: b\r\n\r\n").unwrap();
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).unwrap_or(0);
            assert!(
                buf[..n].starts_with(b"HTTP/1.1 200"),
                "{path}: {}",
                String::from_utf8_lossy(&buf[..n])
            );
            drop(s);
        }
    }
    assert_alive(&api);

    // Many clients at once, while others hold requests open half-sent.
    let stalled: Vec<UnixStream> = (0..40)
        .map(|_| {
            let mut s = UnixStream::connect(&api.socket).expect("connect");
            let _ = s.write_all(
                b"POST /containers/create HTTP/1.1\r\nHost: b\r\nContent-Length: 100\r\n\r\n{\"Im",
            );
            s
        })
        .collect();
    let socket = api.socket.clone();
    let workers: Vec<_> = (0..32)
        .map(|i| {
            let socket = socket.clone();
            std::thread::spawn(move || {
                let path = if i % 2 == 0 {
                    "/_ping"
                } else {
                    "/containers/json?all=1"
                };
                (0..8)
                    .map(|_| berth_e2e::api::raw_request(&socket, "GET", path, None).0)
                    .filter(|s| *s != 200)
                    .count()
            })
        })
        .collect();
    let failed: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(failed, 0, "requests failed under load");
    drop(stalled);

    // Still serving, nothing left outside the root, no panic.
    assert_alive(&api);
    let out = api.docker(&["ps", "--format", "{{.Names}}"]).ok();
    assert!(out.out().contains("bad-c1"), "{out}");
    let after: BTreeSet<String> = outside_root(&api)
        .into_iter()
        .filter(|n| n != "tar-src" && n != "put.tar")
        .collect();
    assert_eq!(after, before, "files appeared outside the state root");
    assert!(
        !api.berth.dir.join("x").exists() && !api.berth.root.join("x").exists(),
        "a traversal name was created"
    );
    let log = api.service_log();
    assert!(!log.contains("panicked"), "the service panicked:\n{log}");
    api.berth.cmd(&["rm", "-f", "bad-c1"]).ok();
}
