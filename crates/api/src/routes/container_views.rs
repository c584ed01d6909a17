//! A container's files and processes as dockerd shows them: `archive` (GET, HEAD, PUT: the
//! routes under `docker cp`), `export`, `changes` (`docker diff`) and `top`.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::Command;

use berth_engine::containers::copy::stat::PathStat;
use berth_engine::containers::copy::{CopyOptions, HostSource, HostTarget};
use berth_engine::containers::ContainerRecord;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::routes::encode::{base64, go_file_mode, rfc3339_parts};

/// The header carrying a path's stat.
const STAT_HEADER: &str = "x-docker-container-path-stat";

/// The container file and process routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET", ["containers", id, "archive"]) => archive_get(ctx, req, id, false),
        ("HEAD", ["containers", id, "archive"]) => archive_get(ctx, req, id, true),
        ("PUT", ["containers", id, "archive"]) => archive_put(ctx, req, id),
        ("GET", ["containers", id, "export"]) => export(ctx, id),
        ("GET", ["containers", id, "changes"]) => changes(ctx, id),
        ("GET", ["containers", id, "top"]) => top(ctx, req, id),
        _ => return None,
    })
}

/// The `path` parameter (400 when missing).
fn path_param(req: &Request) -> ApiResult<String> {
    req.query
        .get("path")
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ApiError::bad_request("path parameter is required"))
}

/// The stat header's value: base64 of `{name, size, mode, mtime, linkTarget}`.
pub fn stat_header(st: &PathStat) -> String {
    let v = json!({
        "name": st.name,
        "size": st.size,
        "mode": go_file_mode(st.mode),
        "mtime": rfc3339_parts(st.mtime_secs, st.mtime_nanos),
        "linkTarget": st.link_target,
    });
    base64(v.to_string().as_bytes())
}

fn not_found(path: &str, r: &ContainerRecord) -> ApiError {
    ApiError::not_found(format!(
        "Could not find the file {path} in container {}",
        r.name
    ))
}

/// The engine, container, `path` and its stat of an archive request (404 when missing).
fn archive_target(
    ctx: &Ctx,
    req: &Request,
    id: &str,
) -> ApiResult<(berth_engine::Engine, ContainerRecord, String, PathStat)> {
    let path = path_param(req)?;
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let st = e
        .stat_in_container(&r, &path)?
        .ok_or_else(|| not_found(&path, &r))?;
    Ok((e, r, path, st))
}

/// `GET|HEAD /containers/{id}/archive?path=`: the stat header, and for GET the tar.
fn archive_get(ctx: &Ctx, req: &Request, id: &str, head: bool) -> ApiResult<Reply> {
    let (_, r, path, st) = archive_target(ctx, req, id)?;
    let headers = vec![(STAT_HEADER, stat_header(&st))];
    let ctx = ctx.clone();
    Ok(Reply::Stream {
        status: StatusCode::OK,
        content_type: "application/x-tar",
        headers,
        producer: Box::new(move |mut w| {
            if head {
                return;
            }
            if let Ok(e) = ctx.engine() {
                let _ = e.copy_from_container(
                    &r,
                    &path,
                    HostTarget::Tar(&mut w),
                    CopyOptions::default(),
                );
            }
        }),
    })
}

/// `PUT /containers/{id}/archive?path=&copyUIDGID=`: the tar body extracted into the
/// directory `path` (404 when it is missing, 400 when it is not a directory).
fn archive_put(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let (e, r, path, st) = archive_target(ctx, req, id)?;
    let is_dir = st.mode & 0o170_000 == 0o040_000;
    let is_link = st.mode & 0o170_000 == 0o120_000;
    if !is_dir && !is_link {
        return Err(ApiError::bad_request(format!(
            "extraction point is not a directory: {path}"
        )));
    }
    let opts = CopyOptions {
        archive: req.query.bool("copyUIDGID"),
        follow_link: false,
    };
    match e.copy_to_container(&r, HostSource::Tar(&mut req.body), &path, opts) {
        Ok(()) => Ok(Reply::Empty(StatusCode::OK)),
        Err(berth_engine::Error::Invalid(m)) if m.starts_with("Could not find") => {
            Err(ApiError::not_found(m))
        }
        Err(err) => Err(err.into()),
    }
}

/// `GET /containers/{id}/export`: the container's filesystem as a tar stream.
fn export(ctx: &Ctx, id: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let r = e.container(id)?;
    drop(e);
    let ctx = ctx.clone();
    Reply::stream("application/x-tar", move |mut w| {
        if let Ok(e) = ctx.engine() {
            let _ = e.export_container(&r, &mut w);
        }
    })
}

/// dockerd's change kinds.
const MODIFIED: u8 = 0;
const ADDED: u8 = 1;
const DELETED: u8 = 2;

/// `GET /containers/{id}/changes`: `[{"Path", "Kind"}]` from the container's writable
/// layer against its image's layers.
fn changes(ctx: &Ctx, id: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let r = e.container(id)?;
    let upper = e.paths.container(&r.id).join("upper");
    let lowers = e.ensure_layers(&e.image_by_id(&r.image_id)?)?.0;
    let mut out = Vec::new();
    let flags =
        nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC;
    if let Ok(root) = nix::fcntl::open(&upper, flags, nix::sys::stat::Mode::empty()) {
        walk_changes(root, "", &lowers, &mut out);
    }
    out.sort();
    let list: Vec<Value> = out
        .into_iter()
        .map(|(p, k)| json!({"Path": p, "Kind": k}))
        .collect();
    Reply::ok(Value::Array(list))
}

/// Adds the changes under the directory `dir` (at container path `rel`) to `out`. A
/// whiteout (a 0:0 character device) is a deletion; an entry a lower layer also has is a
/// modification, any other an addition. Each directory is opened relative to its parent
/// with `O_NOFOLLOW`, so a container swapping one for a symlink cannot steer the walk out.
fn walk_changes(dir: OwnedFd, rel: &str, lowers: &[PathBuf], out: &mut Vec<(String, u8)>) {
    use nix::fcntl::{openat, OFlag};
    use nix::sys::stat::{fstatat, Mode, SFlag};
    let Ok(listing) = dir.try_clone() else {
        return;
    };
    let Ok(mut d) = nix::dir::Dir::from_fd(listing) else {
        return;
    };
    let names: Vec<std::ffi::CString> = d
        .iter()
        .flatten()
        .map(|e| e.file_name().to_owned())
        .filter(|n| n.as_bytes() != b"." && n.as_bytes() != b"..")
        .collect();
    for name in names {
        let path = format!("{rel}/{}", name.to_string_lossy());
        let Ok(st) = fstatat(
            &dir,
            name.as_c_str(),
            nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
        ) else {
            continue;
        };
        let kind = SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits());
        if kind == SFlag::S_IFCHR && st.st_rdev == 0 {
            out.push((path, DELETED));
            continue;
        }
        let inner = path.trim_start_matches('/');
        let in_lower = lowers
            .iter()
            .any(|l| std::fs::symlink_metadata(l.join(inner)).is_ok());
        out.push((path.clone(), if in_lower { MODIFIED } else { ADDED }));
        if kind == SFlag::S_IFDIR {
            let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
            if let Ok(sub) = openat(&dir, name.as_c_str(), flags, Mode::empty()) {
                walk_changes(sub, &path, lowers, out);
            }
        }
    }
}

/// `GET /containers/{id}/top?ps_args=`: `{"Titles", "Processes"}` (409 when not running).
fn top(ctx: &Ctx, req: &Request, id: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let r = e.container(id)?;
    if !e.state(&r).is_running() {
        return Err(ApiError::conflict(format!(
            "Container {} is not running",
            r.id
        )));
    }
    let ps_args: Vec<String> = req
        .query
        .get("ps_args")
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    // `ps` runs in a child `berth top` (it reads the runtime's state and the cgroup).
    let out = Command::new(&ctx.exe)
        .args(ctx.root_args())
        .arg("top")
        .arg(&r.id)
        .args(&ps_args)
        .output()?;
    if !out.status.success() {
        let msg = String::from_utf8_lossy(&out.stderr);
        let msg = msg.trim().trim_start_matches("Error: ");
        return Err(ApiError::internal(format!("ps: {msg}")));
    }
    Reply::ok(parse_ps(&String::from_utf8_lossy(&out.stdout)))
}

/// `ps` output as dockerd's `{"Titles", "Processes"}`: the last column takes the rest of
/// each line (the command with its spaces).
pub fn parse_ps(text: &str) -> Value {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let titles: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let n = titles.len().max(1);
    let procs: Vec<Vec<String>> = lines
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            if fields.len() <= n {
                return fields.iter().map(|s| s.to_string()).collect();
            }
            let mut row: Vec<String> = fields[..n - 1].iter().map(|s| s.to_string()).collect();
            row.push(fields[n - 1..].join(" "));
            row
        })
        .collect();
    json!({"Titles": titles, "Processes": procs})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_tables() {
        let v =
            parse_ps("UID PID PPID C STIME TTY TIME CMD\nroot 1 0 0 10:00 ? 00:00:00 sleep 100\n");
        assert_eq!(v["Titles"].as_array().unwrap().len(), 8);
        assert_eq!(v["Processes"][0][7], "sleep 100");
        assert_eq!(v["Processes"][0][1], "1");
    }

    #[test]
    fn stat_headers_decode_to_docker_json() {
        let h = stat_header(&PathStat {
            name: "etc".into(),
            size: 4096,
            mode: 0o040_755,
            mtime_secs: 0,
            mtime_nanos: 0,
            link_target: String::new(),
        });
        assert!(h.starts_with("eyJ")); // `{"`
    }
}
