//! What every part of the model needs besides its own value: the project directory, the
//! interpolation environment (`HOME`, bare `VAR` lookups) and the project name.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The project-wide context of a conversion.
pub(crate) struct Ctx<'a> {
    /// The project directory.
    pub working_dir: &'a Path,
    /// The interpolation environment.
    pub env: &'a BTreeMap<String, String>,
}

impl Ctx<'_> {
    /// A host path from the files: `~` and `~/x` expand to `HOME`, relative paths resolve
    /// against the project directory, `.` and `..` are removed lexically.
    pub fn host_path(&self, p: &str) -> Result<PathBuf, String> {
        let expanded = if p == "~" || p.starts_with("~/") {
            let home = self
                .env
                .get("HOME")
                .ok_or_else(|| format!("cannot expand {p:?}: HOME is not set"))?;
            PathBuf::from(home).join(p.trim_start_matches('~').trim_start_matches('/'))
        } else {
            PathBuf::from(p)
        };
        Ok(clean(&self.working_dir.join(expanded)))
    }
}

/// Removes `.` and `..` components without looking at the file system.
pub(crate) fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}
