//! `--user` resolved against the image's /etc/passwd and /etc/group, as runc's
//! `GetExecUser` and Docker's `getUser` do, reading those files inside the rootfs only:
//! symlinks are resolved as if the rootfs were `/`, by the path-safety core
//! ([`berth_pathsafe::Root::open_in_root`]: `openat2` with `RESOLVE_IN_ROOT`, or its
//! `O_NOFOLLOW` walk on kernels without `openat2`).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use berth_pathsafe::Root;
use rustix::fs::OFlags;
use rustix::io::Errno;

use super::parse::parse_user;
use super::{Error, Result};

/// Largest passwd/group file read (bigger ones are cut here).
const MAX_FILE: u64 = 16 << 20;
/// Largest valid uid/gid.
const MAX_ID: u64 = i32::MAX as u64;

/// The identity the container's process runs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecUser {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Supplementary groups: the primary gid first (as Docker), then /etc/group membership,
    /// then `--group-add`, without duplicates.
    pub additional_gids: Vec<u32>,
    /// Home directory (`/` when unknown), for `HOME`.
    pub home: String,
}

impl Default for ExecUser {
    fn default() -> Self {
        ExecUser {
            uid: 0,
            gid: 0,
            additional_gids: vec![0],
            home: "/".to_string(),
        }
    }
}

struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

struct GroupEntry {
    name: String,
    gid: u32,
    members: Vec<String>,
}

/// Resolves `user` (`""`, `uid`, `name`, `uid:gid`, `name:group`) and `group_add` against
/// the image at `rootfs`. A missing passwd or group file is fine for numeric ids; an unknown
/// name is [`Error::UnknownUser`] / [`Error::UnknownGroup`]. A numeric uid without a passwd
/// entry gets gid 0 and home `/`, as in Docker.
pub fn resolve_user(rootfs: &Path, user: &str, group_add: &[String]) -> Result<ExecUser> {
    let spec = parse_user(user)?;
    let passwd = read_in_root(rootfs, "etc/passwd")?.map(|t| parse_passwd(&t));
    let groups = read_in_root(rootfs, "etc/group")?.map(|t| parse_group(&t));
    let mut out = ExecUser::default();
    out.additional_gids.clear();

    let uid_arg = spec.user.parse::<u64>().ok();
    let mut matched_name = None;
    if !spec.user.is_empty() {
        let found = passwd.iter().flatten().find(|p| match uid_arg {
            Some(uid) => u64::from(p.uid) == uid,
            None => p.name == spec.user,
        });
        match (found, uid_arg) {
            (Some(p), _) => {
                out.uid = p.uid;
                out.gid = p.gid;
                out.home = p.home.clone();
                matched_name = Some(p.name.clone());
            }
            (None, Some(uid)) => out.uid = check_id(uid, &spec.user)?,
            (None, None) => return Err(Error::UnknownUser(spec.user.clone())),
        }
    } else if let Some(p) = passwd.iter().flatten().find(|p| p.uid == 0) {
        // No user given: root (gid 0, no supplementary groups, as Docker), with root's home
        // as runc's HOME lookup finds it.
        out.home = p.home.clone();
    }

    let mut sgids = Vec::new();
    match &spec.group {
        Some(g) => {
            let gid_arg = g.parse::<u64>().ok();
            let found = groups.iter().flatten().find(|e| match gid_arg {
                Some(gid) => u64::from(e.gid) == gid,
                None => e.name == *g,
            });
            out.gid = match (found, gid_arg) {
                (Some(e), _) => e.gid,
                (None, Some(gid)) => check_id(gid, g)?,
                (None, None) => return Err(Error::UnknownGroup(g.clone())),
            };
        }
        None => {
            if let Some(name) = &matched_name {
                sgids.extend(
                    groups
                        .iter()
                        .flatten()
                        .filter(|e| e.members.iter().any(|m| m == name))
                        .map(|e| e.gid),
                );
            }
        }
    }
    for g in group_add {
        let found = groups
            .iter()
            .flatten()
            .find(|e| e.name == *g || e.gid.to_string() == *g);
        sgids.push(match found {
            Some(e) => e.gid,
            None => match g.parse::<u64>() {
                Ok(gid) => check_id(gid, g)?,
                Err(_) => return Err(Error::UnknownGroup(g.clone())),
            },
        });
    }
    out.additional_gids.push(out.gid);
    for g in sgids {
        if !out.additional_gids.contains(&g) {
            out.additional_gids.push(g);
        }
    }
    Ok(out)
}

fn check_id(id: u64, text: &str) -> Result<u32> {
    if id > MAX_ID {
        return Err(Error::IdRange(text.to_string()));
    }
    Ok(id as u32)
}

/// Reads `rel` (relative, e.g. `etc/passwd`) inside `rootfs` without leaving it. `None` when
/// it does not exist or is not a regular file.
fn read_in_root(rootfs: &Path, rel: &str) -> Result<Option<String>> {
    let io_err = |source: std::io::Error| Error::Io {
        what: format!("reading /{rel} of the image at {}", rootfs.display()),
        source,
    };
    let root = Root::open(rootfs).map_err(io_err)?;
    let opened = root.open_in_root(
        Path::new(rel),
        OFlags::RDONLY | OFlags::NOCTTY | OFlags::NONBLOCK,
    );
    let fd = match opened {
        Ok(fd) => fd,
        Err(e)
            if matches!(
                Errno::from_io_error(&e),
                Some(Errno::NOENT | Errno::NOTDIR | Errno::LOOP | Errno::XDEV)
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(io_err(e)),
    };
    let file = File::from(fd);
    let meta = file.metadata().map_err(io_err)?;
    if !meta.is_file() {
        return Ok(None);
    }
    let mut text = String::new();
    let mut bytes = Vec::new();
    file.take(MAX_FILE)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    text.push_str(&String::from_utf8_lossy(&bytes));
    Ok(Some(text))
}

fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(PasswdEntry {
                name: f.first()?.to_string(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3).and_then(|g| g.parse().ok()).unwrap_or(0),
                home: f
                    .get(5)
                    .filter(|h| !h.is_empty())
                    .unwrap_or(&"/")
                    .to_string(),
            })
        })
        .collect()
}

fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(GroupEntry {
                name: f.first()?.to_string(),
                gid: f.get(2)?.parse().ok()?,
                members: f
                    .get(3)
                    .map(|m| {
                        m.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
        bob:x:1000:1000:Bob:/home/bob:/bin/sh\n\
        broken:x:notanumber:1::/:/bin/sh\n";
    const GROUP: &str =
        "root:x:0:\nwheel:x:10:bob,root\nbob:x:1000:\naudio:x:29:bob\nstaff:x:50:\n";

    fn rootfs(passwd: Option<&str>, group: Option<&str>) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("etc")).unwrap();
        if let Some(p) = passwd {
            std::fs::write(d.path().join("etc/passwd"), p).unwrap();
        }
        if let Some(g) = group {
            std::fs::write(d.path().join("etc/group"), g).unwrap();
        }
        d
    }

    #[test]
    fn names_and_ids() {
        let r = rootfs(Some(PASSWD), Some(GROUP));
        let u = resolve_user(r.path(), "bob", &[]).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (1000, 1000, "/home/bob"));
        assert_eq!(u.additional_gids, [1000, 10, 29]);
        let u = resolve_user(r.path(), "1000", &[]).unwrap();
        assert_eq!((u.uid, u.gid), (1000, 1000));
        let u = resolve_user(r.path(), "bob:staff", &[]).unwrap();
        assert_eq!((u.gid, u.additional_gids.as_slice()), (50, &[50][..]));
        let u = resolve_user(r.path(), "1000:7", &[]).unwrap();
        assert_eq!((u.uid, u.gid), (1000, 7));
        let u = resolve_user(r.path(), "", &[]).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (0, 0, "/root"));
        assert_eq!(u.additional_gids, [0]);
        let u = resolve_user(r.path(), "root", &[]).unwrap();
        assert_eq!(u.additional_gids, [0, 10]);
        let u = resolve_user(r.path(), "4242", &[]).unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (4242, 0, "/"));
        let u = resolve_user(
            r.path(),
            "daemon",
            &["audio".into(), "99".into(), "10".into()],
        )
        .unwrap();
        assert_eq!(u.additional_gids, [1, 29, 99, 10]);
    }

    #[test]
    fn unknown_names() {
        let r = rootfs(Some(PASSWD), Some(GROUP));
        assert_eq!(
            resolve_user(r.path(), "alice", &[])
                .unwrap_err()
                .to_string(),
            "unable to find user alice: no matching entries in passwd file"
        );
        assert_eq!(
            resolve_user(r.path(), "bob:nogroup", &[])
                .unwrap_err()
                .to_string(),
            "unable to find group nogroup: no matching entries in group file"
        );
        assert!(resolve_user(r.path(), "bob", &["nogroup".into()]).is_err());
        assert!(resolve_user(r.path(), "broken", &[]).is_err());
        assert!(resolve_user(r.path(), "4294967296", &[]).is_err());
    }

    #[test]
    fn missing_files() {
        let r = rootfs(None, None);
        let u = resolve_user(r.path(), "123:456", &["789".into()]).unwrap();
        assert_eq!(
            (u.uid, u.gid, u.additional_gids.as_slice()),
            (123, 456, &[456, 789][..])
        );
        assert_eq!(
            resolve_user(r.path(), "", &[]).unwrap(),
            ExecUser::default()
        );
        assert!(matches!(
            resolve_user(r.path(), "bob", &[]),
            Err(Error::UnknownUser(n)) if n == "bob"
        ));
    }

    #[test]
    fn symlink_out_of_rootfs_is_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        let evil = outside.path().join("passwd");
        std::fs::write(&evil, "evil:x:0:0::/:/bin/sh\n").unwrap();
        let r = rootfs(None, None);
        std::os::unix::fs::symlink(&evil, r.path().join("etc/passwd")).unwrap();
        assert!(matches!(
            resolve_user(r.path(), "evil", &[]),
            Err(Error::UnknownUser(_))
        ));
        // The same through a relative link climbing out.
        std::fs::remove_file(r.path().join("etc/passwd")).unwrap();
        let rel = format!("../../../../../../../..{}", evil.display());
        std::os::unix::fs::symlink(rel, r.path().join("etc/passwd")).unwrap();
        assert!(resolve_user(r.path(), "evil", &[]).is_err());
        // A symlinked /etc directory pointing outside.
        let r2 = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), r2.path().join("etc")).unwrap();
        assert!(resolve_user(r2.path(), "evil", &[]).is_err());
        // Without openat2 the walk re-roots the link too: nothing outside is read.
        let root = Root::open_forcing_walk(r.path()).unwrap();
        let e = root
            .open_in_root(Path::new("etc/passwd"), OFlags::RDONLY)
            .unwrap_err();
        assert_eq!(Errno::from_io_error(&e), Some(Errno::NOENT));
    }

    #[test]
    fn symlink_inside_rootfs_is_followed() {
        let r = rootfs(None, Some(GROUP));
        std::fs::create_dir_all(r.path().join("usr/lib")).unwrap();
        std::fs::write(r.path().join("usr/lib/passwd"), PASSWD).unwrap();
        std::os::unix::fs::symlink("/usr/lib/passwd", r.path().join("etc/passwd")).unwrap();
        assert_eq!(resolve_user(r.path(), "bob", &[]).unwrap().uid, 1000);
    }

    #[test]
    fn directory_instead_of_file() {
        let r = rootfs(None, None);
        std::fs::create_dir(r.path().join("etc/passwd")).unwrap();
        assert_eq!(resolve_user(r.path(), "5", &[]).unwrap().uid, 5);
    }
}
