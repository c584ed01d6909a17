//! Pushing an image: every blob the registry lacks is uploaded (a `HEAD` first, so a blob it
//! has costs one round trip; a cross-repository mount when another repository of the same
//! registry has it; one monolithic `PUT`, or `PATCH` chunks for large blobs), several at
//! once, then the manifest under the tag with its media type.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::thread;

use berth_store::oci::Descriptor;
use berth_store::{BlobStore, Digest};

use crate::auth::Scope;
use crate::client::{registry_error, Body, Registry};
use crate::error::{Error, Result};
use crate::progress::{LayerState, Progress};

/// Blobs up to this size go in one `PUT`; larger ones in `PATCH` chunks of this size.
pub const CHUNK: u64 = 64 << 20;

/// What to push.
#[derive(Debug, Clone)]
pub struct PushRequest<'a> {
    /// The repository path on the registry.
    pub repository: &'a str,
    /// The tag (or a digest) to put the manifest under.
    pub reference: &'a str,
    /// The manifest as it will be stored.
    pub manifest: &'a [u8],
    /// Its media type.
    pub media_type: &'a str,
    /// Its configuration blob (pushed, not shown in the progress, as Docker does).
    pub config: Descriptor,
    /// Its layer blobs; all blobs are in the blob store.
    pub layers: Vec<Descriptor>,
    /// Other repositories of this registry the blobs may be mounted from.
    pub mount_from: Vec<String>,
    /// Parallel uploads.
    pub jobs: usize,
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct Pushed {
    /// The manifest's digest.
    pub digest: Digest,
    /// The manifest's size.
    pub size: u64,
}

/// Pushes `req` from `blobs` to `reg`.
pub fn push(
    reg: &Registry,
    req: &PushRequest<'_>,
    blobs: &BlobStore,
    progress: &dyn Progress,
) -> Result<Pushed> {
    for d in &req.layers {
        progress.layer(&d.digest, LayerState::Waiting);
    }
    let mut all: Vec<&Descriptor> = req.layers.iter().collect();
    all.push(&req.config);
    let shown = |d: &Descriptor| d.digest != req.config.digest;
    let queue: Mutex<VecDeque<&Descriptor>> = Mutex::new(all.into_iter().collect());
    let failed: Mutex<Option<Error>> = Mutex::new(None);
    let cancel = AtomicBool::new(false);
    let workers = req.jobs.clamp(1, 16).min(req.layers.len() + 1);
    thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(desc) = next else { return };
                let silent = crate::progress::Silent;
                let p: &dyn Progress = if shown(desc) { progress } else { &silent };
                if let Err(e) = push_blob(reg, req, desc, blobs, p) {
                    cancel.store(true, Ordering::Relaxed);
                    if let Ok(mut f) = failed.lock() {
                        f.get_or_insert(e);
                    }
                    return;
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    let path = format!("/v2/{}/manifests/{}", req.repository, req.reference);
    let resp = reg.send(
        "PUT",
        &path,
        &[Scope::push(req.repository)],
        &[("Content-Type", req.media_type.to_string())],
        Body::Bytes(req.manifest.to_vec()),
    )?;
    if !(200..300).contains(&resp.status().as_u16()) {
        return Err(registry_error(resp));
    }
    Ok(Pushed {
        digest: Digest::of_bytes(req.manifest),
        size: req.manifest.len() as u64,
    })
}

fn push_blob(
    reg: &Registry,
    req: &PushRequest<'_>,
    desc: &Descriptor,
    blobs: &BlobStore,
    progress: &dyn Progress,
) -> Result<()> {
    let repo = req.repository;
    let scopes = [Scope::push(repo)];
    let head = reg.send(
        "HEAD",
        &format!("/v2/{repo}/blobs/{}", desc.digest),
        &scopes,
        &[],
        Body::Empty,
    )?;
    match head.status().as_u16() {
        200 => {
            progress.layer(&desc.digest, LayerState::LayerExists);
            return Ok(());
        }
        404 => {}
        _ => return Err(registry_error(head)),
    }
    let mut location = None;
    for from in req.mount_from.iter().filter(|f| f.as_str() != repo) {
        let mount_scopes = [Scope::push(repo), Scope::pull(from)];
        let resp = reg.send(
            "POST",
            &format!(
                "/v2/{repo}/blobs/uploads/?mount={}&from={from}",
                desc.digest
            ),
            &mount_scopes,
            &[],
            Body::Empty,
        )?;
        match resp.status().as_u16() {
            201 => {
                progress.mounted(&desc.digest, from);
                return Ok(());
            }
            202 => {
                location = Some(upload_location(reg, &resp)?);
                break;
            }
            _ => {}
        }
    }
    let mut location = match location {
        Some(l) => l,
        None => start_upload(reg, repo)?,
    };
    let path = blobs.path(&desc.digest);
    if !blobs.exists(&desc.digest) {
        return Err(Error::Store(berth_store::Error::BlobNotFound(
            desc.digest.to_string(),
        )));
    }
    progress.layer(
        &desc.digest,
        LayerState::Pushing {
            done: 0,
            total: desc.size,
        },
    );
    let mut offset = 0;
    if desc.size > CHUNK {
        while offset < desc.size {
            let len = CHUNK.min(desc.size - offset);
            let resp = reg.send(
                "PATCH",
                &location,
                &scopes,
                &[("Content-Range", format!("{offset}-{}", offset + len - 1))],
                Body::File {
                    path: path.clone(),
                    offset,
                    len,
                },
            )?;
            if resp.status().as_u16() != 202 {
                return Err(registry_error(resp));
            }
            location = upload_location(reg, &resp)?;
            offset += len;
            progress.layer(
                &desc.digest,
                LayerState::Pushing {
                    done: offset,
                    total: desc.size,
                },
            );
        }
    }
    let sep = if location.contains('?') { '&' } else { '?' };
    let resp = reg.send(
        "PUT",
        &format!("{location}{sep}digest={}", desc.digest),
        &scopes,
        &[],
        Body::File {
            path,
            offset,
            len: desc.size - offset,
        },
    )?;
    if resp.status().as_u16() != 201 {
        return Err(registry_error(resp));
    }
    progress.layer(&desc.digest, LayerState::Pushed);
    Ok(())
}

/// `POST /v2/<repo>/blobs/uploads/`: a new upload session's URL.
fn start_upload(reg: &Registry, repo: &str) -> Result<String> {
    let resp = reg.send(
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        &[Scope::push(repo)],
        &[],
        Body::Empty,
    )?;
    if resp.status().as_u16() != 202 {
        return Err(registry_error(resp));
    }
    upload_location(reg, &resp)
}

/// The absolute upload URL a response's `Location` gives.
fn upload_location(reg: &Registry, resp: &ureq::http::Response<ureq::Body>) -> Result<String> {
    let loc = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Registry {
            status: resp.status().as_u16(),
            code: None,
            message: "the registry started an upload but sent no Location".into(),
        })?;
    if loc.starts_with("http://") || loc.starts_with("https://") {
        Ok(loc.to_string())
    } else if loc.starts_with('/') {
        Ok(reg.url(loc))
    } else {
        Err(Error::Registry {
            status: resp.status().as_u16(),
            code: None,
            message: format!("the registry sent an upload Location berth cannot use: {loc:?}"),
        })
    }
}
