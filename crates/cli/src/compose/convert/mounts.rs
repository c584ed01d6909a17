//! A service's mounts: `volumes` (named volumes resolved to their real names), `tmpfs`,
//! and secrets and configs as read-only file binds.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use berth_compose::model::{FileObject, FileRef, Mount, Project, Service};
use berth_engine::spec::parse::parse_tmpfs;
use berth_engine::spec::{MountKind, MountSpec, Propagation};

/// Every mount of service `s`, in order: volumes, tmpfs, secrets, configs (secret and
/// config files written under `secrets_dir`).
pub(super) fn service_mounts(
    project: &Project,
    s: &Service,
    secrets_dir: &Path,
) -> anyhow::Result<Vec<MountSpec>> {
    let mut mounts = Vec::new();
    for m in &s.volumes {
        mounts.push(mount(project, m)?);
    }
    for t in &s.tmpfs {
        mounts.push(parse_tmpfs(t)?);
    }
    for r in &s.secrets {
        let obj = project
            .secrets
            .get(&r.source)
            .ok_or_else(|| anyhow!("service {}: undefined secret {}", s.name, r.source))?;
        let target = match &r.target {
            Some(t) if t.starts_with('/') => t.clone(),
            Some(t) => format!("/run/secrets/{t}"),
            None => format!("/run/secrets/{}", r.source),
        };
        mounts.push(file_mount(obj, r, &target, &secrets_dir.join("secrets"))?);
    }
    for r in &s.configs {
        let obj = project
            .configs
            .get(&r.source)
            .ok_or_else(|| anyhow!("service {}: undefined config {}", s.name, r.source))?;
        let target = match &r.target {
            Some(t) => t.clone(),
            None => format!("/{}", r.source),
        };
        mounts.push(file_mount(obj, r, &target, &secrets_dir.join("configs"))?);
    }
    Ok(mounts)
}

/// One service mount onto the engine's mount spec.
fn mount(project: &Project, m: &Mount) -> anyhow::Result<MountSpec> {
    let mut spec = MountSpec {
        target: m.target.clone(),
        read_only: m.read_only,
        ..Default::default()
    };
    match m.kind.as_str() {
        "volume" => {
            spec.kind = MountKind::Volume;
            if let Some(src) = &m.source {
                spec.source = project
                    .volumes
                    .get(src)
                    .map(|v| v.name.clone())
                    .ok_or_else(|| {
                        anyhow!("service volume {src:?} is not declared in the top-level volumes")
                    })?;
            }
            if let Some(v) = &m.volume {
                spec.volume_nocopy = v.nocopy;
                spec.volume_subpath = v.subpath.clone();
            }
        }
        "bind" => {
            spec.kind = MountKind::Bind;
            let src = m
                .source
                .clone()
                .ok_or_else(|| anyhow!("bind mount of {} has no source", m.target))?;
            let create = m.bind.as_ref().is_none_or(|b| b.create_host_path);
            if create && !Path::new(&src).exists() {
                std::fs::create_dir_all(&src)
                    .with_context(|| format!("create the bind mount source {src}"))?;
            }
            if let Some(b) = &m.bind {
                spec.bind_propagation = b.propagation.as_deref().and_then(Propagation::from_name);
                spec.selinux_label = b.selinux.clone();
            }
            spec.source = src;
        }
        "tmpfs" => {
            spec.kind = MountKind::Tmpfs;
            if let Some(t) = &m.tmpfs {
                spec.tmpfs_size = t.size;
                spec.tmpfs_mode = t.mode;
            }
        }
        other => bail!("mount type {other:?} (of {}) is not supported", m.target),
    }
    Ok(spec)
}

/// A secret or config as a read-only bind mount of a file: the source file itself, or a file
/// written under `dir` with the variable's or the inline content.
fn file_mount(
    obj: &FileObject,
    r: &FileRef,
    target: &str,
    dir: &Path,
) -> anyhow::Result<MountSpec> {
    let source: PathBuf = if let Some(f) = &obj.file {
        PathBuf::from(f)
    } else {
        let content = match (&obj.environment, &obj.content) {
            (Some(var), _) => super::super::project::variable(var)
                .ok_or_else(|| anyhow!("{}: environment variable {var} is not set", r.source))?,
            (None, Some(c)) => c.clone(),
            (None, None) if obj.external => {
                bail!(
                    "{}: external secrets and configs are not supported",
                    r.source
                )
            }
            (None, None) => bail!("{}: no file, environment or content", r.source),
        };
        std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
        let p = dir.join(&r.source);
        write_private(&p, content.as_bytes(), r.mode.unwrap_or(0o444))?;
        p
    };
    if !source.exists() {
        bail!("{}: {} does not exist", r.source, source.display());
    }
    Ok(MountSpec {
        kind: MountKind::Bind,
        source: source.display().to_string(),
        target: target.to_string(),
        read_only: true,
        ..Default::default()
    })
}

/// Writes `bytes` to `p` with `mode`, replacing it atomically.
fn write_private(p: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let tmp = p.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("write {}", tmp.display()))?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
    std::fs::rename(&tmp, p).with_context(|| format!("write {}", p.display()))?;
    Ok(())
}
