//! `update`: changes the resource limits of a live container.

pub use oci_spec::runtime::LinuxResources;

use super::Globals;
use crate::cgroups::CgroupManager;
use crate::error::{Error, Result};
use crate::state;

/// Parses resources in the spec's `linux.resources` JSON form.
pub fn parse_resources(json: &[u8]) -> Result<LinuxResources> {
    serde_json::from_slice(json).map_err(|e| Error::Spec(format!("resources: {e}")))
}

/// Applies `resources` to container `id`'s cgroup.
pub fn update(g: &Globals, id: &str, resources: &LinuxResources) -> Result<()> {
    let st = state::load(&g.root, id)?;
    CgroupManager::from_paths(st.cgroup).update(resources)
}
