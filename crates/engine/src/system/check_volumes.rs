//! `system check` for volumes: records whose data directory is gone, and data directories
//! no record knows (adopted as volumes rather than deleted: they hold user data).

use std::collections::{BTreeMap, HashSet};
use std::fs;

use crate::engine::Engine;
use crate::error::{io_err, Result};
use crate::system::check::Findings;

impl Engine {
    /// Cross-checks `<root>/volumes/*` against the volume records.
    pub(crate) fn check_volumes(&self, f: &mut Findings) -> Result<()> {
        let recorded: HashSet<String> = self.volumes()?.into_iter().map(|v| v.name).collect();
        for name in &recorded {
            let data = self.volume_path(name);
            if !data.is_dir() {
                let d = data.clone();
                f.fixable(
                    "volume without data",
                    name.clone(),
                    format!("{} is missing; an empty one is made", data.display()),
                    move || fs::create_dir_all(&d).map_err(io_err("create", &d)),
                );
            }
        }
        let dir = self.paths.volumes();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err("list", &dir)(e)),
        };
        let mut orphans: Vec<String> = Vec::new();
        for e in entries {
            let e = e.map_err(io_err("list", &dir))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().join("_data").is_dir() && !recorded.contains(&name) {
                orphans.push(name);
            }
        }
        orphans.sort();
        for name in orphans {
            let n = name.clone();
            f.fixable(
                "volume without record",
                name,
                "its data is kept and recorded as a volume again",
                move || self.create_volume(&n, &BTreeMap::new(), false).map(|_| ()),
            );
        }
        Ok(())
    }
}
