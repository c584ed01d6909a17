//! `RUN --mount=…` values (BuildKit's `instructions/commands_runmount.go` `parseMount`).

use super::{MountKind, RunMount};

fn parse_bool(key: &str, v: &str) -> Result<bool, String> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("invalid value for {key}: {v}")),
    }
}

/// Parses a tmpfs size like `64m`, `1g`, `1024` (go-units `RAMInBytes`: binary multiples).
fn parse_size(v: &str) -> Result<u64, String> {
    berth_units::size::ram_in_bytes(v)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| format!("invalid size: '{v}'"))
}

/// Expands one option value.
pub(crate) type WordExpander<'a> = dyn FnMut(&str) -> Result<String, String> + 'a;

/// Parses one `--mount` value. `expand`, when given, expands every option value except
/// `from`'s before it is interpreted. Without it, values containing `$` are kept unparsed
/// (numbers and booleans are checked once expanded).
pub(crate) fn parse_mount(
    spec: &str,
    mut expand: Option<&mut WordExpander<'_>>,
) -> Result<RunMount, String> {
    let mut m = RunMount {
        spec: spec.to_string(),
        ..RunMount::default()
    };
    let mut ro_set: Option<bool> = None;
    let mut source_set = false;
    for field in
        berth_dockerfile::csv::fields(spec).map_err(|e| format!("invalid mount {spec:?}: {e}"))?
    {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_string())),
            None => (field.to_ascii_lowercase(), None),
        };
        let Some(mut value) = value else {
            match key.as_str() {
                "ro" | "readonly" => ro_set = Some(true),
                "rw" | "readwrite" => ro_set = Some(false),
                "required" => m.required = true,
                _ => return Err(format!("unexpected key '{key}' in '{field}'")),
            }
            continue;
        };
        if key == "from" {
            if let Some(i) = value.find('$') {
                if i != value.len() - 1 {
                    return Err(format!(
                        "'{key}' doesn't support variable expansion, define alias stage instead"
                    ));
                }
            }
        } else if let Some(f) = expand.as_mut() {
            value = f(&value)?;
        }
        let deferred = expand.is_none() && value.contains('$');
        match key.as_str() {
            "type" => {
                if deferred {
                    continue;
                }
                m.kind = match value.to_ascii_lowercase().as_str() {
                    "bind" => MountKind::Bind,
                    "cache" => MountKind::Cache,
                    "tmpfs" => MountKind::Tmpfs,
                    "secret" => MountKind::Secret,
                    "ssh" => MountKind::Ssh,
                    _ => return Err(format!("unsupported mount type \"{value}\"")),
                }
            }
            "from" => m.from = Some(value),
            "source" | "src" => {
                m.source = Some(value);
                source_set = true;
            }
            "target" | "dst" | "destination" => m.target = value,
            "id" => m.id = Some(value),
            "env" => m.env = Some(value),
            "sharing" => {
                if !deferred
                    && !matches!(
                        value.to_ascii_lowercase().as_str(),
                        "shared" | "private" | "locked"
                    )
                {
                    return Err(format!("unsupported sharing value \"{value}\""));
                }
                m.sharing = Some(value.to_ascii_lowercase());
            }
            _ if deferred => {}
            "ro" | "readonly" => ro_set = Some(parse_bool(&key, &value)?),
            "rw" | "readwrite" => ro_set = Some(!parse_bool(&key, &value)?),
            "required" => m.required = parse_bool(&key, &value)?,
            "mode" => {
                m.mode =
                    Some(u32::from_str_radix(&value, 8).map_err(|_| {
                        format!("failed to parse mode: invalid octal value {value:?}")
                    })?)
            }
            "uid" => {
                m.uid = Some(
                    value
                        .parse()
                        .map_err(|_| format!("failed to parse uid: {value:?}"))?,
                )
            }
            "gid" => {
                m.gid = Some(
                    value
                        .parse()
                        .map_err(|_| format!("failed to parse gid: {value:?}"))?,
                )
            }
            "size" => m.size = Some(parse_size(&value)?),
            _ => return Err(format!("unexpected key '{key}' in '{field}'")),
        }
    }
    m.readonly = ro_set.unwrap_or(!matches!(m.kind, MountKind::Cache | MountKind::Tmpfs));
    let kind = m.kind;
    let only = |ok: bool, what: &str| -> Result<(), String> {
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{what} is not allowed for {} mounts",
                kind.as_str()
            ))
        }
    };
    let id_kinds = matches!(kind, MountKind::Cache | MountKind::Secret | MountKind::Ssh);
    only(m.mode.is_none() || id_kinds, "mode")?;
    only(m.uid.is_none() || id_kinds, "uid")?;
    only(m.gid.is_none() || id_kinds, "gid")?;
    if m.sharing.is_some() && kind != MountKind::Cache {
        return Err(format!(
            "invalid cache sharing set for {} mount",
            kind.as_str()
        ));
    }
    only(m.size.is_none() || kind == MountKind::Tmpfs, "size")?;
    only(
        !m.required || matches!(kind, MountKind::Secret | MountKind::Ssh),
        "required",
    )?;
    match kind {
        MountKind::Secret => {
            if m.from.is_some() {
                return Err("secret mount should not have a from".into());
            }
            if source_set && m.id.is_some() {
                return Err("both source and id can't be set".into());
            }
            if source_set {
                m.id = m.source.take();
            }
            if m.id.is_none() && m.target.is_empty() && m.env.is_none() {
                return Err("invalid secret mount. one of source, target required".into());
            }
        }
        MountKind::Ssh => {
            if source_set {
                return Err("ssh mount should not have a source".into());
            }
        }
        _ => {
            if m.target.is_empty() {
                return Err(format!(
                    "mount target is required for type={} mount",
                    kind.as_str()
                ));
            }
        }
    }
    if m.target == "/" {
        return Err("invalid mount target \"/\"".into());
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_readonly_bind() {
        let m = parse_mount("target=/src,source=app", None).unwrap();
        assert_eq!(m.kind, MountKind::Bind);
        assert_eq!(m.target, "/src");
        assert_eq!(m.source.as_deref(), Some("app"));
        assert!(m.readonly);
        let m = parse_mount("dst=/src,rw", None).unwrap();
        assert!(!m.readonly);
    }

    #[test]
    fn cache_options() {
        let m = parse_mount(
            "type=cache,target=/root/.cache,id=pip,sharing=locked,mode=0700,uid=1000,gid=1000",
            None,
        )
        .unwrap();
        assert_eq!(m.kind, MountKind::Cache);
        assert!(!m.readonly);
        assert_eq!(m.id.as_deref(), Some("pip"));
        assert_eq!(m.sharing.as_deref(), Some("locked"));
        assert_eq!(m.mode, Some(0o700));
        assert_eq!((m.uid, m.gid), (Some(1000), Some(1000)));
        let m = parse_mount("type=cache,target=/x,ro=true", None).unwrap();
        assert!(m.readonly);
    }

    #[test]
    fn secret_ssh_tmpfs() {
        let m = parse_mount("type=secret,id=tok,env=TOKEN,required", None).unwrap();
        assert_eq!(m.kind, MountKind::Secret);
        assert!(m.required);
        assert_eq!(m.env.as_deref(), Some("TOKEN"));
        assert!(m.target.is_empty());
        let m = parse_mount("type=secret,src=aws", None).unwrap();
        assert_eq!(m.id.as_deref(), Some("aws"));
        let m = parse_mount("type=ssh", None).unwrap();
        assert_eq!(m.kind, MountKind::Ssh);
        let m = parse_mount("type=tmpfs,target=/t,size=64m", None).unwrap();
        assert_eq!(m.size, Some(64 << 20));
    }

    #[test]
    fn errors() {
        let e = |s: &str| parse_mount(s, None).unwrap_err();
        assert_eq!(
            e("target=/x,bogus=1"),
            "unexpected key 'bogus' in 'bogus=1'"
        );
        assert_eq!(e("target=/x,bogus"), "unexpected key 'bogus' in 'bogus'");
        assert!(e("type=cache").contains("target is required"));
        assert!(e("type=nope,target=/x").contains("unsupported mount type"));
        assert!(e("type=cache,target=/x,sharing=maybe").contains("unsupported sharing"));
        assert!(e("target=/x,sharing=locked").contains("invalid cache sharing"));
        assert!(e("type=cache,target=/x,mode=9").contains("mode"));
        assert!(e("target=/x,mode=0755").contains("not allowed"));
        assert!(e("type=secret,id=a,from=b").contains("should not have a from"));
        assert!(e("type=ssh,source=a").contains("should not have a source"));
        assert!(e("target=/x,from=$STAGE").contains("define alias stage instead"));
        assert!(e("target=/x,ro=maybe").contains("invalid value"));
    }

    #[test]
    fn expands_values_except_from() {
        let mut f = |v: &str| -> Result<String, String> { Ok(v.replace("$T", "/cache")) };
        let m = parse_mount("type=cache,target=$T,from=base", Some(&mut f)).unwrap();
        assert_eq!(m.target, "/cache");
        assert_eq!(m.from.as_deref(), Some("base"));
        // Without an expander, `$` values are kept and not validated.
        let m = parse_mount("type=cache,target=/x,uid=$UID", None).unwrap();
        assert_eq!(m.uid, None);
    }

    #[test]
    fn quoted_csv() {
        let m = parse_mount("\"target=/a,b\",type=bind", None).unwrap();
        assert_eq!(m.target, "/a,b");
    }
}
