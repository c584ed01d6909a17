//! What a pull or push reports as it goes, per layer, in Docker's words. The CLI draws it
//! (bars on a terminal, plain lines otherwise, nothing with `-q`).

use berth_store::Digest;

/// The state of one blob in a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerState {
    /// Queued (`Pulling fs layer` / `Preparing`).
    Waiting,
    /// The blob is already in the store (`Already exists`).
    AlreadyExists,
    /// Bytes received so far of `total` (`Downloading`).
    Downloading {
        /// Bytes so far (including a resumed part).
        done: u64,
        /// The blob's size.
        total: u64,
    },
    /// Downloaded and verified (`Download complete`).
    DownloadComplete,
    /// Being unpacked (`Extracting`).
    Extracting,
    /// Unpacked (`Pull complete`).
    PullComplete,
    /// Bytes sent so far of `total` (`Pushing`).
    Pushing {
        /// Bytes so far.
        done: u64,
        /// The blob's size.
        total: u64,
    },
    /// Sent (`Pushed`).
    Pushed,
    /// The registry has it (`Layer already exists`).
    LayerExists,
    /// Mounted from another repository of the registry (`Mounted from NAME`).
    Mounted,
}

impl LayerState {
    /// Docker's words for the state (without the bar).
    pub fn words(&self) -> &'static str {
        match self {
            LayerState::Waiting => "Waiting",
            LayerState::AlreadyExists => "Already exists",
            LayerState::Downloading { .. } => "Downloading",
            LayerState::DownloadComplete => "Download complete",
            LayerState::Extracting => "Extracting",
            LayerState::PullComplete => "Pull complete",
            LayerState::Pushing { .. } => "Pushing",
            LayerState::Pushed => "Pushed",
            LayerState::LayerExists => "Layer already exists",
            LayerState::Mounted => "Mounted from another repository",
        }
    }
}

/// Receives progress; called from several threads.
pub trait Progress: Send + Sync {
    /// The blob `digest` is now in `state`.
    fn layer(&self, digest: &Digest, state: LayerState);

    /// The blob `digest` was mounted from the repository `from` (Docker's `Mounted from
    /// NAME`); by default the plain [`LayerState::Mounted`].
    fn mounted(&self, digest: &Digest, from: &str) {
        let _ = from;
        self.layer(digest, LayerState::Mounted);
    }
}

/// Progress that goes nowhere (`-q`).
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn layer(&self, _: &Digest, _: LayerState) {}
}
