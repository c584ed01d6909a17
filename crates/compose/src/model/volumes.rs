//! Service `volumes` (short `src:dst:ro,z` and long form) and `tmpfs`, normalised to the long
//! form, with bind sources resolved against the project directory (compose-go `ParseVolume`).

use serde::Serialize;

use super::ctx::Ctx;
use super::node::Node;
use super::units::bytes_from_node;
use crate::Result;

/// One mount of a service, in compose's long form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// `volume`, `bind`, `tmpfs`, `image`, `npipe` or `cluster`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Volume key (named volume), absolute host path (bind) or image; none: anonymous.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The path in the container.
    pub target: String,
    /// Mounted read-only.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// Bind options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<BindOptions>,
    /// Volume options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeOptions>,
    /// Tmpfs options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<TmpfsOptions>,
    /// `image` mount options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageOptions>,
    /// Accepted and ignored (macOS only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
}

/// `bind:` options of a mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BindOptions {
    /// `rprivate`, `shared`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagation: Option<String>,
    /// Create a missing source directory (the default, as short syntax always did).
    pub create_host_path: bool,
    /// `z` or `Z` (SELinux relabel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selinux: Option<String>,
}

/// `volume:` options of a mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VolumeOptions {
    /// Do not copy the image's content into a new volume.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub nocopy: bool,
    /// Mount this sub-path of the volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

/// `tmpfs:` options of a mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TmpfsOptions {
    /// Size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// File mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
}

/// `image:` options of a mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageOptions {
    /// Mount this sub-path of the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
}

impl Mount {
    fn new(kind: &str, source: Option<String>, target: String) -> Self {
        Mount {
            kind: kind.into(),
            source,
            target,
            read_only: false,
            bind: None,
            volume: None,
            tmpfs: None,
            image: None,
            consistency: None,
        }
    }

    /// The named volume (top-level key) this mount uses, if any.
    pub fn named_volume(&self) -> Option<&str> {
        (self.kind == "volume")
            .then_some(self.source.as_deref())
            .flatten()
    }
}

/// Reads a service's `volumes`.
pub(crate) fn mounts(n: Node<'_, '_>, ctx: &Ctx<'_>) -> Result<Vec<Mount>> {
    let mut out = Vec::new();
    if n.is_null() {
        return Ok(out);
    }
    for item in n.items()? {
        let item = item.node();
        let mut m = if item.v.is_object() {
            long_mount(item)?
        } else {
            parse_volume(item.str()?).map_err(|e| item.err(e))?
        };
        if m.kind == "bind" {
            if let Some(src) = &m.source {
                let p = ctx.host_path(src).map_err(|e| item.err(e))?;
                m.source = Some(p.to_string_lossy().into_owned());
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// Parses the short syntax `[SRC:]DST[:MODE]`.
pub fn parse_volume(spec: &str) -> Result<Mount, String> {
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "invalid spec: {spec}: empty section between colons"
        ));
    }
    if parts.len() > 3 {
        return Err(format!("invalid spec: {spec}: too many colons"));
    }
    let (source, target) = match parts.len() {
        1 => (None, parts[0].to_string()),
        _ => (Some(parts[0].to_string()), parts[1].to_string()),
    };
    let mut m = match &source {
        None => Mount::new("volume", None, target),
        Some(s) if is_path(s) => {
            let mut m = Mount::new("bind", source.clone(), target);
            m.bind = Some(BindOptions {
                create_host_path: true,
                ..Default::default()
            });
            m
        }
        Some(_) => Mount::new("volume", source.clone(), target),
    };
    if let Some(opts) = parts.get(2) {
        for o in opts.split(',') {
            match o {
                "ro" => m.read_only = true,
                "rw" => m.read_only = false,
                "nocopy" => m.volume.get_or_insert_with(Default::default).nocopy = true,
                "z" | "Z" => {
                    m.bind.get_or_insert_with(Default::default).selinux = Some(o.to_string());
                }
                "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                    m.bind.get_or_insert_with(Default::default).propagation = Some(o.to_string());
                }
                _ => return Err(format!("invalid spec: {spec}: unknown option {o:?}")),
            }
        }
    }
    Ok(m)
}

fn is_path(s: &str) -> bool {
    s.starts_with('.') || s.starts_with('/') || s.starts_with('~')
}

/// A mount in the long syntax (`type:`, `source:`, `target:`, per-type options).
fn long_mount(n: Node<'_, '_>) -> Result<Mount> {
    let kind = required_str(&n, "type", "mount is missing its type")?;
    if !matches!(
        kind.as_str(),
        "volume" | "bind" | "tmpfs" | "image" | "npipe" | "cluster"
    ) {
        return Err(n.err(format!("invalid mount type {kind:?}")));
    }
    let target = required_str(&n, "target", "mount is missing its target")?;
    let mut m = Mount::new(&kind, None, target);
    if kind == "bind" {
        m.bind = Some(BindOptions {
            create_host_path: true,
            ..Default::default()
        });
    }
    for (k, c) in n.entries()? {
        let c = c.node();
        match k {
            "type" | "target" => {}
            "source" => m.source = c.opt_scalar()?.filter(|s| !s.is_empty()),
            "read_only" => m.read_only = c.bool()?,
            "consistency" => m.consistency = Some(c.scalar()?),
            "bind" => bind_options(c, m.bind.get_or_insert_with(Default::default))?,
            "volume" => volume_options(c, m.volume.get_or_insert_with(Default::default))?,
            "tmpfs" => tmpfs_options(c, m.tmpfs.get_or_insert_with(Default::default))?,
            "image" => {
                let i = m.image.get_or_insert_with(Default::default);
                if let Some(s) = c.get("subpath") {
                    i.subpath = Some(s.node().scalar()?);
                }
            }
            k if k.starts_with("x-") => {}
            k => return Err(c.err(format!("unknown mount attribute {k:?}"))),
        }
    }
    if matches!(kind.as_str(), "bind" | "image" | "npipe") && m.source.is_none() {
        return Err(n.err(format!("a {kind} mount needs a source")));
    }
    if kind == "tmpfs" && m.source.is_some() {
        return Err(n.err("a tmpfs mount takes no source"));
    }
    Ok(m)
}

/// The string at `key`; an error saying `missing` without it.
fn required_str(n: &Node<'_, '_>, key: &str, missing: &str) -> Result<String> {
    match n.get(key) {
        Some(c) => Ok(c.node().str()?.to_string()),
        None => Err(n.err(missing)),
    }
}

/// `bind:` options: `propagation`, `create_host_path`, `selinux`.
fn bind_options(c: Node<'_, '_>, b: &mut BindOptions) -> Result<()> {
    for (k, o) in c.entries_or_null()? {
        let o = o.node();
        match k {
            "propagation" => b.propagation = Some(o.scalar()?),
            "create_host_path" => b.create_host_path = o.bool()?,
            "selinux" => b.selinux = Some(o.scalar()?),
            k if k.starts_with("x-") => {}
            k => return Err(o.err(format!("unknown bind option {k:?}"))),
        }
    }
    Ok(())
}

/// `volume:` options: `nocopy`, `subpath`.
fn volume_options(c: Node<'_, '_>, v: &mut VolumeOptions) -> Result<()> {
    for (k, o) in c.entries_or_null()? {
        let o = o.node();
        match k {
            "nocopy" => v.nocopy = o.bool()?,
            "subpath" => v.subpath = Some(o.scalar()?),
            k if k.starts_with("x-") => {}
            k => return Err(o.err(format!("unknown volume option {k:?}"))),
        }
    }
    Ok(())
}

/// `tmpfs:` options: `size`, `mode`.
fn tmpfs_options(c: Node<'_, '_>, t: &mut TmpfsOptions) -> Result<()> {
    for (k, o) in c.entries_or_null()? {
        let o = o.node();
        match k {
            "size" => t.size = Some(bytes_from_node(o)?),
            "mode" => t.mode = Some(file_mode(o)?),
            k if k.starts_with("x-") => {}
            k => return Err(o.err(format!("unknown tmpfs option {k:?}"))),
        }
    }
    Ok(())
}

/// A file mode: an integer (as written, YAML `0o755`/`0755` already decoded) or an octal
/// string (`"0755"`).
pub(crate) fn file_mode(n: Node<'_, '_>) -> Result<u32> {
    if let Some(i) = n.v.as_u64() {
        return u32::try_from(i).map_err(|_| n.err(format!("invalid file mode {i}")));
    }
    let s = n.scalar()?;
    let digits = s.trim_start_matches("0o");
    u32::from_str_radix(digits, 8).map_err(|_| n.err(format!("invalid file mode {s:?}")))
}

/// Reads a service's `tmpfs` (a string or a list of `path[:options]`).
pub(crate) fn tmpfs(n: Node<'_, '_>) -> Result<Vec<String>> {
    let list = n.string_or_list()?;
    for t in &list {
        if !t.starts_with('/') {
            return Err(n.err(format!("invalid tmpfs {t:?}: the path must be absolute")));
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_syntax() {
        let m = parse_volume("db-data:/var/lib/mysql").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (m.kind.as_str(), m.source.as_deref()),
            ("volume", Some("db-data"))
        );
        let m = parse_volume("/usr/src/app/node_modules").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (m.kind.as_str(), m.source, m.target.as_str()),
            ("volume", None, "/usr/src/app/node_modules")
        );
        let m = parse_volume("./src:/app:ro,z").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.kind, "bind");
        assert!(m.read_only);
        assert_eq!(
            m.bind.as_ref().and_then(|b| b.selinux.as_deref()),
            Some("z")
        );
        assert!(m.bind.as_ref().is_some_and(|b| b.create_host_path));
        let m = parse_volume("data:/d:nocopy").unwrap_or_else(|e| panic!("{e}"));
        assert!(m.volume.is_some_and(|v| v.nocopy));
        assert!(parse_volume("a::b")
            .unwrap_err()
            .contains("empty section between colons"));
        assert!(parse_volume("a:b:ro:x")
            .unwrap_err()
            .contains("too many colons"));
        assert!(parse_volume("a:/b:bogus").is_err());
        assert!(parse_volume("").is_err());
    }
}
