//! `POST /build` for the docker CLI's legacy builder: the body is the context tar, run
//! through a child `berth build -` (the build runs RUN steps through the runtime and may
//! enter namespaces, which the multi-threaded service must not do on its own threads). Its
//! JSON progress becomes dockerd's lines: `{"stream": "Step 1/3 : FROM x\n"}`, the steps'
//! output, `{"aux": {"ID": "sha256:.."}}`, `Successfully built <id>` and `Successfully
//! tagged x:y`, or an `errorDetail` line.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use berth_engine::reference::Reference;
use serde_json::{json, Value};

use super::build_input::{copy_context, flags, registry_config};
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
    }
}
