//! Harness for the Docker Engine API tests (`170_api_*`): a [`Berth`] test (fresh root, own
//! network namespace) with its own `berth system service` on a socket in the test dir, a
//! `docker` wrapper (Debian's docker.io CLI with `DOCKER_HOST` at that socket and a private
//! `DOCKER_CONFIG`, run inside the test's network namespace), and raw HTTP requests for what
//! the CLI cannot show (status codes, error bodies).

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::cmd::{self, Output};
use crate::engine::{Berth, ENGINE_TIMEOUT};

/// Debian's docker.io CLI (API 1.41).
pub const DOCKER_CLI: &str = "/usr/bin/docker";

/// One API test: the berth test, its service and a `docker` wrapper pointed at it.
pub struct Api {
    /// The berth test (root, netns, CLI); dropped after the service stops.
    pub berth: Berth,
    /// The service's socket.
    pub socket: PathBuf,
    /// `docker` as tests run it (a wrapper script).
    pub docker_bin: PathBuf,
    service: Option<Child>,
}

impl Api {
    /// Sets up a test and starts its service, or `None` when it must be skipped.
    pub fn new(name: &str) -> Option<Api> {
        let berth = Berth::new(name)?;
        if !Path::new(DOCKER_CLI).exists() {
            panic!(
                "{name}: {DOCKER_CLI} is missing (Debian's docker.io; scripts/test installs it)"
            );
        }
        let socket = berth.dir.join("api.sock");
        let config = berth.dir.join("docker-config");
        fs::create_dir_all(&config).expect("create DOCKER_CONFIG");
        let docker_bin = berth.dir.join("docker");
        fs::write(
            &docker_bin,
            format!(
                "#!/bin/sh\nexport DOCKER_HOST=unix://{} DOCKER_CONFIG={}\nexec nsenter --net={} {DOCKER_CLI} \"$@\"\n",
                socket.display(),
                config.display(),
                berth.netns.display()
            ),
        )
        .expect("write the docker wrapper");
        fs::set_permissions(&docker_bin, fs::Permissions::from_mode(0o755)).expect("chmod");
        let log = fs::File::create(berth.dir.join("service.log")).expect("service log");
        let service = Command::new(&berth.bin)
            .arg("--root")
            .arg(&berth.root)
            .args(["system", "service", "--time", "0"])
            .arg(format!("unix://{}", socket.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start berth system service");
        let api = Api {
            berth,
            socket,
            docker_bin,
            service: Some(service),
        };
        let up = crate::wait_until(Duration::from_secs(20), || {
            UnixStream::connect(&api.socket).is_ok()
        });
        assert!(
            up,
            "{name}: the service did not listen:\n{}",
            api.service_log()
        );
        Some(api)
    }

    /// What the service printed so far.
    pub fn service_log(&self) -> String {
        fs::read_to_string(self.berth.dir.join("service.log")).unwrap_or_default()
    }

    /// Runs `docker args...` against the service.
    pub fn docker(&self, args: &[&str]) -> Output {
        self.docker_timeout(args, ENGINE_TIMEOUT)
    }

    /// Runs `docker args...` with a deadline of its own.
    pub fn docker_timeout(&self, args: &[&str], timeout: Duration) -> Output {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        cmd::run(
            &self.docker_bin,
            &args,
            &self.berth.dir.join("out"),
            timeout,
        )
    }

    /// Runs `docker args...` with stdin from a file.
    pub fn docker_stdin(&self, args: &[&str], stdin: &Path) -> Output {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        cmd::run_with_stdin(
            &self.docker_bin,
            &args,
            &self.berth.dir.join("out"),
            ENGINE_TIMEOUT,
            Some(stdin),
        )
    }

    /// Sends one HTTP/1.1 request on the socket and returns (status, body) (the body
    /// de-chunked). For documents and errors, not for streams that never end.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        raw_request(&self.socket, method, path, body)
    }

    /// [`Api::request`] with the body parsed as JSON (`Null` when it is not JSON).
    pub fn request_json(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let (status, text) = self.request(method, path, body);
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Stops the service with SIGTERM and waits for it; returns its exit status.
    pub fn stop_service(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.service.take()?;
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        for _ in 0..500 {
            if let Ok(Some(st)) = child.try_wait() {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        self.stop_service();
    }
}

/// One HTTP/1.1 request on a unix socket, `Connection: close`; (status, de-chunked body).
pub fn raw_request(socket: &Path, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    raw_request_with(socket, method, path, &[], body)
}

/// [`raw_request`] with extra headers.
pub fn raw_request_with(
    socket: &Path,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, String) {
    let mut s = UnixStream::connect(socket).expect("connect to the service");
    s.set_read_timeout(Some(ENGINE_TIMEOUT)).ok();
    let body = body.unwrap_or("");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send the request");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    (
        status,
        if chunked {
            dechunk(rest)
        } else {
            rest.to_string()
        },
    )
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}
