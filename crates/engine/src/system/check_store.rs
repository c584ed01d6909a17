//! The store half of `system check`: temp files, unreferenced blobs and layers, images whose
//! blobs are missing.

use std::fs;
use std::path::Path;

use crate::engine::Engine;
use crate::error::{io_err, Result};
use crate::system::check::Findings;
use crate::system::util::{owner_pid, process_running};

impl Engine {
    /// Store checks (the caller holds the store lock exclusively).
    pub(crate) fn check_store(&self, f: &mut Findings) -> Result<()> {
        self.check_store_tmp(f)?;
        let layers = self.layer_store()?;
        // Half-unpacked layers of killed commands (a killed pull unpacks while it downloads)
        // are debris, not problems: cleaned here under the exclusive store lock, as a pull
        // cleans them when it starts. What the pull completed is kept by its pending record.
        layers.remove_stale()?;
        let mut all_readable = true;
        let blobs_store = &self.blobs;
        let live = self.live_content(&mut |id, image| match image {
            Err(e) => {
                all_readable = false;
                f.unfixable(
                    "broken image",
                    format!("sha256:{id}"),
                    format!(
                        "{e}; remove it with `berth rmi -f {}`",
                        &id[..12.min(id.len())]
                    ),
                );
            }
            Ok((_, wanted)) => {
                for d in wanted {
                    if !blobs_store.exists(d) {
                        all_readable = false;
                        f.unfixable(
                            "missing blob",
                            d.to_string(),
                            format!(
                                "image sha256:{id} needs it; remove the image with `berth rmi -f` and pull or load it again"
                            ),
                        );
                    }
                }
            }
        })?;
        let (blobs, chains) = (live.blobs, live.chains);
        // Content that commands still running are making is not (yet) garbage.
        let (making_blobs, making_chains) = self.in_the_making(&[])?;
        for d in self.blobs.list()? {
            if blobs.contains(&d) || making_blobs.contains(&d) {
                continue;
            }
            if all_readable {
                let (store, digest) = (&self.blobs, d.clone());
                f.fixable(
                    "unreferenced blob",
                    d.to_string(),
                    "no image uses it (an import, load or removal was cut short)",
                    move || Ok(store.delete(&digest)?),
                );
            } else {
                f.unfixable(
                    "unreferenced blob",
                    d.to_string(),
                    "no readable image uses it; kept until the broken images are removed",
                );
            }
        }
        for c in layers.list()? {
            if !chains.contains(&c) && !making_chains.contains(&c) {
                let (store, chain) = (layers.clone(), c.clone());
                f.fixable(
                    "unreferenced layer",
                    layers.layer_dir(&c).display().to_string(),
                    "no image uses this unpacked layer",
                    move || Ok(store.remove(&chain)?),
                );
            }
        }
        Ok(())
    }

    /// `<root>/store/tmp`: blob and archive work files whose process is gone are debris of
    /// killed imports, loads and builds, removed without a finding (like half-unpacked
    /// layers); the half-made mount-point skeletons (`<root>/skeletons/.tmp-<pid>-*`) of
    /// such processes are reported.
    fn check_store_tmp(&self, f: &mut Findings) -> Result<()> {
        let tmp = self.paths.store().join("tmp");
        let mut debris = Findings {
            repair: true,
            list: Vec::new(),
        };
        work_files_left(&mut debris, &tmp, "store temp file", |_| true)?;
        for d in debris.list {
            if let Some(Err(e)) = d.repaired {
                f.unfixable("store temp file", d.subject, e);
            }
        }
        let skel = self.paths.skeletons();
        work_files_left(f, &skel, "half-made skeleton", |n| n.starts_with(".tmp-"))
    }
}

/// The entries of `dir` that `ours` selects whose owning process (named in them) is gone.
fn work_files_left(
    f: &mut Findings,
    dir: &Path,
    what: &'static str,
    ours: impl Fn(&str) -> bool,
) -> Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("list", dir)(e)),
    };
    let mut found = Vec::new();
    for e in entries {
        let e = e.map_err(io_err("list", dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !ours(&name) {
            continue;
        }
        let owner = owner_pid(&name);
        if owner.is_some_and(process_running) {
            continue;
        }
        found.push((e.path(), owner));
    }
    found.sort();
    for (path, owner) in found {
        let detail = match owner {
            Some(pid) => format!("left by process {pid}, which is gone"),
            None => "not a berth work file".to_string(),
        };
        let p = path.clone();
        f.fixable(what, path.display().to_string(), detail, move || {
            remove_path(&p)
        });
    }
    Ok(())
}

/// Removes a file or a directory tree; missing is fine.
pub(crate) fn remove_path(path: &Path) -> Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("stat", path)(e)),
    };
    let r = if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match r {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err("remove", path)(e)),
        _ => Ok(()),
    }
}
