//! `pause` and `resume`: freeze and thaw every process of a container.

use super::Globals;
use crate::cgroups::CgroupManager;
use crate::error::{Error, Result};
use crate::state::{self, Status};

/// Freezes (`pause`) or thaws (`resume`) container `id`.
pub fn set_paused(g: &Globals, id: &str, paused: bool) -> Result<()> {
    let st = state::load(&g.root, id)?;
    let status = st.status(&state::dir(&g.root, id));
    let want = if paused {
        Status::Running
    } else {
        Status::Paused
    };
    if status != want {
        return Err(Error::BadState {
            id: id.into(),
            status: status.to_string(),
            what: format!(
                "only a {want} container can be {}",
                if paused { "paused" } else { "resumed" }
            ),
        });
    }
    CgroupManager::from_paths(st.cgroup).set_frozen(paused)
}
