//! A container's mounts: `-v`/`--mount`/`--tmpfs` and the image's VOLUMEs become host
//! sources (volumes created and seeded as Docker does) and the records `inspect` shows.

use std::fs;
use std::path::{Path, PathBuf};

use berth_store::oci::ContainerConfig;

use crate::containers::record::MountRecord;
use crate::containers::safe_path::resolve_in_root;
use crate::engine::Engine;
use crate::error::{io_err, Error, Result};
use crate::ids::random_id;
use crate::spec::{self, MountKind, MountSpec, RunOptions};
use crate::volumes::copy_tree;

/// A mount's host side: its source, its volume's name, and whether that volume is anonymous.
struct Source {
    path: PathBuf,
    volume: Option<String>,
    anonymous: bool,
}

impl Engine {
    /// Turns `-v`/`--mount`/`--tmpfs` and the image's VOLUMEs into host sources, creating and
    /// seeding volumes as Docker does.
    pub(super) fn resolve_mounts(
        &self,
        opts: &RunOptions,
        icfg: &ContainerConfig,
        rootfs: &Path,
    ) -> Result<(Vec<spec::ResolvedMount>, Vec<MountRecord>)> {
        let mut resolved = Vec::new();
        let mut records = Vec::new();
        for m in with_image_volumes(opts, icfg) {
            let source = match m.kind {
                MountKind::Bind => bind_source(&m)?,
                MountKind::Volume => self.volume_source(&m, rootfs)?,
                MountKind::Tmpfs => Source {
                    path: PathBuf::from("tmpfs"),
                    volume: None,
                    anonymous: false,
                },
            };
            records.push(mount_record(&m, &source));
            resolved.push(spec::ResolvedMount {
                source: source.path,
                spec: m,
            });
        }
        Ok((resolved, records))
    }

    /// A named or anonymous volume, created if new and then seeded from the image's
    /// content at the target (unless `volume-nocopy`, or the volume is not empty).
    fn volume_source(&self, m: &MountSpec, rootfs: &Path) -> Result<Source> {
        // An existing anonymous volume handed on (compose's recreate keeps the
        // old container's) stays anonymous: it goes with the new container.
        let (name, anonymous) = if m.source.is_empty() {
            (random_id()?, true)
        } else {
            let inherited = self.volume(&m.source).is_ok_and(|v| v.anonymous);
            (m.source.clone(), inherited)
        };
        let new = self.create_volume(&name, &m.volume_labels, anonymous)?;
        let data = self.volume_path(&name);
        if new && !m.volume_nocopy {
            let inside = resolve_in_root(rootfs, &m.target)?;
            if inside.is_dir() && is_empty_dir(&data) {
                copy_tree(&inside, &data)?;
            }
        }
        Ok(Source {
            path: data,
            volume: Some(name),
            anonymous,
        })
    }
}

/// The user's mounts, then an anonymous volume for each image VOLUME no user mount covers.
fn with_image_volumes(opts: &RunOptions, icfg: &ContainerConfig) -> Vec<MountSpec> {
    let mut specs = opts.mounts.clone();
    for target in icfg.volumes.iter().flat_map(|v| v.keys()) {
        if !specs.iter().any(|m| clean(&m.target) == clean(target)) {
            specs.push(MountSpec {
                kind: MountKind::Volume,
                target: target.clone(),
                ..Default::default()
            });
        }
    }
    specs
}

/// A bind mount's host path: absolute, and created when missing as `docker run -v` does.
fn bind_source(m: &MountSpec) -> Result<Source> {
    let p = PathBuf::from(&m.source);
    if !p.is_absolute() {
        return Err(Error::Invalid(format!(
            "invalid mount config: bind source path must be absolute: {}",
            m.source
        )));
    }
    if !p.exists() {
        fs::create_dir_all(&p).map_err(io_err("create bind source", &p))?;
    }
    Ok(Source {
        path: p,
        volume: None,
        anonymous: false,
    })
}

/// Whether `dir` is a readable, empty directory.
fn is_empty_dir(dir: &Path) -> bool {
    fs::read_dir(dir)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false)
}

/// The record of one mount, as `inspect` shows it.
fn mount_record(m: &MountSpec, source: &Source) -> MountRecord {
    let kind = match m.kind {
        MountKind::Bind => "bind",
        MountKind::Volume => "volume",
        MountKind::Tmpfs => "tmpfs",
    };
    let default_propagation = if m.kind == MountKind::Bind {
        "rprivate"
    } else {
        ""
    };
    MountRecord {
        kind: kind.into(),
        name: source.volume.clone(),
        source: if m.kind == MountKind::Tmpfs {
            String::new()
        } else {
            source.path.display().to_string()
        },
        destination: m.target.clone(),
        rw: !m.read_only,
        mode: if m.read_only { "ro" } else { "" }.into(),
        propagation: m
            .bind_propagation
            .map(|p| p.name().to_string())
            .unwrap_or_else(|| default_propagation.into()),
        anonymous: source.anonymous,
    }
}

/// A container path without trailing slashes (`/` stays `/`).
fn clean(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        "/"
    } else {
        t
    }
}
