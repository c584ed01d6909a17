//! System routes: `/_ping`, `/version`.

use hyper::StatusCode;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};
use crate::version::{ENGINE_VERSION, MAX, MIN};

/// The system routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET" | "HEAD", ["_ping"]) => ping(),
        ("GET", ["version"]) => version(ctx),
        _ => return None,
    })
}

/// `GET /_ping`: `OK`, with the version headers clients negotiate from.
fn ping() -> ApiResult<Reply> {
    Ok(Reply::Stream {
        status: StatusCode::OK,
        content_type: "text/plain; charset=utf-8",
        headers: vec![
            ("builder-version", "1".into()),
            (
                "cache-control",
                "no-cache, no-store, must-revalidate".into(),
            ),
            ("pragma", "no-cache".into()),
        ],
        producer: Box::new(|mut w| {
            let _ = std::io::Write::write_all(&mut w, b"OK");
        }),
    })
}

/// `GET /version`.
fn version(_ctx: &Ctx) -> ApiResult<Reply> {
    let uname = nix::sys::utsname::uname().ok();
    let kernel = uname
        .as_ref()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    let arch = go_arch(std::env::consts::ARCH);
    Reply::ok(json!({
        "Platform": {"Name": "berth"},
        "Components": [{
            "Name": "Engine",
            "Version": ENGINE_VERSION,
            "Details": {
                "ApiVersion": MAX.to_string(),
                "MinAPIVersion": MIN.to_string(),
                "Os": "linux",
                "Arch": arch,
                "KernelVersion": kernel,
                "BerthVersion": env!("CARGO_PKG_VERSION"),
            }
        }],
        "Version": ENGINE_VERSION,
        "ApiVersion": MAX.to_string(),
        "MinAPIVersion": MIN.to_string(),
        "GitCommit": "berth",
        "GoVersion": "none (berth is written in Rust)",
        "Os": "linux",
        "Arch": arch,
        "KernelVersion": kernel,
        "BuildTime": "",
    }))
}

/// Go's name for a CPU architecture (`amd64`, `arm64`).
pub fn go_arch(rust: &str) -> &str {
    match rust {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}
