//! Checking a rootfs tarball entry by entry while it streams: the same header checks a
//! layer unpack makes (names, `..` escapes, device nodes, hard-link targets), plus paths
//! that would go through a symlink of the same archive.

use std::collections::HashSet;
use std::io::{self, Read};

use crate::error::{Error, Result};
use crate::unpack::{read_meta, Kind};

/// Reads the whole tar stream (to its very end, padding included), checking every header.
/// Returns the number of entries.
pub(crate) fn validate_tar(reader: impl Read) -> Result<u64> {
    let mut archive = tar::Archive::new(reader);
    let mut symlinks: HashSet<Vec<Vec<u8>>> = HashSet::new();
    let mut count = 0u64;
    let mut last: Option<String> = None;
    let err = |last: &Option<String>, source: io::Error| Error::Stream {
        what: match last {
            Some(e) => format!("corrupt or truncated tarball (after entry {e})"),
            None => "corrupt or truncated tarball (at its first entry)".into(),
        },
        source,
    };
    for entry in archive.entries().map_err(|e| err(&last, e))? {
        let mut entry = entry.map_err(|e| err(&last, e))?;
        let Some(meta) = read_meta(&mut entry)? else {
            continue;
        };
        let comps = meta.path.components();
        for i in 1..comps.len() {
            if symlinks.contains(&comps[..i]) {
                return Err(Error::BadArchive(format!(
                    "layer entry {} goes through a symlink ({})",
                    meta.shown,
                    String::from_utf8_lossy(&comps[..i].join(&b'/'))
                )));
            }
        }
        if let Kind::Hardlink(target) = &meta.kind {
            let t = target.components();
            if (1..t.len()).any(|i| symlinks.contains(&t[..i])) {
                return Err(Error::BadArchive(format!(
                    "layer entry {} is a hard link to {}, which goes through a symlink",
                    meta.shown,
                    target.display()
                )));
            }
        }
        if matches!(meta.kind, Kind::Symlink(_)) {
            symlinks.insert(comps.to_vec());
        } else if !symlinks.is_empty() {
            symlinks.remove(comps);
        }
        count += 1;
        last = Some(meta.shown);
    }
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(|e| err(&last, e))?;
    Ok(count)
}
