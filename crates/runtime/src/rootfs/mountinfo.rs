//! Reading `/proc/self/mountinfo`: where the cgroup hierarchies are, and which proc/sysfs
//! mounts to hide with `--no-pivot`. The kernel formats every mount of the namespace on each
//! read, so the runtime reads it once per container (see `MountContext::host_mounts`).

use std::io;
use std::path::PathBuf;

/// One line of `/proc/self/mountinfo` (see proc(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MountInfo {
    /// The root of the mount inside its filesystem (field 4).
    pub root: PathBuf,
    /// Where it is mounted, relative to the process's root (field 5).
    pub mount_point: PathBuf,
    /// Optional fields (`shared:N`, `master:N`, ...).
    pub optional: Vec<String>,
    /// Filesystem type (`proc`, `cgroup`, `cgroup2`, ...).
    pub fs_type: String,
    /// Per-superblock options (`rw,cpu,cpuacct`, ...).
    pub super_options: Vec<String>,
}

impl MountInfo {
    /// The mount is in a shared peer group.
    #[cfg(test)]
    pub fn is_shared(&self) -> bool {
        self.optional.iter().any(|o| o.starts_with("shared:"))
    }
}

/// Reads and parses the calling process's mount table.
#[cfg(test)]
pub(crate) fn read() -> io::Result<Vec<MountInfo>> {
    Ok(parse(&std::fs::read_to_string("/proc/self/mountinfo")?))
}

/// Reads the calling process's mount table, keeping only mounts of the filesystem `types`.
pub(crate) fn read_types(types: &[&str]) -> io::Result<Vec<MountInfo>> {
    Ok(parse_types(
        &std::fs::read_to_string("/proc/self/mountinfo")?,
        types,
    ))
}

/// Parses mountinfo text, skipping malformed lines.
#[cfg(test)]
pub(crate) fn parse(text: &str) -> Vec<MountInfo> {
    text.lines().filter_map(parse_line).collect()
}

/// Parses the lines of mountinfo text whose filesystem type is one of `types`; the others
/// cost no allocation (a host with many overlay mounts has a long table and few cgroup or
/// proc mounts).
pub(crate) fn parse_types(text: &str, types: &[&str]) -> Vec<MountInfo> {
    text.lines()
        .filter(|l| fs_type_of(l).is_some_and(|t| types.contains(&t)))
        .filter_map(parse_line)
        .collect()
}

/// The filesystem type of a mountinfo line, the field after the ` - ` separator (paths
/// escape their spaces, so the separator cannot occur before it).
pub(crate) fn fs_type_of(line: &str) -> Option<&str> {
    line.split_once(" - ")?.1.split(' ').next()
}

fn parse_line(line: &str) -> Option<MountInfo> {
    let fields: Vec<&str> = line.split(' ').collect();
    let sep = fields.iter().position(|f| *f == "-")?;
    if sep < 6 || fields.len() < sep + 3 {
        return None;
    }
    Some(MountInfo {
        root: PathBuf::from(unescape(fields[3])),
        mount_point: PathBuf::from(unescape(fields[4])),
        optional: fields[6..sep].iter().map(|s| s.to_string()).collect(),
        fs_type: unescape(fields[sep + 1]),
        super_options: fields
            .get(sep + 3)
            .map(|s| s.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
    })
}

/// Undoes the kernel's octal escapes (`\040` for space, `\011`, `\012`, `\134`).
pub(crate) fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SAMPLE: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
40 27 0:40 /sub /tmp/a\\040b rw master:3 shared:7 - tmpfs tmpfs rw
bogus line
";

    #[test]
    fn parses_fields() {
        let m = parse(SAMPLE);
        assert_eq!(m.len(), 5);
        assert_eq!(m[0].fs_type, "proc");
        assert_eq!(m[1].mount_point, Path::new("/"));
        assert!(m[1].is_shared());
        assert_eq!(m[3].super_options, vec!["rw", "cpu", "cpuacct"]);
        assert_eq!(m[4].mount_point, Path::new("/tmp/a b"));
        assert_eq!(m[4].root, Path::new("/sub"));
        assert_eq!(m[4].optional, vec!["master:3", "shared:7"]);
        assert!(!m[0].is_shared());
    }

    #[test]
    fn parses_only_wanted_types() {
        let m = parse_types(SAMPLE, &["cgroup", "proc"]);
        let types: Vec<_> = m.iter().map(|m| m.fs_type.as_str()).collect();
        assert_eq!(types, vec!["proc", "cgroup"]);
        assert_eq!(m[1].mount_point, Path::new("/sys/fs/cgroup/cpu,cpuacct"));
        assert_eq!(fs_type_of("bogus line"), None);
        assert_eq!(fs_type_of(SAMPLE.lines().nth(1).unwrap()), Some("ext4"));
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape("a\\040b\\134c"), "a b\\c");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
        assert_eq!(unescape("\\777"), "\\777");
    }
}
