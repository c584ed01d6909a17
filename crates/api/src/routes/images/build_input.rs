//! What `POST /build` hands the child `berth build`: its flags from the query, the context
//! tar from the body, and a Docker config directory from `X-Registry-Config`.

use std::io::{Read, Write};

use serde_json::{json, Value};

use crate::error::{ApiError, ApiResult};
use crate::http::Request;

/// Copies the context tar to the build. The docker CLI's tar for a Dockerfile outside the
/// context ends without the last entry's padding and the end-of-archive blocks (its
/// `ReplaceFileTarWrapper` closes the pipe before the tar writer); Go's reader takes that,
/// so a plain tar that does not end on a block boundary gets them added here.
pub fn copy_context(body: &mut impl Read, out: &mut impl Write) -> std::io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    let mut gzip = None;
    loop {
        let n = crate::routes::mux::read_retrying(body, &mut buf)?;
        if n == 0 {
            break;
        }
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

/// A private directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `X-Registry-Config` (base64url JSON: registry -> `{username, password, identitytoken}`)
/// as a Docker config directory for the child's `FROM` pulls: mode 0700, removed when the
/// build ends. `None` without the header.
pub fn registry_config(req: &Request, dir: &std::path::Path) -> ApiResult<Option<TempDir>> {
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
pub fn flags(req: &Request, tags: &[String]) -> ApiResult<Vec<String>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_maps() {
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
