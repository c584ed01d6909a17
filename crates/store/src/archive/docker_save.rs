//! Writing a docker-archive in the legacy layout `docker save` (20.10 and older) writes:
//! `<id>/layer.tar` (uncompressed), `<id>/json`, `<id>/VERSION`, `<confighex>.json`,
//! `manifest.json` and `repositories`.
//!
//! This shape over Docker 25's OCI-layout-plus-manifest.json: every Docker since 1.10,
//! podman, skopeo and the tools that look for `layer.tar` read it; the newer shape is only
//! more useful to readers that understand OCI layouts, which read `oci-archive` anyway.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use serde::Serialize;
use serde_json::json;

use super::refs;
use super::stored::{copy_layer_uncompressed, StoredImage};
use super::tar_out::TarOut;
use super::SaveImage;
use crate::blobs::BlobStore;
use crate::digest::Digest;
use crate::error::{Error, Result};

/// One entry of `manifest.json`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Writes `images` as a docker-archive to `out`.
pub(crate) fn save<W: Write>(blobs: &BlobStore, images: &[SaveImage], out: W) -> Result<()> {
    let mut tar = TarOut::new(out);
    let mut entries: Vec<(Digest, Entry)> = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut written_ids: HashSet<String> = HashSet::new();
    let mut by_diff_id: HashMap<Digest, String> = HashMap::new();
    for want in images {
        let tags: Vec<String> = want
            .names
            .iter()
            .filter_map(|n| refs::familiar(n))
            .collect();
        if let Some((_, e)) = entries.iter_mut().find(|(d, _)| *d == want.manifest) {
            let known = e.repo_tags.get_or_insert_with(Vec::new);
            super::merge_names(known, tags.clone());
            if let Some(top) = e.layers.last() {
                add_repositories(&mut repositories, &tags, top);
            }
            continue;
        }
        let img = StoredImage::read(blobs, &want.manifest)?;
        let mut layers = Vec::new();
        let mut parent: Option<String> = None;
        let mut chain: Option<Digest> = None;
        for (desc, diff_id) in img.manifest.layers.iter().zip(&img.config.rootfs.diff_ids) {
            let chain_id = match &chain {
                None => diff_id.clone(),
                Some(c) => Digest::of_bytes(format!("{c} {diff_id}").as_bytes()),
            };
            let id = chain_id.hex().to_string();
            let path = format!("{id}/layer.tar");
            if written_ids.insert(id.clone()) {
                tar.dir(&id)?;
                tar.bytes(&format!("{id}/VERSION"), b"1.0")?;
                let mut v1 = json!({
                    "id": id,
                    "created": img.config.created.as_deref().unwrap_or("1970-01-01T00:00:00Z"),
                    "container_config": {},
                    "os": img.config.os,
                });
                if let Some(p) = &parent {
                    v1["parent"] = json!(p);
                }
                tar.bytes(&format!("{id}/json"), &to_json(&v1, "layer json")?)?;
                match by_diff_id.get(diff_id) {
                    Some(first) => tar.symlink(&path, &format!("../{first}"))?,
                    None => {
                        copy_layer_uncompressed(blobs, &mut tar, &path, &desc.digest, diff_id)?;
                        by_diff_id.insert(diff_id.clone(), path.clone());
                    }
                }
            }
            layers.push(path);
            parent = Some(id);
            chain = Some(chain_id);
        }
        let config_name = format!("{}.json", img.manifest.config.digest.hex());
        tar.bytes(&config_name, &img.config_bytes)?;
        if let Some(top) = layers.last() {
            add_repositories(&mut repositories, &tags, top);
        }
        entries.push((
            img.digest.clone(),
            Entry {
                config: config_name,
                repo_tags: (!tags.is_empty()).then_some(tags),
                layers,
            },
        ));
    }
    let manifest: Vec<&Entry> = entries.iter().map(|(_, e)| e).collect();
    tar.bytes("manifest.json", &to_json(&manifest, "manifest.json")?)?;
    if !repositories.is_empty() {
        tar.bytes("repositories", &to_json(&repositories, "repositories")?)?;
    }
    tar.finish()
}

/// Records `repo:tag -> top layer id` for the legacy `repositories` file.
fn add_repositories(
    repositories: &mut BTreeMap<String, BTreeMap<String, String>>,
    tags: &[String],
    top_layer: &str,
) {
    let id = top_layer.trim_end_matches("/layer.tar");
    for t in tags {
        if let (repo, Some(tag)) = refs::split_tag(t) {
            repositories
                .entry(repo.to_string())
                .or_default()
                .insert(tag.to_string(), id.to_string());
        }
    }
}

fn to_json(v: &impl Serialize, what: &'static str) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|source| Error::Json { what, source })
}
