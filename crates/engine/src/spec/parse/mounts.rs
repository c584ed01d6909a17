//! `-v`, `--mount` and `--tmpfs`.

use crate::spec::{Error, MountKind, MountSpec, Propagation, Result};

use super::bytes::parse_bytes;

mod mount_flag;

pub use mount_flag::parse_mount;

const VOLUME_FLAG: &str = "-v, --volume";

/// Docker's rule for local volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
fn valid_volume_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// Rejects a relative target and `/`.
fn check_target(flag: &str, value: &str, target: &str) -> Result<()> {
    if !target.starts_with('/') {
        return Err(Error::flag(
            flag,
            value,
            format!("invalid mount path: '{target}' mount path must be absolute"),
        ));
    }
    if target.trim_end_matches('/').is_empty() {
        return Err(Error::flag(
            flag,
            value,
            "invalid specification: destination can't be '/'",
        ));
    }
    Ok(())
}

/// `-v`: `/ctr` (anonymous volume), `name:/ctr`, `/host:/ctr` or `./rel:/ctr` (a source
/// starting with `/` or `.` is a bind), each with an optional `:mode` list of `ro`/`rw`,
/// `z`/`Z`, a propagation (binds only) and `nocopy` (volumes only).
pub fn parse_volume(value: &str) -> Result<MountSpec> {
    let bad = || {
        Error::flag(
            VOLUME_FLAG,
            value,
            format!("invalid volume specification: '{value}'"),
        )
    };
    let parts: Vec<&str> = value.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => ("", *t, ""),
        [s, t] => (*s, *t, ""),
        [s, t, m] => (*s, *t, *m),
        _ => return Err(bad()),
    };
    if target.is_empty() || (parts.len() > 1 && source.is_empty()) {
        return Err(bad());
    }
    check_target(VOLUME_FLAG, value, target)?;
    let kind = if source.starts_with('/') || source.starts_with('.') {
        MountKind::Bind
    } else {
        if !source.is_empty() && !valid_volume_name(source) {
            return Err(Error::flag(
                VOLUME_FLAG,
                value,
                format!(
                    "\"{source}\" includes invalid characters for a local volume name, only \
                     \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host \
                     directory, use absolute path"
                ),
            ));
        }
        MountKind::Volume
    };
    let mut m = MountSpec {
        kind,
        source: source.to_string(),
        target: target.to_string(),
        ..MountSpec::default()
    };
    if mode.is_empty() && parts.len() == 3 {
        return Err(bad());
    }
    apply_volume_mode(&mut m, value, mode)?;
    Ok(m)
}

/// `-v`'s `:mode` list onto `m`: `ro`/`rw`, `z`/`Z`, `nocopy` (volumes), a propagation
/// (binds), Docker Desktop's consistency hints (ignored); each family at most once.
fn apply_volume_mode(m: &mut MountSpec, value: &str, mode: &str) -> Result<()> {
    let invalid_mode = || Error::flag(VOLUME_FLAG, value, format!("invalid mode: {mode}"));
    let (mut rw_seen, mut label_seen, mut prop_seen, mut copy_seen) = (false, false, false, false);
    for opt in mode
        .split(',')
        .filter(|o| !mode.is_empty() || !o.is_empty())
    {
        let seen = match opt {
            "ro" | "rw" => {
                m.read_only = opt == "ro";
                &mut rw_seen
            }
            "z" | "Z" => {
                m.selinux_label = Some(opt.to_string());
                &mut label_seen
            }
            "nocopy" if m.kind == MountKind::Volume => {
                m.volume_nocopy = true;
                &mut copy_seen
            }
            // Docker Desktop's consistency hints: accepted, no effect on Linux.
            "consistent" | "cached" | "delegated" => continue,
            _ => match Propagation::from_name(opt) {
                Some(p) if m.kind == MountKind::Bind => {
                    m.bind_propagation = Some(p);
                    &mut prop_seen
                }
                _ => return Err(invalid_mode()),
            },
        };
        if std::mem::replace(seen, true) {
            return Err(invalid_mode());
        }
    }
    Ok(())
}

/// `--tmpfs /path[:options]` (`/run:rw,size=64m,mode=1777`). `size=` and `mode=` go to
/// the typed fields when they parse; every other option is kept as given.
pub fn parse_tmpfs(value: &str) -> Result<MountSpec> {
    const F: &str = "--tmpfs";
    let (target, opts) = value.split_once(':').unwrap_or((value, ""));
    check_target(F, value, target)?;
    let mut m = MountSpec {
        kind: MountKind::Tmpfs,
        target: target.to_string(),
        ..MountSpec::default()
    };
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        if let Some(size) = opt.strip_prefix("size=") {
            if let Ok(n) = parse_bytes(F, size) {
                m.tmpfs_size = Some(n);
                continue;
            }
        } else if let Some(mode) = opt.strip_prefix("mode=") {
            m.tmpfs_mode = Some(
                u32::from_str_radix(mode, 8)
                    .map_err(|_| Error::flag(F, value, format!("invalid tmpfs mode: {mode}")))?,
            );
            continue;
        } else if opt == "ro" || opt == "rw" {
            m.read_only = opt == "ro";
        }
        m.tmpfs_options.push(opt.to_string());
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes() {
        let m = parse_volume("/ctr").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.target.as_str()),
            (MountKind::Volume, "", "/ctr")
        );
        let m = parse_volume("data:/d").unwrap();
        assert_eq!((m.kind, m.source.as_str()), (MountKind::Volume, "data"));
        let m = parse_volume("data:/d:ro,nocopy").unwrap();
        assert!(m.read_only && m.volume_nocopy);
        let m = parse_volume("/host:/ctr:ro,rshared,Z").unwrap();
        assert_eq!(m.kind, MountKind::Bind);
        assert!(m.read_only);
        assert_eq!(m.bind_propagation, Some(Propagation::RShared));
        assert_eq!(m.selinux_label.as_deref(), Some("Z"));
        let m = parse_volume("./rel:/ctr:rw").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.read_only),
            (MountKind::Bind, "./rel", false)
        );
    }

    #[test]
    fn bad_volumes() {
        for s in [
            "",
            "rel",
            "a:b",
            "/a:/b:ro,rw",
            "/a:/b:nocopy",
            "v:/b:shared",
            "/a:/b:xx",
            "/a:/b:c:d",
            "/a:/",
            "a$b:/c",
            ":/c",
            "/a:/b:",
        ] {
            assert!(parse_volume(s).is_err(), "{s}");
        }
        assert_eq!(
            parse_volume("/a:/b:c:d").unwrap_err().to_string(),
            "invalid argument \"/a:/b:c:d\" for \"-v, --volume\" flag: invalid volume specification: '/a:/b:c:d'"
        );
        assert_eq!(
            parse_volume("/a:rel").unwrap_err().to_string(),
            "invalid argument \"/a:rel\" for \"-v, --volume\" flag: invalid mount path: 'rel' mount path must be absolute"
        );
    }

    #[test]
    fn mounts() {
        let m = parse_mount("type=bind,source=/a,target=/b,readonly").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.target.as_str(), m.read_only),
            (MountKind::Bind, "/a", "/b", true)
        );
        let m = parse_mount("type=volume,src=vol,dst=/d,volume-nocopy").unwrap();
        assert_eq!(
            (m.kind, m.source.as_str(), m.volume_nocopy),
            (MountKind::Volume, "vol", true)
        );
        assert!(parse_mount("type=volume,src=v,dst=/d").is_err());
        let m = parse_mount("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770").unwrap();
        assert_eq!(
            (m.kind, m.tmpfs_size, m.tmpfs_mode),
            (MountKind::Tmpfs, Some(64 << 20), Some(0o1770))
        );
        let m = parse_mount("target=/x").unwrap();
        assert_eq!((m.kind, m.source.as_str()), (MountKind::Volume, ""));
        let m = parse_mount("type=bind,\"source=/a,b\",target=/c,bind-propagation=rslave,ro=false")
            .unwrap();
        assert_eq!(m.source, "/a,b");
        assert_eq!(m.bind_propagation, Some(Propagation::RSlave));
        assert!(!m.read_only);
        let m =
            parse_mount("type=volume,source=vol,target=/v,volume-opt=type=nfs,volume-label=a=b")
                .unwrap();
        assert_eq!(
            m.volume_options.get("type").map(String::as_str),
            Some("nfs")
        );
        assert_eq!(m.volume_labels.get("a").map(String::as_str), Some("b"));
    }

    #[test]
    fn bad_mounts() {
        for s in [
            "type=bind,target=/b",
            "type=tmpfs,source=x,target=/t",
            "type=foo,target=/t",
            "type=bind,source=/a",
            "type=bind,source=/a,target=/b,volume-nocopy",
            "type=volume,target=/b,tmpfs-size=1m",
            "type=tmpfs,target=/b,tmpfs-mode=9",
            "type=bind,so\"urce=/a,target=/b",
            "type=bind,\"source=/a,target=/b",
            "bogus=1,target=/b",
            "type,target=/b",
            "type=bind,source=/a,target=rel",
            "type=bind,source=/a,target=/b,readonly=maybe",
        ] {
            assert!(parse_mount(s).is_err(), "{s}");
        }
        assert_eq!(
            parse_mount("type=bind,source=/a").unwrap_err().to_string(),
            "invalid argument \"type=bind,source=/a\" for \"--mount\" flag: target is required"
        );
        assert_eq!(
            parse_mount("type=volume,target=/b,tmpfs-size=1m").unwrap_err().to_string(),
            "invalid argument \"type=volume,target=/b,tmpfs-size=1m\" for \"--mount\" flag: cannot mix 'tmpfs-*' options with mount type 'volume'"
        );
    }

    #[test]
    fn tmpfs() {
        let m = parse_tmpfs("/run:rw,size=64m,mode=1777").unwrap();
        assert_eq!(m.kind, MountKind::Tmpfs);
        assert_eq!((m.tmpfs_size, m.tmpfs_mode), (Some(64 << 20), Some(0o1777)));
        assert_eq!(m.tmpfs_options, ["rw"]);
        let m = parse_tmpfs("/t:exec,uid=1000,size=50%").unwrap();
        assert_eq!(m.tmpfs_options, ["exec", "uid=1000", "size=50%"]);
        let m = parse_tmpfs("/t").unwrap();
        assert!(m.tmpfs_options.is_empty());
        assert!(parse_tmpfs("rel").is_err());
        assert!(parse_tmpfs("/t:mode=99").is_err());
    }
}
