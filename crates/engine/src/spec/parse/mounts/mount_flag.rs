//! `--mount type=...,source=...,target=...`: Docker's CSV mount syntax, field by field.

use crate::spec::{Error, MountKind, MountSpec, Propagation, Result};

use super::super::bytes::parse_bytes;
use super::{check_target, valid_volume_name};

/// Go's `strconv.ParseBool`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

const MOUNT_FLAG: &str = "--mount";

/// `--mount type=bind|volume|tmpfs,source=..,target=..,readonly,...` (CSV, quoted fields
/// allowed). `type` defaults to `volume`, as in Docker.
pub fn parse_mount(value: &str) -> Result<MountSpec> {
    let fields =
        berth_dockerfile::csv::fields(value).map_err(|r| Error::flag(MOUNT_FLAG, value, r))?;
    let mut mount = MountFields::default();
    for raw in &fields {
        mount.apply(&Field::new(value, raw))?;
    }
    mount.finish(value)
}

/// One `key[=value]` field of `--mount`, with the errors it can cause.
struct Field<'a> {
    /// The whole `--mount` value (for error messages).
    value: &'a str,
    /// The field as written.
    raw: &'a str,
    /// The key, trimmed and lower-cased.
    key: String,
    /// The value after `=`, trimmed.
    val: Option<&'a str>,
}

impl<'a> Field<'a> {
    fn new(value: &'a str, raw: &'a str) -> Self {
        let (key, val) = match raw.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim())),
            None => (raw.trim().to_ascii_lowercase(), None),
        };
        Field {
            value,
            raw,
            key,
            val,
        }
    }

    fn err(&self, reason: String) -> Error {
        Error::flag(MOUNT_FLAG, self.value, reason)
    }

    fn invalid_value(&self, v: &str) -> Error {
        self.err(format!("invalid value for {}: {v}", self.key))
    }

    /// The value a `key=value` field must have.
    fn need(&self) -> Result<&'a str> {
        self.val.ok_or_else(|| {
            self.err(format!(
                "invalid field '{}' must be a key=value pair",
                self.raw
            ))
        })
    }

    /// A boolean field: bare means true.
    fn boolean(&self) -> Result<bool> {
        match self.val {
            None => Ok(true),
            Some(v) => parse_bool(v).ok_or_else(|| self.invalid_value(v)),
        }
    }
}

/// A `--mount` being read: the spec so far, the `type` if given, and the last
/// `bind-*`/`volume-*`/`tmpfs-*` option seen (mixing them with another type is an error).
#[derive(Default)]
struct MountFields {
    m: MountSpec,
    kind: Option<MountKind>,
    bind_opt: Option<String>,
    vol_opt: Option<String>,
    tmpfs_opt: Option<String>,
}

impl MountFields {
    /// Reads one field into the spec.
    fn apply(&mut self, f: &Field) -> Result<()> {
        let m = &mut self.m;
        match f.key.as_str() {
            "type" => self.kind = Some(mount_kind(f)?),
            "source" | "src" => m.source = f.need()?.to_string(),
            "target" | "dst" | "destination" => m.target = f.need()?.to_string(),
            "readonly" | "ro" => m.read_only = f.boolean()?,
            "consistency" => {
                f.need()?;
            }
            k if k.starts_with("bind-") => {
                self.bind_field(f)?;
                self.bind_opt = Some(f.key.clone());
            }
            k if k.starts_with("volume-") => {
                self.volume_field(f)?;
                self.vol_opt = Some(f.key.clone());
            }
            k if k.starts_with("tmpfs-") => {
                self.tmpfs_field(f)?;
                self.tmpfs_opt = Some(f.key.clone());
            }
            _ => return Err(unexpected_key(f)),
        }
        Ok(())
    }

    /// `bind-propagation`, `bind-nonrecursive`, `bind-recursive`.
    fn bind_field(&mut self, f: &Field) -> Result<()> {
        let m = &mut self.m;
        match f.key.as_str() {
            "bind-propagation" => {
                let v = f.need()?;
                m.bind_propagation =
                    Some(Propagation::from_name(v).ok_or_else(|| f.invalid_value(v))?);
            }
            "bind-nonrecursive" => m.bind_nonrecursive = f.boolean()?,
            "bind-recursive" => {
                m.bind_nonrecursive = match f.need()? {
                    "enabled" => false,
                    "disabled" => true,
                    v => return Err(f.invalid_value(v)),
                }
            }
            _ => return Err(unexpected_key(f)),
        }
        Ok(())
    }

    /// `volume-nocopy`, `volume-subpath`, `volume-driver`, `volume-label`, `volume-opt`.
    fn volume_field(&mut self, f: &Field) -> Result<()> {
        let m = &mut self.m;
        match f.key.as_str() {
            "volume-nocopy" | "volume-no-copy" => m.volume_nocopy = f.boolean()?,
            "volume-subpath" => m.volume_subpath = Some(f.need()?.to_string()),
            "volume-driver" => m.volume_driver = Some(f.need()?.to_string()),
            "volume-label" | "volume-opt" => {
                let v = f.need()?;
                let (k, v) = v.split_once('=').unwrap_or((v, ""));
                let map = if f.key == "volume-label" {
                    &mut m.volume_labels
                } else {
                    &mut m.volume_options
                };
                map.insert(k.to_string(), v.to_string());
            }
            _ => return Err(unexpected_key(f)),
        }
        Ok(())
    }

    /// `tmpfs-size`, `tmpfs-mode` (octal).
    fn tmpfs_field(&mut self, f: &Field) -> Result<()> {
        let m = &mut self.m;
        match f.key.as_str() {
            "tmpfs-size" => {
                let v = f.need()?;
                m.tmpfs_size = Some(parse_bytes(MOUNT_FLAG, v).map_err(|_| f.invalid_value(v))?);
            }
            "tmpfs-mode" => {
                let v = f.need()?;
                m.tmpfs_mode = Some(u32::from_str_radix(v, 8).map_err(|_| f.invalid_value(v))?);
            }
            _ => return Err(unexpected_key(f)),
        }
        Ok(())
    }

    /// The finished spec: its type (default `volume`), options that fit that type, an
    /// absolute target, and a source as the type needs.
    fn finish(self, value: &str) -> Result<MountSpec> {
        let err = |r: String| Error::flag(MOUNT_FLAG, value, r);
        let mut m = self.m;
        m.kind = self.kind.unwrap_or(MountKind::Volume);
        let mix = |opt: Option<String>, what: &str, ok: MountKind| match opt {
            Some(_) if m.kind != ok => Err(err(format!(
                "cannot mix '{what}-*' options with mount type '{}'",
                kind_name(m.kind)
            ))),
            _ => Ok(()),
        };
        mix(self.bind_opt, "bind", MountKind::Bind)?;
        mix(self.vol_opt, "volume", MountKind::Volume)?;
        mix(self.tmpfs_opt, "tmpfs", MountKind::Tmpfs)?;
        if m.target.is_empty() {
            return Err(err("target is required".into()));
        }
        check_target(MOUNT_FLAG, value, &m.target)?;
        match m.kind {
            MountKind::Bind if m.source.is_empty() => {
                Err(err("source is required when specifying bind mounts".into()))
            }
            MountKind::Tmpfs if !m.source.is_empty() => {
                Err(err("source must not be specified for tmpfs mounts".into()))
            }
            MountKind::Volume if !m.source.is_empty() && !valid_volume_name(&m.source) => {
                Err(err(format!(
                    "\"{}\" includes invalid characters for a local volume name",
                    m.source
                )))
            }
            _ => Ok(m),
        }
    }
}

/// `type=bind|volume|tmpfs`.
fn mount_kind(f: &Field) -> Result<MountKind> {
    Ok(match f.need()? {
        "bind" => MountKind::Bind,
        "volume" => MountKind::Volume,
        "tmpfs" => MountKind::Tmpfs,
        t => return Err(f.err(format!("invalid value for type: {t}"))),
    })
}

/// "unexpected key" for a field `--mount` does not know.
fn unexpected_key(f: &Field) -> Error {
    f.err(format!("unexpected key '{}' in '{}'", f.key, f.raw))
}

/// The mount type as `type=` spells it.
fn kind_name(k: MountKind) -> &'static str {
    match k {
        MountKind::Bind => "bind",
        MountKind::Volume => "volume",
        MountKind::Tmpfs => "tmpfs",
    }
}
