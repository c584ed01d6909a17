//! Downloading one blob into the store: streamed to `<store>/partial/<hex>` while it is
//! hashed, resumed with `Range` after a broken connection or a killed pull, checked against
//! its digest and size, then renamed into `blobs/sha256/`. A partial file is locked while a
//! download writes it, so two pulls of one image take turns and both succeed.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use berth_store::pending::partial_dir;
use std::sync::atomic::{AtomicBool, Ordering};

use berth_store::oci::Descriptor;
use berth_store::{BlobStore, Digest};
use sha2::{Digest as _, Sha256};

use super::follow::{FinishOnDrop, Growth};
use crate::auth::Scope;
use crate::client::{registry_error, Body, Registry};
use crate::error::{Error, Result};
use crate::progress::{LayerState, Progress};

/// Times a broken download is resumed before giving up.
const RESUMES: u32 = 5;
/// Read size.
const CHUNK: usize = 256 * 1024;

/// Makes sure the blob `desc` is in `blobs`, downloading it from `repository` if needed.
/// Returns whether it was downloaded (false: it was there already).
pub fn ensure_blob(
    reg: &Registry,
    repository: &str,
    desc: &Descriptor,
    blobs: &BlobStore,
    progress: &dyn Progress,
    cancel: &AtomicBool,
    growth: &Growth,
) -> Result<bool> {
    let _end = FinishOnDrop(growth);
    if blobs.exists(&desc.digest) {
        already_there(blobs, desc, growth)?;
        return Ok(false);
    }
    let dir = partial_dir(blobs);
    fs::create_dir_all(&dir).map_err(local("create", &dir))?;
    let path = dir.join(desc.digest.hex());
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(local("open", &path))?;
    // Another pull downloading the same blob holds this lock: wait for it, then use its work.
    rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)
        .map_err(|e| local("lock", &path)(e.into()))?;
    if blobs.exists(&desc.digest) {
        let _ = fs::remove_file(&path);
        already_there(blobs, desc, growth)?;
        return Ok(false);
    }
    let mut hasher = Sha256::new();
    let mut have = hash_prefix(&mut file, &mut hasher, desc.size, &path)?;
    growth.attach(file.try_clone().map_err(local("open", &path))?, have);
    let mut resumes = 0;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Error::Transport {
                url: desc.digest.to_string(),
                reason: "cancelled".into(),
            });
        }
        let sink = Sink {
            file: &mut file,
            hasher: &mut hasher,
            growth,
        };
        match download_from(reg, repository, desc, sink, have, progress, cancel) {
            Ok(()) => break,
            Err(Step::Restart) => {
                growth.restart();
                file.set_len(0).map_err(local("truncate", &path))?;
                file.seek(SeekFrom::Start(0))
                    .map_err(local("seek", &path))?;
                hasher = Sha256::new();
                have = 0;
            }
            Err(Step::Broken(e)) if resumes < RESUMES => {
                let now = file.stream_position().map_err(local("seek", &path))?;
                // An attempt that brought nothing (a stalled registry) is not retried.
                if now == have {
                    return Err(e);
                }
                resumes += 1;
                have = now;
            }
            Err(Step::Broken(e)) | Err(Step::Fatal(e)) => return Err(e),
        }
    }
    let len = file.stream_position().map_err(local("seek", &path))?;
    let actual = Digest::from_hex(&berth_store::digest::hex(&hasher.finalize()))?;
    if actual != desc.digest || len != desc.size {
        let _ = fs::remove_file(&path);
        return Err(Error::DigestMismatch {
            what: format!("blob {} ({len} bytes, {} expected)", desc.digest, desc.size),
            expected: desc.digest.to_string(),
            actual: actual.to_string(),
        });
    }
    file.sync_all().map_err(local("fsync", &path))?;
    let dest = blobs.path(&desc.digest);
    fs::rename(&path, &dest).map_err(local("rename into", &dest))?;
    growth.finish(true);
    progress.layer(&desc.digest, LayerState::DownloadComplete);
    Ok(true)
}

/// Where a download's bytes go: the partial file, the digest, and the following unpacker.
struct Sink<'a> {
    file: &'a mut File,
    hasher: &'a mut Sha256,
    growth: &'a Growth,
}

/// The blob is in the store already (another pull put it there): a follower reads that.
fn already_there(blobs: &BlobStore, desc: &Descriptor, growth: &Growth) -> Result<()> {
    let f = blobs.open_blob(&desc.digest)?;
    let len = f
        .metadata()
        .map_err(local("stat", &blobs.path(&desc.digest)))?
        .len();
    growth.attach(f, len);
    growth.finish(true);
    Ok(())
}

/// How one download attempt ended, when not with the whole blob.
enum Step {
    /// The server ignored the range: start over.
    Restart,
    /// The connection broke: resume from what was written.
    Broken(Error),
    /// Give up.
    Fatal(Error),
}

fn download_from(
    reg: &Registry,
    repository: &str,
    desc: &Descriptor,
    sink: Sink<'_>,
    have: u64,
    progress: &dyn Progress,
    cancel: &AtomicBool,
) -> std::result::Result<(), Step> {
    if have == desc.size {
        return Ok(());
    }
    let path = format!("/v2/{repository}/blobs/{}", desc.digest);
    let mut headers = Vec::new();
    if have > 0 {
        headers.push(("Range", format!("bytes={have}-")));
    }
    let resp = reg
        .send(
            "GET",
            &path,
            &[Scope::pull(repository)],
            &headers,
            Body::Empty,
        )
        .map_err(Step::Fatal)?;
    let status = resp.status().as_u16();
    if have > 0 && (status == 200 || status == 416) {
        return Err(Step::Restart);
    }
    if status == 206 {
        let start = resp
            .headers()
            .get("content-range")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("bytes "))
            .and_then(|v| v.split('-').next())
            .and_then(|s| s.parse::<u64>().ok());
        if start != Some(have) && have == 0 {
            // Starting over would ask the same again: a loop.
            return Err(Step::Fatal(Error::Transport {
                url: reg.url(&path),
                reason: "the registry sent part of the blob (206) when asked for all of it".into(),
            }));
        }
        if start != Some(have) {
            return Err(Step::Restart);
        }
    } else if !(200..300).contains(&status) {
        return Err(Step::Fatal(registry_error(resp)));
    }
    let mut reader = resp.into_body().into_reader();
    let mut buf = vec![0u8; CHUNK];
    let mut done = have;
    progress.layer(
        &desc.digest,
        LayerState::Downloading {
            done,
            total: desc.size,
        },
    );
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(Step::Fatal(Error::Transport {
                url: desc.digest.to_string(),
                reason: "cancelled".into(),
            }));
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Step::Broken(Error::Transport {
                    url: reg.url(&path),
                    reason: e.to_string(),
                }))
            }
        };
        if done + n as u64 > desc.size {
            return Err(Step::Fatal(Error::DigestMismatch {
                what: format!(
                    "blob {}: the registry sent more than its {} bytes",
                    desc.digest, desc.size
                ),
                expected: desc.digest.to_string(),
                actual: "(longer content)".into(),
            }));
        }
        sink.hasher.update(&buf[..n]);
        sink.file
            .write_all(&buf[..n])
            .map_err(|e| Step::Fatal(local_err("write", e)))?;
        done += n as u64;
        sink.growth.grew(done);
        progress.layer(
            &desc.digest,
            LayerState::Downloading {
                done,
                total: desc.size,
            },
        );
    }
    if done < desc.size {
        return Err(Step::Broken(Error::Transport {
            url: reg.url(&path),
            reason: format!("the connection ended after {done} of {} bytes", desc.size),
        }));
    }
    Ok(())
}

/// Hashes what a partial file already holds (at most `size` bytes; more is cut off) and
/// leaves the file positioned at its end.
fn hash_prefix(file: &mut File, hasher: &mut Sha256, size: u64, path: &Path) -> Result<u64> {
    let len = file.metadata().map_err(local("stat", path))?.len();
    if len > size {
        file.set_len(0).map_err(local("truncate", path))?;
        return Ok(0);
    }
    file.seek(SeekFrom::Start(0)).map_err(local("seek", path))?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(local("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
    Ok(total)
}

fn local<'a>(what: &'static str, path: &'a Path) -> impl Fn(io::Error) -> Error + 'a {
    move |source| Error::LocalIo {
        what: format!("{what} {}", path.display()),
        source,
    }
}

fn local_err(what: &str, source: io::Error) -> Error {
    Error::LocalIo {
        what: what.to_string(),
        source,
    }
}
