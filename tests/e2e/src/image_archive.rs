//! Image archives made inside a test, since no registry is reachable: a deterministic layer
//! tar of a directory, and the two archive layouts that `docker save`, `ctr image import`,
//! `berth load` and friends exchange.
//!
//! * [`ArchiveFormat::Docker`]: the classic `docker save` layout —
//!   `<layer-hex>/layer.tar`, `<config-hex>.json`, `manifest.json`
//!   (`[{"Config", "RepoTags", "Layers"}]`) and `repositories`.
//! * [`ArchiveFormat::Oci`]: an OCI image layout in a tar — `oci-layout`, `index.json` and
//!   `blobs/sha256/<hex>` for layers, config and manifest — plus a `manifest.json` whose paths
//!   point into `blobs/`, as Docker 25+ writes it, so Docker-style loaders read it too.
//!
//! Layers are uncompressed tars (their digest is their diff_id). Everything is deterministic:
//! entries sorted by name, fixed mtimes, no user or group names, JSON with sorted keys; the
//! same input gives byte-identical archives and digests.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::bundle::make_busybox_rootfs;

/// The mtime of every entry this module writes (2001-09-09T01:46:40Z): fixed for
/// reproducible digests, and not 0 (some tar tools warn about 1970 timestamps).
pub const MTIME: u64 = 1_000_000_000;

/// The `created` timestamp written into image configs, matching [`MTIME`].
pub const CREATED: &str = "2001-09-09T01:46:40Z";

/// Which layout the archive uses; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `docker save` (manifest.json + `<hex>.json` config + `<hex>/layer.tar`).
    Docker,
    /// OCI image layout (oci-layout, index.json, blobs/sha256) plus a Docker manifest.json.
    Oci,
}

/// What the image's config says about running it (the `config` object of the image config).
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// `Env`, `KEY=VALUE` entries.
    pub env: Vec<String>,
    /// `Cmd`.
    pub cmd: Vec<String>,
    /// `Entrypoint`; empty for none.
    pub entrypoint: Vec<String>,
    /// `WorkingDir`; empty for none.
    pub working_dir: String,
}

impl Default for RunConfig {
    /// A busybox-style default: the usual PATH, `Cmd = ["sh"]`.
    fn default() -> Self {
        RunConfig {
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            cmd: vec!["sh".into()],
            entrypoint: Vec::new(),
            working_dir: String::new(),
        }
    }
}

/// An archive written by [`write_archive`], with the digests a test may check against.
#[derive(Debug, Clone)]
pub struct ImageArchive {
    /// The archive file.
    pub path: PathBuf,
    /// The reference as written into the archive (`RepoTags`), e.g. `berth-e2e/busybox:latest`.
    pub reference: String,
    /// [`normalize_reference`] of `reference`: what containerd names the imported image.
    pub normalized: String,
    /// `sha256:<hex>` of the image config (the Docker "image id").
    pub config_digest: String,
    /// `sha256:<hex>` of the OCI manifest written (the OCI layout's `index.json` entry). The
    /// Docker layout stores no manifest; this is then the manifest an importer converting it
    /// to OCI media types would compute, given for reference only.
    pub manifest_digest: String,
    /// `sha256:<hex>` of each (uncompressed) layer, bottom first; equal to the diff_ids.
    pub layer_digests: Vec<String>,
}

/// `sha256:<lowercase hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(data)))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn digest_hex(d: &str) -> &str {
    d.strip_prefix("sha256:").unwrap_or(d)
}

/// The GOARCH name of this machine (`amd64`, `arm64`, ...), as image configs spell it.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "arm" => "arm",
        "powerpc64" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        other => other,
    }
}

/// Docker's reference normalization, enough for tests: a one-component name gets
/// `docker.io/library/`, a name whose first component is not a host (no `.` or `:`, not
/// `localhost`) gets `docker.io/`, and a missing tag becomes `:latest`.
/// `busybox` -> `docker.io/library/busybox:latest`; `berth-e2e/busybox:t1` ->
/// `docker.io/berth-e2e/busybox:t1`; `localhost:5000/x@sha256:..` is unchanged.
pub fn normalize_reference(r: &str) -> String {
    let (first, rest) = match r.split_once('/') {
        Some((f, rest)) => (f, Some(rest)),
        None => (r, None),
    };
    let mut out = match rest {
        None => format!("docker.io/library/{r}"),
        Some(_) if first.contains('.') || first.contains(':') || first == "localhost" => {
            r.to_string()
        }
        Some(_) => format!("docker.io/{r}"),
    };
    let last = out.rsplit('/').next().unwrap_or("");
    if !last.contains(':') && !last.contains('@') {
        out.push_str(":latest");
    }
    out
}

/// The tag of a reference (`latest` when it has none).
fn tag_of(r: &str) -> String {
    let last = r.rsplit('/').next().unwrap_or(r);
    let last = last.split('@').next().unwrap_or(last);
    last.split_once(':')
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| "latest".into())
}

/// The repository part of a reference (no tag, no digest).
fn repo_of(r: &str) -> String {
    let r = r.split('@').next().unwrap_or(r);
    match r.rsplit_once('/') {
        Some((head, last)) => format!("{head}/{}", last.split(':').next().unwrap_or(last)),
        None => r.split(':').next().unwrap_or(r).to_string(),
    }
}

/// An uncompressed layer tar of everything below `dir` (not `dir` itself): entries sorted
/// by path, names relative (`bin/`, `bin/sh`), mode/uid/gid from the files, mtime [`MTIME`],
/// no user/group names. Handles directories, regular files and symlinks; hard links are
/// stored as separate files; sockets, fifos and devices are skipped.
pub fn layer_from_dir(dir: &Path) -> io::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    append_tree(&mut b, dir, Path::new(""))?;
    b.into_inner()
}

fn append_tree(b: &mut tar::Builder<Vec<u8>>, base: &Path, rel: &Path) -> io::Result<()> {
    let mut names: Vec<_> = fs::read_dir(base.join(rel))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    names.sort();
    for name in names {
        let rel = rel.join(&name);
        let full = base.join(&rel);
        let md = fs::symlink_metadata(&full)?;
        let ft = md.file_type();
        let mut h = tar::Header::new_gnu();
        h.set_mode(md.permissions().mode() & 0o7777);
        h.set_uid(u64::from(md.uid()));
        h.set_gid(u64::from(md.gid()));
        h.set_mtime(MTIME);
        if ft.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            b.append_data(&mut h, format!("{}/", rel.display()), io::empty())?;
            append_tree(b, base, &rel)?;
        } else if ft.is_symlink() {
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, &rel, fs::read_link(&full)?)?;
        } else if ft.is_file() {
            h.set_entry_type(tar::EntryType::Regular);
            let data = fs::read(&full)?;
            h.set_size(data.len() as u64);
            b.append_data(&mut h, &rel, data.as_slice())?;
        }
    }
    Ok(())
}

/// The image config JSON (`application/vnd.oci.image.config.v1+json`, which Docker reads
/// too) for `layers` and `run`, for linux on this machine's architecture.
pub fn image_config(layers: &[Vec<u8>], run: &RunConfig) -> Value {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256_digest(l)).collect();
    let mut cfg = json!({ "Env": run.env, "Cmd": run.cmd });
    if !run.entrypoint.is_empty() {
        cfg["Entrypoint"] = json!(run.entrypoint);
    }
    if !run.working_dir.is_empty() {
        cfg["WorkingDir"] = json!(run.working_dir);
    }
    let history: Vec<Value> = layers
        .iter()
        .map(|_| json!({"created": CREATED, "created_by": "berth-e2e image_archive"}))
        .collect();
    json!({
        "architecture": go_arch(),
        "os": "linux",
        "created": CREATED,
        "config": cfg,
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": history,
    })
}

/// Writes an image archive of `layers` (uncompressed tars, bottom first) with config `run`,
/// tagged `reference` (e.g. `berth-e2e/busybox:latest`), to `path` in `format`.
pub fn write_archive(
    path: &Path,
    reference: &str,
    layers: &[Vec<u8>],
    run: &RunConfig,
    format: ArchiveFormat,
) -> io::Result<ImageArchive> {
    let config = serde_json::to_vec(&image_config(layers, run))?;
    let config_digest = sha256_digest(&config);
    let layer_digests: Vec<String> = layers.iter().map(|l| sha256_digest(l)).collect();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": layers.iter().zip(&layer_digests).map(|(l, d)| json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": d,
            "size": l.len(),
        })).collect::<Vec<_>>(),
    }))?;
    let manifest_digest = sha256_digest(&manifest);
    let normalized = normalize_reference(reference);

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    match format {
        ArchiveFormat::Docker => {
            let layer_paths: Vec<String> = layer_digests
                .iter()
                .map(|d| format!("{}/layer.tar", digest_hex(d)))
                .collect();
            for (p, l) in layer_paths.iter().zip(layers) {
                files.push((p.clone(), l.clone()));
            }
            let config_path = format!("{}.json", digest_hex(&config_digest));
            files.push((config_path.clone(), config.clone()));
            files.push((
                "manifest.json".into(),
                serde_json::to_vec(&json!([{
                    "Config": config_path, "RepoTags": [reference], "Layers": layer_paths,
                }]))?,
            ));
            let top = layer_digests
                .last()
                .map(|d| digest_hex(d).to_string())
                .unwrap_or_default();
            files.push((
                "repositories".into(),
                serde_json::to_vec(&json!({ repo_of(reference): { tag_of(reference): top } }))?,
            ));
        }
        ArchiveFormat::Oci => {
            let blob = |d: &str| format!("blobs/sha256/{}", digest_hex(d));
            files.push((
                "oci-layout".into(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ));
            for (d, l) in layer_digests.iter().zip(layers) {
                files.push((blob(d), l.clone()));
            }
            files.push((blob(&config_digest), config.clone()));
            files.push((blob(&manifest_digest), manifest.clone()));
            files.push((
                "index.json".into(),
                serde_json::to_vec(&json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [{
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": manifest_digest,
                        "size": manifest.len(),
                        "annotations": {
                            "io.containerd.image.name": normalized,
                            "org.opencontainers.image.ref.name": tag_of(reference),
                        },
                    }],
                }))?,
            ));
            files.push((
                "manifest.json".into(),
                serde_json::to_vec(&json!([{
                    "Config": blob(&config_digest),
                    "RepoTags": [reference],
                    "Layers": layer_digests.iter().map(|d| blob(d)).collect::<Vec<_>>(),
                }]))?,
            ));
        }
    }
    write_tar(path, &files)?;
    Ok(ImageArchive {
        path: path.to_path_buf(),
        reference: reference.to_string(),
        normalized,
        config_digest,
        manifest_digest,
        layer_digests,
    })
}

/// Writes `files` (path, content) as a tar at `path`, with the directories their paths need
/// (each once, before its first file), all root-owned, mode 0644/0755, mtime [`MTIME`].
fn write_tar(path: &Path, files: &[(String, Vec<u8>)]) -> io::Result<()> {
    let mut b = tar::Builder::new(Vec::new());
    let mut dirs_done: Vec<String> = Vec::new();
    for (name, data) in files {
        let parts: Vec<&str> = name.split('/').collect();
        for i in 1..parts.len() {
            let d = format!("{}/", parts[..i].join("/"));
            if !dirs_done.contains(&d) {
                let mut h = header(tar::EntryType::Directory, 0o755);
                b.append_data(&mut h, &d, io::empty())?;
                dirs_done.push(d);
            }
        }
        let mut h = header(tar::EntryType::Regular, 0o644);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data.as_slice())?;
    }
    let bytes = b.into_inner()?;
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

fn header(t: tar::EntryType, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(t);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(MTIME);
    h.set_size(0);
    h
}

/// A one-layer busybox image archive: the harness's busybox rootfs (Debian's busybox-static,
/// its applet symlinks, /etc/passwd and /etc/group; see [`make_busybox_rootfs`]) is built in
/// `work_dir/rootfs`, tarred with [`layer_from_dir`] and written to `path` with `Cmd = ["sh"]`.
pub fn busybox_archive(
    work_dir: &Path,
    path: &Path,
    reference: &str,
    format: ArchiveFormat,
) -> io::Result<ImageArchive> {
    let rootfs = work_dir.join("rootfs");
    let _ = fs::remove_dir_all(&rootfs);
    fs::create_dir_all(&rootfs)?;
    make_busybox_rootfs(&rootfs);
    let layer = layer_from_dir(&rootfs)?;
    fs::remove_dir_all(&rootfs)?;
    write_archive(path, reference, &[layer], &RunConfig::default(), format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_normalize_like_docker() {
        assert_eq!(
            normalize_reference("busybox"),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            normalize_reference("berth-e2e/busybox:t1"),
            "docker.io/berth-e2e/busybox:t1"
        );
        assert_eq!(normalize_reference("localhost/x"), "localhost/x:latest");
        assert_eq!(
            normalize_reference("reg.example:5000/a/b:c"),
            "reg.example:5000/a/b:c"
        );
        assert_eq!(tag_of("reg:5000/a/b"), "latest");
        assert_eq!(repo_of("reg:5000/a/b:c"), "reg:5000/a/b");
    }

    #[test]
    fn archives_are_deterministic_and_digests_match() {
        let dir =
            std::env::temp_dir().join(format!("berth-e2e-archive-unit-{}", std::process::id()));
        let root = dir.join("root");
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::write(root.join("bin/hello"), b"hi\n").unwrap();
        std::os::unix::fs::symlink("hello", root.join("bin/hi")).unwrap();
        let layer = layer_from_dir(&root).unwrap();
        assert_eq!(
            layer,
            layer_from_dir(&root).unwrap(),
            "layer tar is not reproducible"
        );
        for fmt in [ArchiveFormat::Docker, ArchiveFormat::Oci] {
            let write = |name: &str| {
                write_archive(
                    &dir.join(name),
                    "t/x:1",
                    std::slice::from_ref(&layer),
                    &RunConfig::default(),
                    fmt,
                )
                .unwrap()
            };
            let a = write("a.tar");
            let first = fs::read(&a.path).unwrap();
            let b = write("b.tar");
            assert_eq!(
                first,
                fs::read(&b.path).unwrap(),
                "{fmt:?} archive is not reproducible"
            );
            let mut ar = tar::Archive::new(first.as_slice());
            let mut seen = 0;
            for e in ar.entries().unwrap() {
                let mut e = e.unwrap();
                if e.header().entry_type().is_dir() {
                    continue;
                }
                let name = e.path().unwrap().display().to_string();
                let mut data = Vec::new();
                io::Read::read_to_end(&mut e, &mut data).unwrap();
                if let Some(h) = name.strip_prefix("blobs/sha256/") {
                    assert_eq!(sha256_digest(&data), format!("sha256:{h}"), "blob {name}");
                    seen += 1;
                }
                if fmt == ArchiveFormat::Docker && name.ends_with("/layer.tar") {
                    assert_eq!(
                        sha256_digest(&data),
                        format!("sha256:{}", name.trim_end_matches("/layer.tar"))
                    );
                    seen += 1;
                }
                if fmt == ArchiveFormat::Docker
                    && name.ends_with(".json")
                    && name != "manifest.json"
                {
                    assert_eq!(
                        sha256_digest(&data),
                        format!("sha256:{}", name.trim_end_matches(".json"))
                    );
                    seen += 1;
                }
            }
            assert_eq!(
                seen,
                if fmt == ArchiveFormat::Oci { 3 } else { 2 },
                "{fmt:?}: blobs checked"
            );
        }
        fs::remove_dir_all(&dir).unwrap();
    }
}
