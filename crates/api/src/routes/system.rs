//! System routes: `/_ping`, `/version`.

use hyper::StatusCode;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};
use crate::version::{ENGINE_VERSION, MAX, MIN};

/// The commit berth was built from (`BERTH_GIT_COMMIT` at build time), else its version.
pub const GIT_COMMIT: &str = match option_env!("BERTH_GIT_COMMIT") {
    Some(c) => c,
    None => concat!("berth-", env!("CARGO_PKG_VERSION")),
};
/// What dockerd reports as its Go version: berth is Rust, so the toolchain (`BERTH_RUSTC`
/// at build time) or the language.
pub const GO_VERSION: &str = match option_env!("BERTH_RUSTC") {
    Some(v) => v,
    None => "rust",
};
/// When berth was built: its commit's time (`BERTH_BUILD_TIME` at build time, RFC 3339),
/// else empty as in a dockerd built without it.
pub const BUILD_TIME: &str = match option_env!("BERTH_BUILD_TIME") {
    Some(t) => t,
    None => "",
};

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
                "GitCommit": GIT_COMMIT,
                "GoVersion": GO_VERSION,
                "BuildTime": BUILD_TIME,
                "Experimental": "false",
                "BerthVersion": env!("CARGO_PKG_VERSION"),
            }
        }],
        "Version": ENGINE_VERSION,
        "ApiVersion": MAX.to_string(),
        "MinAPIVersion": MIN.to_string(),
        "GitCommit": GIT_COMMIT,
        "GoVersion": GO_VERSION,
        "Os": "linux",
        "Arch": arch,
        "KernelVersion": kernel,
        "BuildTime": BUILD_TIME,
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
