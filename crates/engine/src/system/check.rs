//! `berth system check [--repair]`: finds what crashed or killed berth processes left behind
//! and, with `repair`, puts it right.
//!
//! Checked, with the store lock held exclusively (so no import or load is in flight):
//!
//! * first, silently: what dead commands left is rolled back through their owner journals
//!   (`<root>/txn`, see `crate::txn`), and temp files and dirs in `<root>/store/tmp` and
//!   `<root>/layers/tmp-*` whose owning process is gone are removed;
//! * store: blobs and unpacked layers no indexed image references
//!   (half-done imports, loads and removals); indexed images whose blobs are missing
//!   (reported only: `berth rmi -f` them); half-made mount-point skeletons
//!   (`<root>/skeletons/.tmp-<pid>-*`) whose process is gone;
//! * containers: container directories without a record (older than a minute: younger
//!   ones may be a `create` in progress) and records without a directory; containers whose
//!   monitor died (recorded as exited with code 255, or, when the init still runs
//!   unsupervised, killed and recorded as exited with 137); runtime state under
//!   `<run>/runtime` with no container or no live monitor; control sockets under `<run>/s`
//!   whose monitor is gone; `exec` work dirs under `<run>/exec` whose process is gone.
//!
//! Without `repair` nothing changes. A stopped container keeps its rootfs mounted until it
//! is removed (`create` mounts it), so such a mount is not a finding; the mount of a
//! container directory without a record is unmounted with the directory.

use std::time::Duration;

use crate::engine::Engine;
use crate::error::Result;
use crate::lock::Lock;

/// How old an unowned container directory must be before it counts as left behind.
pub const GRACE: Duration = Duration::from_secs(60);

/// One thing found wrong.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What kind of leftover (`store temp file`, `unreferenced blob`, ...).
    pub what: String,
    /// The path or ID concerned.
    pub subject: String,
    /// Why it is wrong.
    pub detail: String,
    /// `None`: not attempted (no `--repair`, or cannot be repaired); else the outcome.
    pub repaired: Option<std::result::Result<(), String>>,
    /// Whether `--repair` can fix it.
    pub repairable: bool,
}

impl Finding {
    /// Whether the problem is still there.
    pub fn remains(&self) -> bool {
        !matches!(self.repaired, Some(Ok(())))
    }
}

/// Everything `system check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    /// The findings, store first.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Findings still unrepaired.
    pub fn remaining(&self) -> usize {
        self.findings.iter().filter(|f| f.remains()).count()
    }

    /// Whether nothing is wrong (now).
    pub fn clean(&self) -> bool {
        self.remaining() == 0
    }
}

/// Collects findings, repairing each as it is found when asked to.
pub(crate) struct Findings {
    pub(crate) repair: bool,
    pub(crate) list: Vec<Finding>,
}

impl Findings {
    /// A finding `fix` can repair (run only with `--repair`).
    pub fn fixable(
        &mut self,
        what: &str,
        subject: impl Into<String>,
        detail: impl Into<String>,
        fix: impl FnOnce() -> Result<()>,
    ) {
        let repaired = self.repair.then(|| fix().map_err(|e| e.to_string()));
        self.list.push(Finding {
            what: what.into(),
            subject: subject.into(),
            detail: detail.into(),
            repaired,
            repairable: true,
        });
    }

    /// Whether findings are being repaired.
    pub fn repairing(&self) -> bool {
        self.repair
    }

    /// A finding berth cannot repair by itself.
    pub fn unfixable(&mut self, what: &str, subject: impl Into<String>, detail: impl Into<String>) {
        self.list.push(Finding {
            what: what.into(),
            subject: subject.into(),
            detail: detail.into(),
            repaired: None,
            repairable: false,
        });
    }
}

impl Engine {
    /// Checks the state root for leftovers of crashed or killed commands; with `repair`,
    /// removes or fixes them. Holds the store lock exclusively throughout.
    pub fn system_check(&self, repair: bool) -> Result<CheckReport> {
        let _lock = Lock::exclusive(&self.paths.locks(), "store")?;
        // What dead commands left is rolled back (or finished), not reported.
        self.clean_dead_owners_locked()?;
        let mut f = Findings {
            repair,
            list: Vec::new(),
        };
        self.check_store(&mut f)?;
        self.check_containers(&mut f)?;
        self.check_volumes(&mut f)?;
        self.check_networks(&mut f)?;
        Ok(CheckReport { findings: f.list })
    }
}
