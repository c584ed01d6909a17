//! `POST /build` for the docker CLI's legacy builder: the body is the context tar, run
//! through a child `berth build -` (the build runs RUN steps through the runtime and may
//! enter namespaces, which the multi-threaded service must not do on its own threads). Its
//! JSON progress becomes dockerd's lines: `{"stream": "Step 1/3 : FROM x\n"}`, the steps'
//! output, `{"aux": {"ID": "sha256:.."}}`, `Successfully built <id>` and `Successfully
//! tagged x:y`, or an `errorDetail` line.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use berth_engine::reference::Reference;
use serde_json::{json, Value};

use super::progress::error_line;
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{BodyReader, Reply, Request};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `POST /build?dockerfile=&t=&buildargs=&labels=&target=&nocache=&pull=&q=&networkmode=&platform=`.
pub fn build(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    if req.query.get("remote").is_some_and(|r| !r.is_empty()) {
        return Err(ApiError::bad_request(
            "remote build contexts are not supported by berth: send the context as a tar",
        ));
    }
    let quiet = req.query.bool("q");
    let tags: Vec<String> = req
        .query
        .all("t")
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| t.to_string())
        .collect();
    for t in &tags {
        Reference::parse(t)
            .map_err(|e| ApiError::bad_request(format!("invalid tag {t:?}: {e}")))?;
    }
    let iidfile = std::env::temp_dir().join(format!(
        "berth-api-build-{}-{}.iid",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut args: Vec<std::ffi::OsString> = ctx.root_args();
    args.extend(["build".into(), "--progress=json".into(), "--iidfile".into()]);
    args.push(iidfile.clone().into_os_string());
    args.extend(flags(req, &tags)?.into_iter().map(Into::into));
    args.push("-".into());
    let auth_dir = registry_config(req, &iidfile.with_extension("auth"))?;
    let mut cmd = Command::new(&ctx.exe);
    if let Some(d) = &auth_dir {
        cmd.env("DOCKER_CONFIG", &d.0);
    }
    let mut child = cmd
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ApiError::internal(format!("start berth build: {e}")))?;
    let mut stdin = child.stdin.take();
    let mut body = std::mem::replace(&mut req.body, BodyReader::empty());
    std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            let _ = copy_context(&mut body, s);
            let _ = s.flush();
        }
        drop(stdin);
    });
    let stderr = child.stderr.take();
    Reply::stream("application/json", move |mut w| {
        let mut error: Option<String> = None;
        let mut gone = false;
        let (tx, rx) = mpsc::channel::<String>();
        if let Some(err) = stderr {
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        loop {
            let line = match rx.recv_timeout(Duration::from_millis(250)) {
                Ok(l) => l,
                Err(RecvTimeoutError::Timeout) => {
                    if !gone && w.is_closed() {
                        gone = true;
                        stop(&child);
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let out = translate(&line, &mut error);
            if quiet || gone {
                continue;
            }
            if let Some(text) = out {
                if w.json_line(&json!({ "stream": text })).is_err() {
                    gone = true;
                    stop(&child);
                }
            }
        }
        let status = child.wait();
        drop(auth_dir);
        let id = std::fs::read_to_string(&iidfile)
            .ok()
            .map(|s| s.trim().to_string());
        let _ = std::fs::remove_file(&iidfile);
        match (status, id) {
            (Ok(s), Some(id)) if s.success() && !id.is_empty() => {
                let short: String = id.trim_start_matches("sha256:").chars().take(12).collect();
                let _ = w.json_line(&json!({"aux": {"ID": id}}));
                if quiet {
                    // The legacy CLI prints a quiet build's stream: just the ID.
                    let _ = w.json_line(&json!({ "stream": format!("{id}\n") }));
                } else {
                    let _ =
                        w.json_line(&json!({"stream": format!("Successfully built {short}\n")}));
                    for t in &tags {
                        let shown = Reference::parse(t)
                            .map(|r| r.familiar())
                            .unwrap_or_else(|_| t.clone());
                        let _ = w.json_line(
                            &json!({"stream": format!("Successfully tagged {shown}\n")}),
                        );
                    }
                }
            }
            _ => {
                let msg = error.unwrap_or_else(|| "the build failed".into());
                let _ = w.json_line(&error_line(&msg));
            }
        }
    })
}

/// Copies the context tar to the build. The docker CLI's tar for a Dockerfile outside the
/// context ends without the last entry's padding and the end-of-archive blocks (its
/// `ReplaceFileTarWrapper` closes the pipe before the tar writer); Go's reader takes that,
/// so a plain tar that does not end on a block boundary gets them added here.
fn copy_context(body: &mut impl Read, out: &mut impl Write) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    let mut gzip = None;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if gzip.is_none() {
            gzip = Some(buf[..n].starts_with(&[0x1f, 0x8b]));
        }
        out.write_all(&buf[..n])?;
        total += n as u64;
    }
    let rem = (total % 512) as usize;
    if gzip == Some(false) && rem != 0 {
        out.write_all(&vec![0u8; 512 - rem + 1024])?;
    }
    out.flush()
}

/// The client left: SIGTERM to the build (our own child, by its pid), which ends its steps
/// and cleans up as on Ctrl-C.
fn stop(child: &std::process::Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
}

/// A private directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `X-Registry-Config` (base64url JSON: registry -> `{username, password, identitytoken}`)
/// as a Docker config directory for the child's `FROM` pulls: mode 0700, removed when the
/// build ends. `None` without the header.
fn registry_config(req: &Request, dir: &std::path::Path) -> ApiResult<Option<TempDir>> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let Some(h) = req.header("x-registry-config").map(str::trim) else {
        return Ok(None);
    };
    if h.is_empty() || h == "e30=" || h == "e30" {
        return Ok(None);
    }
    let map = super::registry::decode_auth_json(h, "X-Registry-Config")?;
    let Value::Object(map) = map else {
        return Ok(None);
    };
    let mut auths = serde_json::Map::new();
    for (server, entry) in &map {
        if let Some(cred) = super::registry::credential_from(entry) {
            auths.insert(server.clone(), super::registry::config_entry(&cred));
        }
    }
    if auths.is_empty() {
        return Ok(None);
    }
    std::fs::DirBuilder::new().mode(0o700).create(dir)?;
    let guard = TempDir(dir.to_path_buf());
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join("config.json"))?;
    f.write_all(&serde_json::to_vec(&json!({ "auths": auths }))?)?;
    Ok(Some(guard))
}

/// The `berth build` flags for the query.
fn flags(req: &Request, tags: &[String]) -> ApiResult<Vec<String>> {
    let q = &req.query;
    let mut f = Vec::new();
    for t in tags {
        f.extend(["-t".to_string(), t.clone()]);
    }
    if let Some(d) = q
        .get("dockerfile")
        .filter(|d| !d.is_empty() && *d != "Dockerfile")
    {
        f.extend(["-f".to_string(), d.to_string()]);
    }
    for (k, v) in json_map(q.get("buildargs"), "buildargs")? {
        f.extend(["--build-arg".to_string(), format!("{k}={v}")]);
    }
    for (k, v) in json_map(q.get("labels"), "labels")? {
        f.extend(["--label".to_string(), format!("{k}={v}")]);
    }
    if let Some(t) = q.get("target").filter(|t| !t.is_empty()) {
        f.extend(["--target".to_string(), t.to_string()]);
    }
    if let Some(n) = q
        .get("networkmode")
        .filter(|n| !n.is_empty() && *n != "default")
    {
        f.extend(["--network".to_string(), n.to_string()]);
    }
    if let Some(p) = q.get("platform").filter(|p| !p.is_empty()) {
        f.extend(["--platform".to_string(), p.to_string()]);
    }
    if q.bool("nocache") {
        f.push("--no-cache".into());
    }
    if q.bool("pull") {
        f.push("--pull".into());
    }
    Ok(f)
}

/// A JSON object parameter (`{"K": "V"}`; null values are skipped), or a 400.
fn json_map(v: Option<&str>, key: &str) -> ApiResult<Vec<(String, String)>> {
    let Some(text) = v.filter(|t| !t.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    let parsed: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("invalid {key}: {e}")))?;
    let obj = match parsed {
        Value::Object(o) => o,
        Value::Null => return Ok(Vec::new()),
        _ => {
            return Err(ApiError::bad_request(format!(
                "invalid {key}: not a JSON object"
            )))
        }
    };
    Ok(obj
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            Value::Null => None,
            other => Some((k, other.to_string())),
        })
        .collect())
}

/// One line of `berth build --progress=json` stderr as legacy-builder text (`None`: not
/// shown); remembers the build's error.
fn translate(line: &str, error: &mut Option<String>) -> Option<String> {
    let Ok(v) = serde_json::from_str::<Value>(line) else {
        if let Some(m) = line.strip_prefix("ERROR: failed to solve: ") {
            *error = Some(m.to_string());
            return None;
        }
        if let Some(m) = line.strip_prefix("ERROR: ") {
            error.get_or_insert_with(|| m.to_string());
            return None;
        }
        return Some(format!("{line}\n"));
    };
    let text = v["text"].as_str().unwrap_or_default();
    match v["event"].as_str().unwrap_or_default() {
        "start" => step_line(text),
        "output" => Some(format!(
            "{}\n",
            text.split_once(' ').map(|(_, rest)| rest).unwrap_or(text)
        )),
        "cached" => Some(" ---> Using cache\n".into()),
        "error" => {
            let m = text.strip_prefix("ERROR: ").unwrap_or(text);
            error.get_or_insert_with(|| m.to_string());
            None
        }
        _ => None,
    }
}

/// `[stage 2/4] RUN make` -> `Step 2/4 : RUN make` (internal steps are not shown).
fn step_line(text: &str) -> Option<String> {
    let rest = text.strip_prefix('[')?;
    let (inside, instr) = rest.split_once("] ")?;
    let n = inside.split_whitespace().last()?;
    let (a, b) = n.split_once('/')?;
    if a.parse::<u32>().is_err() || b.parse::<u32>().is_err() {
        return None;
    }
    Some(format!("Step {n} : {instr}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_errors() {
        assert_eq!(
            step_line("[2/4] RUN make").as_deref(),
            Some("Step 2/4 : RUN make\n")
        );
        assert_eq!(
            step_line("[build 1/3] FROM x").as_deref(),
            Some("Step 1/3 : FROM x\n")
        );
        assert_eq!(step_line("[internal] load build definition"), None);
        let mut e = None;
        assert_eq!(
            translate(
                r#"{"id":3,"event":"output","text":"0.123 hello world"}"#,
                &mut e
            )
            .as_deref(),
            Some("hello world\n")
        );
        assert_eq!(translate("ERROR: failed to solve: boom", &mut e), None);
        assert_eq!(e.as_deref(), Some("boom"));
        assert!(json_map(Some("[1]"), "buildargs").is_err());
        assert_eq!(
            json_map(Some(r#"{"A":"1","B":null}"#), "x").unwrap().len(),
            1
        );
    }

    #[test]
    fn truncated_context_tars_are_completed() {
        let mut out = Vec::new();
        copy_context(&mut &[7u8; 600][..], &mut out).unwrap();
        assert_eq!(out.len(), 1024 + 1024);
        let mut out = Vec::new();
        copy_context(&mut &[7u8; 1024][..], &mut out).unwrap();
        assert_eq!(out.len(), 1024);
        let mut gz = vec![0x1f, 0x8b];
        gz.extend([1u8; 100]);
        let mut out = Vec::new();
        copy_context(&mut &gz[..], &mut out).unwrap();
        assert_eq!(out.len(), 102);
    }
}
