//! Cache keys: each step's key hashes its parent's key, the step itself (expanded) and the
//! content of what it reads. Never mtimes, never the context's location.

use sha2::{Digest as _, Sha256};

/// The cache-key format version: bump it when what a key covers changes.
const VERSION: &str = "berth-build-cache-v1";

/// The key of a step: `parent` chained with each part, length-prefixed.
pub(crate) fn chain(parent: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(VERSION.as_bytes());
    h.update([0]);
    h.update(parent.as_bytes());
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    berth_store::digest::hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_delimited_and_order_matters() {
        assert_ne!(chain("p", &["ab", "c"]), chain("p", &["a", "bc"]));
        assert_ne!(chain("p", &["a", "b"]), chain("p", &["b", "a"]));
        assert_ne!(chain("p", &["a"]), chain("q", &["a"]));
        assert_eq!(chain("p", &["a"]), chain("p", &["a"]));
    }
}
