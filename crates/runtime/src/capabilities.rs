//! The five capability sets of `process.capabilities`.
//!
//! Order matters (as in runc): the bounding set is reduced while we still hold CAP_SETPCAP,
//! before the uid change; the other sets are applied after it, with keep-caps so the change of
//! uid does not clear them.

use std::collections::HashSet;

use caps::{CapSet, Capability as Cap, CapsHashSet};
use oci_spec::runtime::{Capabilities, LinuxCapabilities};

use crate::error::{Error, Result};

/// A resolved set of capabilities for each of the five sets.
#[derive(Debug, Clone, Default)]
pub struct CapSets {
    /// Bounding set.
    pub bounding: CapsHashSet,
    /// Effective set.
    pub effective: CapsHashSet,
    /// Inheritable set.
    pub inheritable: CapsHashSet,
    /// Permitted set.
    pub permitted: CapsHashSet,
    /// Ambient set.
    pub ambient: CapsHashSet,
}

/// Converts the spec's sets into `caps` sets, dropping (like runc) capabilities this kernel
/// does not know. `None` sets are empty, as the specification says for a missing field.
pub fn resolve(spec_caps: &LinuxCapabilities) -> Result<CapSets> {
    let supported: HashSet<Cap> = caps::runtime::thread_all_supported();
    let conv = |set: &Option<Capabilities>| -> Result<CapsHashSet> {
        let mut out = CapsHashSet::new();
        for c in set.iter().flatten() {
            let name = format!("CAP_{c}");
            let cap: Cap = name
                .parse()
                .map_err(|_| Error::Spec(format!("unknown capability {name}")))?;
            if supported.contains(&cap) {
                out.insert(cap);
            }
        }
        Ok(out)
    };
    Ok(CapSets {
        bounding: conv(spec_caps.bounding())?,
        effective: conv(spec_caps.effective())?,
        inheritable: conv(spec_caps.inheritable())?,
        permitted: conv(spec_caps.permitted())?,
        ambient: conv(spec_caps.ambient())?,
    })
}

fn caps_err(what: &str, e: caps::errors::CapsError) -> Error {
    Error::Init(format!("{what}: {e}"))
}

/// Drops every capability not in the bounding set (needs CAP_SETPCAP; call before setuid).
pub fn apply_bounding(sets: &CapSets) -> Result<()> {
    let current =
        caps::read(None, CapSet::Bounding).map_err(|e| caps_err("read bounding set", e))?;
    for cap in current.difference(&sets.bounding) {
        caps::drop(None, CapSet::Bounding, *cap)
            .map_err(|e| caps_err(&format!("drop {cap} from the bounding set"), e))?;
    }
    Ok(())
}

/// Sets the effective, permitted, inheritable and ambient sets (call after setuid).
pub fn apply_rest(sets: &CapSets) -> Result<()> {
    // Inheritable first, while CAP_SETPCAP is still effective; then effective, shrinking it
    // inside the current permitted set; permitted last, which must stay a superset of it.
    caps::set(None, CapSet::Inheritable, &sets.inheritable)
        .map_err(|e| caps_err("set inheritable capabilities", e))?;
    caps::set(None, CapSet::Effective, &sets.effective)
        .map_err(|e| caps_err("set effective capabilities", e))?;
    caps::set(None, CapSet::Permitted, &sets.permitted)
        .map_err(|e| caps_err("set permitted capabilities", e))?;
    if !sets.ambient.is_empty() {
        // Ambient capabilities must be both permitted and inheritable; skip the rest as runc does.
        for cap in &sets.ambient {
            if sets.permitted.contains(cap) && sets.inheritable.contains(cap) {
                caps::raise(None, CapSet::Ambient, *cap)
                    .map_err(|e| caps_err(&format!("raise ambient {cap}"), e))?;
            }
        }
    } else {
        let _ = caps::clear(None, CapSet::Ambient);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names() {
        let lc: LinuxCapabilities = serde_json::from_str(
            r#"{"bounding":["CAP_KILL","CAP_NET_BIND_SERVICE"],"effective":["CAP_KILL"]}"#,
        )
        .unwrap();
        let s = resolve(&lc).unwrap();
        assert!(
            s.bounding.contains(&Cap::CAP_KILL) && s.bounding.contains(&Cap::CAP_NET_BIND_SERVICE)
        );
        assert_eq!(s.effective.len(), 1);
        assert!(s.permitted.is_empty());
    }
}
