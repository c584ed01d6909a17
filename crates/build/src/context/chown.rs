//! `--chown` and `--chmod` values.

use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::error::{io_err, ContextError};
use super::resolve::{resolve, Confine};

/// Parses a `--chown` value `user[:group]` (names or numbers) against the passwd/group files
/// under `rootfs` (/etc/passwd, /etc/group, read safely without following symlinks out of
/// rootfs). user only -> gid is the user's primary gid if it is a name found in passwd, else
/// the same number as the uid (Docker's rule: `--chown=10` gives 10:10). Unknown name ->
/// error "unable to find user X: no matching entries in passwd file".
pub fn parse_chown(rootfs: &Path, spec: &str) -> Result<(u32, u32), ContextError> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    if user.is_empty() || group.is_some_and(str::is_empty) {
        return Err(ContextError::BadChown(spec.to_string()));
    }
    let (uid, primary) = match user.parse::<u32>() {
        Ok(uid) => (uid, uid),
        Err(_) => {
            let passwd = read_image_file(rootfs, "/etc/passwd")?.unwrap_or_default();
            lookup(&passwd, user, 2)
                .and_then(|f| Some((f.first()?.parse().ok()?, f.get(1)?.parse().ok()?)))
                .ok_or_else(|| ContextError::UnknownUser(user.to_string()))?
        }
    };
    let gid = match group {
        None => primary,
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => {
                let groups = read_image_file(rootfs, "/etc/group")?.unwrap_or_default();
                lookup(&groups, g, 2)
                    .and_then(|f| f.first()?.parse().ok())
                    .ok_or_else(|| ContextError::UnknownGroup(g.to_string()))?
            }
        },
    };
    Ok((uid, gid))
}

/// Finds the line for `name` in a passwd/group style file and returns its fields from
/// index `from` on (`name:x:uid:gid:...` -> `[uid, gid, ...]` for `from == 2`).
fn lookup<'a>(text: &'a str, name: &str, from: usize) -> Option<Vec<&'a str>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&name) && f.len() > from)
        .map(|f| f[from..].to_vec())
}

/// Reads a file of the image, resolving symlinks confined to `rootfs`; `None` if absent.
fn read_image_file(rootfs: &Path, path: &str) -> Result<Option<String>, ContextError> {
    let confine = Confine {
        strict: false,
        ignore: None,
        display: path,
    };
    let r = resolve(rootfs, path, true, confine)?;
    if !r.exists() {
        return Ok(None);
    }
    let host = rootfs.join(r.real_rel());
    let mut text = String::new();
    match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&host)
    {
        Ok(mut f) => f
            .read_to_string(&mut text)
            .map_err(io_err(format!("reading {path} of the image")))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(format!("reading {path} of the image"))(e)),
    };
    Ok(Some(text))
}

/// Parses `--chmod`: octal like 755, 0644 (max 07777); anything else -> error naming the
/// value (e.g. "invalid chmod parameter 'abc'").
pub fn parse_chmod(s: &str) -> Result<u32, ContextError> {
    let bad = || ContextError::BadChmod(s.to_string());
    if s.is_empty() || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(bad());
    }
    let v = u32::from_str_radix(s, 8).map_err(|_| bad())?;
    if v > 0o7777 {
        return Err(bad());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn rootfs() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        fs::create_dir_all(t.path().join("etc")).unwrap();
        fs::write(
            t.path().join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
        )
        .unwrap();
        fs::write(t.path().join("etc/group"), "root:x:0:\nstaff:x:50:app\n").unwrap();
        t
    }

    #[test]
    fn chown_rules() {
        let r = rootfs();
        let p = r.path();
        assert_eq!(parse_chown(p, "10").unwrap(), (10, 10));
        assert_eq!(parse_chown(p, "10:20").unwrap(), (10, 20));
        assert_eq!(parse_chown(p, "app").unwrap(), (1000, 1001));
        assert_eq!(parse_chown(p, "app:staff").unwrap(), (1000, 50));
        assert_eq!(parse_chown(p, "5:staff").unwrap(), (5, 50));
        assert_eq!(
            parse_chown(p, "bob").unwrap_err().to_string(),
            "unable to find user bob: no matching entries in passwd file"
        );
        assert!(matches!(
            parse_chown(p, "app:nogroup"),
            Err(ContextError::UnknownGroup(_))
        ));
        assert!(matches!(
            parse_chown(p, ":1"),
            Err(ContextError::BadChown(_))
        ));
        assert!(matches!(
            parse_chown(p, "1:"),
            Err(ContextError::BadChown(_))
        ));
    }

    #[test]
    fn passwd_symlink_out_of_rootfs_is_confined() {
        let host = tempfile::tempdir().unwrap();
        fs::write(host.path().join("passwd"), "evil:x:66:66::/:/bin/sh\n").unwrap();
        let r = tempfile::tempdir().unwrap();
        fs::create_dir_all(r.path().join("etc")).unwrap();
        std::os::unix::fs::symlink(host.path().join("passwd"), r.path().join("etc/passwd"))
            .unwrap();
        assert!(matches!(
            parse_chown(r.path(), "evil"),
            Err(ContextError::UnknownUser(_))
        ));
        // No passwd at all: numbers still work.
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(parse_chown(empty.path(), "3:4").unwrap(), (3, 4));
    }

    #[test]
    fn chmod_values() {
        assert_eq!(parse_chmod("755").unwrap(), 0o755);
        assert_eq!(parse_chmod("0644").unwrap(), 0o644);
        assert_eq!(parse_chmod("7777").unwrap(), 0o7777);
        for bad in ["abc", "", "888", "17777", "u+x", "-1"] {
            assert!(parse_chmod(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_chmod("abc").unwrap_err().to_string(),
            "invalid chmod parameter 'abc'"
        );
    }
}
