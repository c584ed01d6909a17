//! Implicit pulls, where Docker does them: `run`/`create` (`--pull missing|always|never`) and
//! a build's base images (`FROM` of an image not in the store; `build --pull`).

use berth_registry::progress::{Progress, Silent};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::images::pull::PullOptions;
use crate::images::resolve::Image;
use crate::reference::Reference;

/// `--pull`: when to pull the image a container is created from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    /// Pull when the store lacks it (Docker's default).
    #[default]
    Missing,
    /// Pull every time.
    Always,
    /// Never pull.
    Never,
}

impl PullPolicy {
    /// Parses `--pull`'s value (Docker's words, and podman's `newer`, taken as `always`).
    pub fn parse(s: &str) -> Result<PullPolicy> {
        match s {
            "missing" => Ok(PullPolicy::Missing),
            "always" | "newer" => Ok(PullPolicy::Always),
            "never" => Ok(PullPolicy::Never),
            other => Err(Error::Invalid(format!(
                "invalid pull option: '{other}': must be one of \"always\", \"missing\" or \"never\""
            ))),
        }
    }
}

impl Engine {
    /// Whether `what` must be pulled under `policy` (a missing image that is a reference,
    /// not an ID, under `missing`; any reference under `always`).
    pub fn needs_pull(&self, what: &str, policy: PullPolicy) -> Result<bool> {
        if policy == PullPolicy::Never || Reference::parse(what).is_err() {
            return Ok(false);
        }
        if policy == PullPolicy::Always {
            return Ok(!looks_like_id(what));
        }
        match self.resolve_image_id(what) {
            Ok(_) => Ok(false),
            Err(Error::NoSuchImage(_)) => Ok(!looks_like_id(what)),
            Err(e) => Err(e),
        }
    }

    /// The image `what` names for a build's `FROM`: pulled first when missing, or always
    /// with `pull_always`.
    pub fn image_or_pull(&mut self, what: &str, pull_always: bool) -> Result<Image> {
        let policy = if pull_always {
            PullPolicy::Always
        } else {
            PullPolicy::Missing
        };
        if self.needs_pull(what, policy)? {
            let progress: &dyn Progress = &Silent;
            self.pull(what, &PullOptions::default(), progress)?;
        }
        self.image(what)
    }
}

/// A bare hex string of 12 or more characters is taken for an image ID, not a name.
fn looks_like_id(what: &str) -> bool {
    let hex = what.strip_prefix("sha256:").unwrap_or(what);
    hex.len() >= 12 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}
