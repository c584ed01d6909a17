//! The small flag values: `--ulimit`, `--restart`, `--device`, `--add-host`, `--user`,
//! `--security-opt`, `--dns`, and `key=value` lists (`--label`, `--sysctl`, `--log-opt`).

use std::net::IpAddr;
use std::path::Path;

use crate::spec::{
    DeviceMapping, Error, HostAddr, HostEntry, RestartPolicy, Result, Seccomp, SecurityOpts, Ulimit,
};

/// The rlimit names `--ulimit` takes.
const ULIMIT_NAMES: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// `--ulimit name=soft[:hard]` (`nofile=1024:2048`, `nproc=512`); `-1` is unlimited.
pub fn parse_ulimit(value: &str) -> Result<Ulimit> {
    let err = |r: String| Error::flag("--ulimit", value, r);
    let (name, limits) = value
        .split_once('=')
        .ok_or_else(|| err(format!("invalid ulimit argument: {value}")))?;
    if !ULIMIT_NAMES.contains(&name) {
        return Err(err(format!("invalid ulimit type: {name}")));
    }
    let parts: Vec<&str> = limits.split(':').collect();
    if parts.len() > 2 {
        return Err(err(format!(
            "too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`"
        )));
    }
    let num = |s: &str| -> Result<i64> {
        s.parse::<i64>()
            .ok()
            .filter(|&n| n >= -1)
            .ok_or_else(|| err(format!("invalid ulimit value: {s}")))
    };
    let soft = num(parts[0])?;
    let hard = match parts.get(1) {
        Some(h) => num(h)?,
        None => soft,
    };
    let as_u = |n: i64| if n == -1 { u64::MAX } else { n as u64 };
    if as_u(soft) > as_u(hard) {
        return Err(err(format!(
            "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        )));
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

/// `--restart no|always|unless-stopped|on-failure[:N]`.
pub fn parse_restart(value: &str) -> Result<RestartPolicy> {
    let err = |r: &str| Error::flag("--restart", value, r);
    let (name, count) = match value.split_once(':') {
        Some(("", _)) => {
            return Err(err(
                "invalid restart policy format: no policy provided before colon",
            ))
        }
        Some((n, c)) => (n, Some(c)),
        None => (value, None),
    };
    let count = match count {
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            err("invalid restart policy format: maximum retry count must be an integer")
        })?),
        None => None,
    };
    let policy = match name {
        "" | "no" => RestartPolicy::No,
        "always" => RestartPolicy::Always,
        "unless-stopped" => RestartPolicy::UnlessStopped,
        "on-failure" => {
            let n = count.unwrap_or(0);
            if n < 0 {
                return Err(err(
                    "invalid restart policy: maximum retry count cannot be negative",
                ));
            }
            let max_retries = u32::try_from(n)
                .map_err(|_| err("invalid restart policy: maximum retry count is too large"))?;
            return Ok(RestartPolicy::OnFailure { max_retries });
        }
        _ => {
            return Err(Error::flag(
                "--restart",
                value,
                format!("invalid restart policy '{name}'"),
            ))
        }
    };
    if count.is_some_and(|c| c != 0) {
        return Err(err(
            "invalid restart policy: maximum retry count can only be used with 'on-failure'",
        ));
    }
    Ok(policy)
}

fn valid_device_mode(m: &str) -> bool {
    !m.is_empty()
        && m.len() <= 3
        && m.bytes().all(|b| matches!(b, b'r' | b'w' | b'm'))
        && m.bytes()
            .enumerate()
            .all(|(i, b)| !m.as_bytes()[..i].contains(&b))
}

/// `--device host[:container][:perms]` (`/dev/sda`, `/dev/sda:/dev/xvda:r`, `/dev/fuse:rwm`).
pub fn parse_device(value: &str) -> Result<DeviceMapping> {
    let err = |r: String| Error::flag("--device", value, r);
    let parts: Vec<&str> = value.splitn(4, ':').collect();
    let mut perms = "rwm";
    let mut dst = "";
    match parts.as_slice() {
        [_] => {}
        [_, b] => {
            if valid_device_mode(b) {
                perms = b;
            } else {
                dst = b;
            }
        }
        [_, b, c] => {
            dst = b;
            perms = c;
        }
        _ => return Err(err(format!("invalid device specification: {value}"))),
    }
    let src = parts[0];
    if src.is_empty() {
        return Err(err(format!("invalid device specification: {value}")));
    }
    if !valid_device_mode(perms) {
        return Err(err(format!("bad mode specified: {perms}")));
    }
    let dst = if dst.is_empty() { src } else { dst };
    if !dst.starts_with('/') {
        return Err(err(format!("bad format for path: {dst}")));
    }
    Ok(DeviceMapping {
        path_on_host: src.to_string(),
        path_in_container: dst.to_string(),
        cgroup_permissions: perms.to_string(),
    })
}

/// An IP address as `--dns` takes it (IPv6 may be in brackets).
pub fn parse_ip(flag: &str, value: &str) -> Result<IpAddr> {
    let v = value.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(v);
    v.parse()
        .map_err(|_| Error::flag(flag, value, format!("{value} is not an ip address")))
}

/// `--add-host name:ip` or `name=ip` (IPv6 allowed, optionally in brackets; `host-gateway`
/// kept as a marker for the engine).
pub fn parse_add_host(value: &str) -> Result<HostEntry> {
    let (name, addr) = value
        .split_once('=')
        .or_else(|| value.split_once(':'))
        .filter(|(k, _)| !k.is_empty() && !k.contains(':'))
        .ok_or_else(|| {
            Error::flag(
                "--add-host",
                value,
                format!("bad format for add-host: \"{value}\""),
            )
        })?;
    let addr = if addr == "host-gateway" {
        HostAddr::HostGateway
    } else {
        let a = addr
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(addr);
        HostAddr::Ip(a.parse().map_err(|_| {
            Error::flag(
                "--add-host",
                value,
                format!("invalid IP address in add-host: \"{a}\""),
            )
        })?)
    };
    Ok(HostEntry {
        name: name.to_string(),
        addr,
    })
}

/// `--user`, split: a user (name or uid) and an optional group (name or gid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    /// User name or numeric uid; empty means the image's default (root).
    pub user: String,
    /// Group name or numeric gid.
    pub group: Option<String>,
}

/// `--user uid`, `name`, `uid:gid`, `name:group`.
pub fn parse_user(value: &str) -> Result<UserSpec> {
    let (user, group) = match value.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (value, None),
    };
    if group.is_some_and(|g| g.is_empty() || g.contains(':'))
        || (user.is_empty() && group.is_some())
    {
        return Err(Error::flag(
            "-u, --user",
            value,
            "expected uid, name, uid:gid or name:group",
        ));
    }
    Ok(UserSpec {
        user: user.to_string(),
        group: group.map(str::to_string),
    })
}

/// `--security-opt` values; `seccomp=FILE` is read from disk.
pub fn parse_security_opts(values: &[String]) -> Result<SecurityOpts> {
    parse_security_opts_with(values, |p| std::fs::read_to_string(p))
}

/// [`parse_security_opts`] with the profile file read by `read`.
pub fn parse_security_opts_with(
    values: &[String],
    read: impl Fn(&Path) -> std::io::Result<String>,
) -> Result<SecurityOpts> {
    let mut out = SecurityOpts::default();
    for v in values {
        let err = || {
            Error::flag(
                "--security-opt",
                v,
                format!("Invalid --security-opt: \"{v}\""),
            )
        };
        if v == "no-new-privileges" {
            out.no_new_privileges = true;
            continue;
        }
        let (key, val) = v
            .split_once('=')
            .or_else(|| v.split_once(':'))
            .ok_or_else(err)?;
        match key {
            "no-new-privileges" => {
                out.no_new_privileges = match val {
                    "true" | "1" | "t" | "T" | "TRUE" | "True" => true,
                    "false" | "0" | "f" | "F" | "FALSE" | "False" => false,
                    _ => return Err(err()),
                }
            }
            "seccomp" if val == "unconfined" => out.seccomp = Seccomp::Unconfined,
            "seccomp" if val == "builtin" => out.seccomp = Seccomp::Default,
            "seccomp" => {
                let json = read(Path::new(val)).map_err(|source| Error::Io {
                    what: format!("opening seccomp profile ({val}) failed"),
                    source,
                })?;
                out.seccomp = Seccomp::Profile(json);
            }
            "apparmor" | "label" | "systempaths" | "writable-cgroups" | "mask" | "unmask"
            | "proc-opts" => out.other.push(v.clone()),
            _ => return Err(err()),
        }
    }
    Ok(out)
}

/// `key=value` (`--label`, `--sysctl`, `--log-opt`); a bare `key` has an empty value when
/// `allow_bare` (as `--label` does) and is an error otherwise.
pub fn parse_key_value(flag: &str, value: &str, allow_bare: bool) -> Result<(String, String)> {
    match value.split_once('=') {
        Some(("", _)) => Err(Error::flag(flag, value, "empty key")),
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None if allow_bare && !value.is_empty() => Ok((value.to_string(), String::new())),
        None => Err(Error::flag(
            flag,
            value,
            format!("invalid key=value: {value}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulimits() {
        let u = parse_ulimit("nofile=1024:2048").unwrap();
        assert_eq!((u.name.as_str(), u.soft, u.hard), ("nofile", 1024, 2048));
        let u = parse_ulimit("nproc=512").unwrap();
        assert_eq!((u.soft, u.hard), (512, 512));
        let u = parse_ulimit("core=-1").unwrap();
        assert_eq!((u.soft, u.hard), (-1, -1));
        assert!(parse_ulimit("core=100:-1").is_ok());
        assert_eq!(
            parse_ulimit("nofile=2048:1024").unwrap_err().to_string(),
            "invalid argument \"nofile=2048:1024\" for \"--ulimit\" flag: ulimit soft limit must be less than or equal to hard limit: 2048 > 1024"
        );
        assert_eq!(
            parse_ulimit("foo=1").unwrap_err().to_string(),
            "invalid argument \"foo=1\" for \"--ulimit\" flag: invalid ulimit type: foo"
        );
        for s in ["nofile", "nofile=", "nofile=x", "nofile=1:2:3", "nofile=-2"] {
            assert!(parse_ulimit(s).is_err(), "{s}");
        }
    }

    #[test]
    fn restart() {
        assert_eq!(parse_restart("no").unwrap(), RestartPolicy::No);
        assert_eq!(parse_restart("always").unwrap(), RestartPolicy::Always);
        assert_eq!(
            parse_restart("unless-stopped").unwrap(),
            RestartPolicy::UnlessStopped
        );
        assert_eq!(
            parse_restart("on-failure").unwrap(),
            RestartPolicy::OnFailure { max_retries: 0 }
        );
        assert_eq!(
            parse_restart("on-failure:3").unwrap(),
            RestartPolicy::OnFailure { max_retries: 3 }
        );
        assert_eq!(
            parse_restart("sometimes").unwrap_err().to_string(),
            "invalid argument \"sometimes\" for \"--restart\" flag: invalid restart policy 'sometimes'"
        );
        for s in ["on-failure:x", "on-failure:-1", "always:3", ":3"] {
            assert!(parse_restart(s).is_err(), "{s}");
        }
    }

    #[test]
    fn devices() {
        let d = parse_device("/dev/sda").unwrap();
        assert_eq!(
            (
                d.path_on_host.as_str(),
                d.path_in_container.as_str(),
                d.cgroup_permissions.as_str()
            ),
            ("/dev/sda", "/dev/sda", "rwm")
        );
        let d = parse_device("/dev/sda:/dev/xvda:r").unwrap();
        assert_eq!(
            (d.path_in_container.as_str(), d.cgroup_permissions.as_str()),
            ("/dev/xvda", "r")
        );
        let d = parse_device("/dev/fuse:rw").unwrap();
        assert_eq!(
            (d.path_in_container.as_str(), d.cgroup_permissions.as_str()),
            ("/dev/fuse", "rw")
        );
        let d = parse_device("/dev/a:/dev/b").unwrap();
        assert_eq!(d.path_in_container, "/dev/b");
        for s in ["", "/dev/a:/b:x", "/dev/a:b", "/a:/b:r:w", "/dev/a:/b:rr"] {
            assert!(parse_device(s).is_err(), "{s}");
        }
    }

    #[test]
    fn add_host() {
        let h = parse_add_host("db:10.0.0.2").unwrap();
        assert_eq!(h.name, "db");
        assert_eq!(h.addr, HostAddr::Ip("10.0.0.2".parse().unwrap()));
        let h = parse_add_host("v6=::1").unwrap();
        assert_eq!(h.addr, HostAddr::Ip("::1".parse().unwrap()));
        let h = parse_add_host("v6:[fe80::1]").unwrap();
        assert_eq!(h.addr, HostAddr::Ip("fe80::1".parse().unwrap()));
        let h = parse_add_host("v6:2001:db8::1").unwrap();
        assert_eq!(h.addr, HostAddr::Ip("2001:db8::1".parse().unwrap()));
        let h = parse_add_host("gw:host-gateway").unwrap();
        assert_eq!(h.addr, HostAddr::HostGateway);
        assert_eq!(
            parse_add_host("noaddr").unwrap_err().to_string(),
            "invalid argument \"noaddr\" for \"--add-host\" flag: bad format for add-host: \"noaddr\""
        );
        assert!(parse_add_host("a:300.1.1.1").is_err());
        assert!(parse_add_host(":1.2.3.4").is_err());
    }

    #[test]
    fn users() {
        assert_eq!(
            parse_user("1000").unwrap(),
            UserSpec {
                user: "1000".into(),
                group: None
            }
        );
        assert_eq!(
            parse_user("bob:staff").unwrap(),
            UserSpec {
                user: "bob".into(),
                group: Some("staff".into())
            }
        );
        assert_eq!(parse_user("0:0").unwrap().group.as_deref(), Some("0"));
        for s in [":1", "a:", "a:b:c"] {
            assert!(parse_user(s).is_err(), "{s}");
        }
    }

    #[test]
    fn security_opts() {
        let read = |p: &Path| -> std::io::Result<String> {
            if p == Path::new("/p.json") {
                Ok("{}".into())
            } else {
                Err(std::io::ErrorKind::NotFound.into())
            }
        };
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let o = parse_security_opts_with(
            &v(&[
                "seccomp=unconfined",
                "no-new-privileges",
                "apparmor=unconfined",
            ]),
            read,
        )
        .unwrap();
        assert_eq!(o.seccomp, Seccomp::Unconfined);
        assert!(o.no_new_privileges);
        assert_eq!(o.other, ["apparmor=unconfined"]);
        let o = parse_security_opts_with(&v(&["seccomp=/p.json", "no-new-privileges=false"]), read)
            .unwrap();
        assert_eq!(o.seccomp, Seccomp::Profile("{}".into()));
        assert!(!o.no_new_privileges);
        assert!(parse_security_opts_with(&v(&["seccomp=/missing"]), read)
            .unwrap_err()
            .to_string()
            .starts_with("opening seccomp profile (/missing) failed"));
        assert!(parse_security_opts_with(&v(&["bogus"]), read).is_err());
        assert!(parse_security_opts_with(&v(&["no-new-privileges=maybe"]), read).is_err());
    }

    #[test]
    fn ips_and_key_values() {
        assert_eq!(parse_ip("--dns", "8.8.8.8").unwrap().to_string(), "8.8.8.8");
        assert_eq!(parse_ip("--dns", "[::1]").unwrap().to_string(), "::1");
        assert!(parse_ip("--dns", "dns.google").is_err());
        assert_eq!(
            parse_key_value("--sysctl", "net.a=1", false).unwrap(),
            ("net.a".to_string(), "1".to_string())
        );
        assert!(parse_key_value("--sysctl", "net.a", false).is_err());
        assert_eq!(parse_key_value("-l, --label", "x", true).unwrap().1, "");
        assert!(parse_key_value("-l, --label", "=x", true).is_err());
    }
}
