//! `state`: the OCI state of one container as JSON.

use super::Globals;
use crate::error::Result;
use crate::state;

/// The state JSON of container `id`, pretty-printed as runc prints it.
pub fn state_json(g: &Globals, id: &str) -> Result<String> {
    let st = state::load(&g.root, id)?;
    let status = st.status(&state::dir(&g.root, id));
    Ok(serde_json::to_string_pretty(&st.oci(status)).unwrap_or_default())
}
