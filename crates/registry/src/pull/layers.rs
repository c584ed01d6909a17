//! The two stages of a pull's layers: up to `jobs` threads download the missing blobs (in
//! layer order, so the bottom layers come first), and the calling thread unpacks layer after
//! layer, each while its blob is still downloading (reading close behind the download, see
//! [`super::follow`]), so network, decompression and disk all overlap.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;
use std::thread;

use berth_store::layers::{chain_id, LayerStore};
use berth_store::oci::Descriptor;
use berth_store::{BlobStore, Digest};

use super::blob::ensure_blob;
use super::follow::Growth;
use super::PullRequest;
use crate::client::Registry;
use crate::error::{Error, Result};
use crate::progress::{LayerState, Progress};

/// Downloads and unpacks `descs` (bottom first; `diff_ids` matching). Returns whether any
/// blob was downloaded.
pub(super) fn fetch_and_unpack(
    reg: &Registry,
    req: &PullRequest<'_>,
    descs: &[Descriptor],
    diff_ids: &[Digest],
    blobs: &BlobStore,
    layers: &LayerStore,
    progress: &dyn Progress,
) -> Result<bool> {
    let mut chains = Vec::with_capacity(diff_ids.len());
    for d in diff_ids {
        let c = chain_id(chains.last(), d);
        chains.push(c);
    }
    // What needs downloading: blobs missing from the store whose layer is not unpacked
    // either (an unpacked layer whose blob went missing is fetched again, for push/save).
    let mut queue = VecDeque::new();
    for (i, desc) in descs.iter().enumerate() {
        if blobs.exists(&desc.digest) {
            progress.layer(&desc.digest, LayerState::AlreadyExists);
        } else {
            progress.layer(&desc.digest, LayerState::Waiting);
            queue.push_back(i);
        }
    }
    let downloaded = !queue.is_empty();
    let fresh: Vec<bool> = descs.iter().map(|d| !blobs.exists(&d.digest)).collect();
    let ready: Vec<AtomicBool> = descs
        .iter()
        .map(|d| AtomicBool::new(blobs.exists(&d.digest)))
        .collect();
    let growths: Vec<Growth> = descs.iter().map(|_| Growth::default()).collect();
    let queue = Mutex::new(queue);
    let cancel = AtomicBool::new(false);
    let workers = req
        .jobs
        .clamp(1, 16)
        .min(queue.lock().map(|q| q.len()).unwrap_or(1).max(1));
    thread::scope(|s| -> Result<bool> {
        let (tx, rx) = mpsc::channel::<(usize, Result<()>)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (queue, cancel, growths) = (&queue, &cancel, &growths);
            s.spawn(move || loop {
                if cancel.load(Ordering::Relaxed) {
                    abandon(queue, growths);
                    return;
                }
                let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                let Some(i) = next else { return };
                let r = ensure_blob(
                    reg,
                    req.repository,
                    &descs[i],
                    blobs,
                    progress,
                    cancel,
                    &growths[i],
                );
                let failed = r.is_err();
                if tx.send((i, r.map(|_| ()))).is_err() || failed {
                    cancel.store(true, Ordering::Relaxed);
                    abandon(queue, growths);
                    return;
                }
            });
        }
        drop(tx);
        let stages = Stages {
            chains: &chains,
            ready: &ready,
            fresh: &fresh,
            growths: &growths,
        };
        let result = unpack_in_order(descs, diff_ids, &stages, &rx, blobs, layers, progress);
        if result.is_err() {
            cancel.store(true, Ordering::Relaxed);
        }
        result.map(|()| downloaded)
    })
}

/// Per layer: its chain ID, whether its blob is in, whether this pull downloads it, and its
/// download as it grows.
struct Stages<'a> {
    chains: &'a [Digest],
    ready: &'a [AtomicBool],
    fresh: &'a [bool],
    growths: &'a [Growth],
}

/// Marks every download still queued as failed (its follower stops waiting).
fn abandon(queue: &Mutex<VecDeque<usize>>, growths: &[Growth]) {
    if let Ok(mut q) = queue.lock() {
        for i in q.drain(..) {
            growths[i].finish(false);
        }
    }
}

/// Unpacks each layer once its blob is in (waiting on `rx` for the downloads).
fn unpack_in_order(
    descs: &[Descriptor],
    diff_ids: &[Digest],
    stages: &Stages<'_>,
    rx: &mpsc::Receiver<(usize, Result<()>)>,
    blobs: &BlobStore,
    layers: &LayerStore,
    progress: &dyn Progress,
) -> Result<()> {
    let Stages {
        chains,
        ready,
        fresh,
        growths,
    } = stages;
    // Waits until the download of layer `i` has ended well (its digest checked).
    let wait_ready = |i: usize| -> Result<()> {
        while !ready[i].load(Ordering::Relaxed) {
            match rx.recv() {
                Ok((j, Ok(()))) => ready[j].store(true, Ordering::Relaxed),
                Ok((_, Err(e))) => return Err(e),
                Err(_) => {
                    return Err(Error::Transport {
                        url: descs[i].digest.to_string(),
                        reason: "the download stopped".into(),
                    })
                }
            }
        }
        Ok(())
    };
    let from_blob = |i: usize| {
        layers.ensure(&chains[i], &diff_ids[i], || {
            blobs.open_blob(&descs[i].digest)
        })
    };
    for (i, desc) in descs.iter().enumerate() {
        if !layers.exists(&chains[i]) {
            if fresh[i] {
                let streamed = layers.ensure(&chains[i], &diff_ids[i], || Ok(growths[i].follow()));
                wait_ready(i)?;
                if streamed.is_err() {
                    // The download restarted, or the stream was bad: the verified blob decides.
                    from_blob(i).map_err(|e| unpack_error(desc, e))?;
                }
            } else {
                wait_ready(i)?;
                progress.layer(&desc.digest, LayerState::Extracting);
                from_blob(i).map_err(|e| unpack_error(desc, e))?;
            }
        } else {
            wait_ready(i)?;
        }
        if fresh[i] {
            progress.layer(&desc.digest, LayerState::PullComplete);
        }
    }
    Ok(())
}

fn unpack_error(desc: &Descriptor, e: berth_store::Error) -> Error {
    match e {
        berth_store::Error::DigestMismatch { expected, actual } => Error::DigestMismatch {
            what: format!("layer {} (uncompressed content)", desc.digest),
            expected,
            actual,
        },
        other => Error::Store(other),
    }
}
