//! `berth system prune`: stopped containers, then (with `volumes`) unused anonymous volumes,
//! then dangling images (with `all`, every image no container uses, and the build cache).

use crate::engine::Engine;
use crate::error::Result;
use crate::images::remove::Removed;
use crate::volumes::dir_size;

/// What `system prune` removes.
#[derive(Debug, Clone, Default)]
pub struct PruneOptions {
    /// Every unused image, not only dangling ones.
    pub all: bool,
    /// Unused anonymous volumes too (as Docker 23+ does).
    pub volumes: bool,
    /// `--filter` (until, label).
    pub filter: crate::system::prune_filter::PruneFilter,
}

/// What `system prune` removed.
#[derive(Debug, Default)]
pub struct PruneReport {
    /// Container IDs.
    pub containers: Vec<String>,
    /// Volume names.
    pub volumes: Vec<String>,
    /// `untagged:` and `deleted:` lines.
    pub images: Removed,
    /// Networks removed.
    pub networks: Vec<String>,
    /// Build cache entries removed (with `all`).
    pub build_cache: u64,
    /// Bytes freed.
    pub reclaimed: u64,
}

impl Engine {
    /// Prunes containers, volumes and images in that order (so that images and volumes the
    /// pruned containers used can go too).
    pub fn system_prune(&mut self, opts: PruneOptions) -> Result<PruneReport> {
        let mut report = PruneReport::default();
        let sizes: Vec<(String, u64)> = self
            .containers()?
            .into_iter()
            .filter(|(_, s)| !s.is_running() && s.status != "restarting")
            .map(|(r, _)| {
                let size = dir_size(&self.paths.container(&r.id).join("upper"));
                (r.id, size)
            })
            .collect();
        report.containers = self.prune_containers(&opts.filter)?;
        report.reclaimed += sizes
            .iter()
            .filter(|(id, _)| report.containers.contains(id))
            .map(|(_, s)| s)
            .sum::<u64>();
        if opts.volumes {
            let (names, bytes) = self.prune_volumes(false, &opts.filter)?;
            report.volumes = names;
            report.reclaimed += bytes;
        }
        // Partial downloads of unfinished pulls go first, so what they kept is collected.
        berth_store::pending::clear(&self.blobs)?;
        let (images, bytes) = self.prune_images(opts.all, &opts.filter)?;
        report.images = images;
        report.reclaimed += bytes;
        report.networks = self.prune_networks(&opts.filter)?;
        if opts.all {
            report.build_cache = self.prune_build_cache()?;
        }
        Ok(report)
    }
}
