//! `list`: every container under the root with its status.

use serde::Serialize;

use super::Globals;
use crate::error::Result;
use crate::state;

/// One row of `list`, with runc's JSON field names.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// OCI version.
    #[serde(rename = "ociVersion")]
    pub oci_version: &'static str,
    /// Id.
    pub id: String,
    /// Init pid (0 when stopped).
    pub pid: i32,
    /// Status name.
    pub status: &'static str,
    /// Bundle path.
    pub bundle: String,
    /// Rootfs path.
    pub rootfs: String,
    /// Creation time.
    pub created: String,
    /// Owner name.
    pub owner: String,
}

/// Lists containers (skipping unreadable state files).
pub fn list(g: &Globals) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for id in state::list_ids(&g.root)? {
        let Ok(st) = state::load(&g.root, &id) else {
            continue;
        };
        let status = st.status(&state::dir(&g.root, &id));
        out.push(Entry {
            oci_version: state::OCI_VERSION,
            pid: if status == state::Status::Stopped {
                0
            } else {
                st.pid
            },
            status: status.as_str(),
            bundle: st.bundle.display().to_string(),
            rootfs: st.rootfs.display().to_string(),
            created: st.created.clone(),
            owner: owner_name(st.owner),
            id,
        });
    }
    Ok(out)
}

/// The user name of `uid` from /etc/passwd, or `#uid`.
fn owner_name(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| format!("#{uid}"))
}
