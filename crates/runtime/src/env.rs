//! The environment the user program receives, prepared as runc and crun prepare it:
//! duplicate names keep their last value (so `exec --env` overrides `process.env`), and
//! `HOME` comes from the process user's passwd entry in the container (`/` when the user has
//! none) unless the configuration sets it.

use std::path::Path;

/// Where the container's user database is, once inside its root.
pub const PASSWD: &str = "/etc/passwd";

/// `env` with duplicates removed (the last value of each name wins, in the position of that
/// last value) and `HOME` added when absent, looked up for `uid` in the passwd file at
/// `passwd`. Entries without `=` are kept as they are.
pub fn prepare(env: &[String], uid: u32, passwd: &Path) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<String> = Vec::with_capacity(env.len() + 1);
    for entry in env.iter().rev() {
        let name = entry.split_once('=').map_or(entry.as_str(), |(n, _)| n);
        if entry.contains('=') && !seen.insert(name) {
            continue;
        }
        out.push(entry.clone());
    }
    out.reverse();
    if !seen.contains("HOME") {
        out.push(format!("HOME={}", home_of(uid, passwd)));
    }
    out
}

/// The home directory of `uid` in the passwd file at `passwd`; `/` when the file, the entry
/// or its home field is missing.
pub fn home_of(uid: u32, passwd: &Path) -> String {
    read_passwd(passwd)
        .and_then(|text| home_in(&text, uid))
        .unwrap_or_else(|| "/".into())
}

/// The image's passwd file, read with care: it comes from the image, so only a regular file
/// (not a FIFO that would block, nor a device that never ends) and at most [`MAX_PASSWD`].
fn read_passwd(passwd: &Path) -> Option<String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(passwd)
        .ok()?;
    if !f.metadata().ok()?.is_file() {
        return None;
    }
    let mut bytes = Vec::new();
    f.take(MAX_PASSWD).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The most of a passwd file read when looking up `HOME`.
const MAX_PASSWD: u64 = 4 << 20;

/// The home field of the first line of `passwd` (name:pw:uid:gid:gecos:home:shell) whose uid
/// is `uid`.
fn home_in(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() < 6 || fields[2].trim().parse::<u32>().ok()? != uid {
            return None;
        }
        Some(fields[5].to_string()).filter(|h| !h.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "root:x:0:0:root:/root:/bin/sh\n\
                      # comment\n\
                      user:x:1000:1000::/home/user:/bin/sh\n\
                      nohome:x:1001:1001:::/bin/sh\n";

    #[test]
    fn last_value_wins_and_home_is_added() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("passwd");
        std::fs::write(&pw, PW).unwrap();
        let env: Vec<String> = ["PATH=/a", "A=1", "PATH=/b", "ODD"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            prepare(&env, 1000, &pw),
            ["A=1", "PATH=/b", "ODD", "HOME=/home/user"]
        );
        assert_eq!(prepare(&env, 1001, &pw).last().unwrap(), "HOME=/");
        assert_eq!(prepare(&env, 4242, &pw).last().unwrap(), "HOME=/");
        assert_eq!(
            prepare(&env, 0, &dir.path().join("none")).last().unwrap(),
            "HOME=/"
        );
        // Not a regular file: no lookup (a FIFO would block).
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        assert_eq!(home_of(0, &fifo), "/");
        assert_eq!(home_of(0, Path::new("/dev/zero")), "/");
        let set = vec!["HOME=/mine".to_string()];
        assert_eq!(prepare(&set, 0, &pw), ["HOME=/mine"]);
    }
}
