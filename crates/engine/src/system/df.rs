//! `berth system df`: disk used by images (unpacked layers, each counted once), containers
//! (their writable layers) and volumes, and how much of it pruning would free.

use std::collections::{HashMap, HashSet};

use berth_store::Digest;

use crate::containers::brief::ContainerBrief;
use crate::containers::state::State;
use crate::engine::Engine;
use crate::error::Result;
use crate::images::index::{self, ImageRow};
use crate::volumes::dir_size;

/// One image's usage.
#[derive(Debug, Clone)]
pub struct ImageUsage {
    /// The index row (ID, tags, created).
    pub row: ImageRow,
    /// All its layers.
    pub size: u64,
    /// Layers it shares with other images.
    pub shared: u64,
    /// Containers created from it.
    pub containers: usize,
}

/// One container's usage.
#[derive(Debug, Clone)]
pub struct ContainerUsage {
    /// Its record's listing fields.
    pub record: ContainerBrief,
    /// Its live state.
    pub state: State,
    /// Bytes in its writable layer.
    pub size: u64,
}

/// One volume's usage.
#[derive(Debug, Clone)]
pub struct VolumeUsage {
    /// Name.
    pub name: String,
    /// Containers mounting it.
    pub links: usize,
    /// Bytes in it.
    pub size: u64,
}

/// Everything `system df` reports.
#[derive(Debug, Clone, Default)]
pub struct DiskUsage {
    /// Images, newest first.
    pub images: Vec<ImageUsage>,
    /// Layer bytes, each layer once.
    pub images_size: u64,
    /// Layer bytes no container's image needs.
    pub images_reclaimable: u64,
    /// Containers, newest first.
    pub containers: Vec<ContainerUsage>,
    /// Build cache entries (steps that made a layer or none).
    pub build_cache_entries: usize,
    /// Unpacked bytes of the layers only the build cache keeps, plus cache mounts.
    pub build_cache_size: u64,
    /// Volumes by name.
    pub volumes: Vec<VolumeUsage>,
}

/// One summary row of `system df`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Images, Containers, Local Volumes, Build Cache.
    pub kind: &'static str,
    /// How many.
    pub total: usize,
    /// How many in use.
    pub active: usize,
    /// Bytes.
    pub size: u64,
    /// Bytes pruning would free.
    pub reclaimable: u64,
}

impl DiskUsage {
    /// The four summary rows, in Docker's order.
    pub fn summary(&self) -> Vec<Summary> {
        let active_ctrs = self
            .containers
            .iter()
            .filter(|c| c.state.is_running())
            .count();
        let ctr_size: u64 = self.containers.iter().map(|c| c.size).sum();
        let ctr_free: u64 = self
            .containers
            .iter()
            .filter(|c| !c.state.is_running())
            .map(|c| c.size)
            .sum();
        let vol_size: u64 = self.volumes.iter().map(|v| v.size).sum();
        let vol_free: u64 = self
            .volumes
            .iter()
            .filter(|v| v.links == 0)
            .map(|v| v.size)
            .sum();
        vec![
            Summary {
                kind: "Images",
                total: self.images.len(),
                active: self.images.iter().filter(|i| i.containers > 0).count(),
                size: self.images_size,
                reclaimable: self.images_reclaimable,
            },
            Summary {
                kind: "Containers",
                total: self.containers.len(),
                active: active_ctrs,
                size: ctr_size,
                reclaimable: ctr_free,
            },
            Summary {
                kind: "Local Volumes",
                total: self.volumes.len(),
                active: self.volumes.iter().filter(|v| v.links > 0).count(),
                size: vol_size,
                reclaimable: vol_free,
            },
            Summary {
                kind: "Build Cache",
                total: self.build_cache_entries,
                active: 0,
                size: self.build_cache_size,
                reclaimable: self.build_cache_size,
            },
        ]
    }
}

impl Engine {
    /// Measures disk usage (walks every container's writable layer and every volume).
    pub fn disk_usage(&self) -> Result<DiskUsage> {
        let containers: Vec<ContainerUsage> = self
            .container_briefs()?
            .into_iter()
            .map(|(record, state)| {
                let size = dir_size(&self.paths.container(&record.id).join("upper"));
                ContainerUsage {
                    record,
                    state,
                    size,
                }
            })
            .collect();
        let layers = self.layer_store()?;
        let mut chain_size: HashMap<Digest, u64> = HashMap::new();
        let mut chain_users: HashMap<Digest, usize> = HashMap::new();
        let mut per_image = Vec::new();
        let mut image_users: HashMap<&str, usize> = HashMap::new();
        for c in &containers {
            *image_users.entry(c.record.image_id.as_str()).or_default() += 1;
        }
        for row in index::list(&self.db)? {
            let chains = self
                .image_by_id(&row.id)
                .map(|i| Engine::chain_ids(&i))
                .unwrap_or_default();
            for c in &chains {
                chain_size
                    .entry(c.clone())
                    .or_insert_with(|| layers.size(c).unwrap_or(0));
                *chain_users.entry(c.clone()).or_default() += 1;
            }
            let users = image_users.get(row.id.as_str()).copied().unwrap_or(0);
            per_image.push((row, chains, users));
        }
        let mut in_use: HashSet<Digest> = HashSet::new();
        for (_, chains, users) in &per_image {
            if *users > 0 {
                in_use.extend(chains.iter().cloned());
            }
        }
        let images_size = chain_size.values().sum();
        let images_reclaimable = chain_size
            .iter()
            .filter(|(c, _)| !in_use.contains(*c))
            .map(|(_, s)| s)
            .sum();
        let images = per_image
            .into_iter()
            .map(|(row, chains, users)| {
                let shared = chains
                    .iter()
                    .filter(|c| chain_users.get(*c).copied().unwrap_or(0) > 1)
                    .map(|c| chain_size.get(c).copied().unwrap_or(0))
                    .sum();
                let size = chains
                    .iter()
                    .map(|c| chain_size.get(c).copied().unwrap_or(0))
                    .sum::<u64>()
                    .max(row.size);
                ImageUsage {
                    row,
                    size,
                    shared,
                    containers: users,
                }
            })
            .collect();
        // Containers per volume name, each container counted once per volume.
        let mut volume_links: HashMap<&str, usize> = HashMap::new();
        for c in &containers {
            let names: HashSet<&str> = c
                .record
                .mounts
                .iter()
                .filter_map(|m| m.name.as_deref())
                .collect();
            for n in names {
                *volume_links.entry(n).or_default() += 1;
            }
        }
        let mut volumes = Vec::new();
        for v in self.volumes()? {
            let links = volume_links.get(v.name.as_str()).copied().unwrap_or(0);
            volumes.push(VolumeUsage {
                size: dir_size(&self.volume_path(&v.name)),
                name: v.name,
                links,
            });
        }
        let (entries, chains) = crate::build::cache::usage(&self.db)?;
        let build_cache_size = chains
            .iter()
            .filter(|c| !chain_size.contains_key(*c))
            .map(|c| layers.size(c).unwrap_or(0))
            .sum::<u64>()
            + dir_size(&self.paths.root.join("build-cache"));
        Ok(DiskUsage {
            images,
            images_size,
            images_reclaimable,
            containers,
            volumes,
            build_cache_entries: entries,
            build_cache_size,
        })
    }
}
