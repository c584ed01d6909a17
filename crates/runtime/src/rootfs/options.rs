//! Parsing the fstab-style `options` of a spec mount into `mount(2)` flags, flags the user
//! asked to clear, propagation changes, recursive attributes (`mount_setattr(2)`) and the
//! filesystem data string (every option that is not a flag, e.g. `mode=755,size=65536k`).

use berth_sys::mount as attr;

/// `MS_*` flags as `mount(2)` takes them.
pub(crate) type MsBits = libc::c_ulong;

/// Flags the kernel may lock on mounts inherited into a less privileged user namespace
/// (`MNT_LOCK_*`): a bind remount in such a namespace must keep them.
pub(crate) const LOCKED_FLAGS: MsBits =
    libc::MS_RDONLY | libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_NOSUID | ATIME_FLAGS;

/// The mutually exclusive access-time modes.
pub(crate) const ATIME_MODES: MsBits = libc::MS_NOATIME | libc::MS_RELATIME | libc::MS_STRICTATIME;

/// Every access-time flag.
pub(crate) const ATIME_FLAGS: MsBits = ATIME_MODES | libc::MS_NODIRATIME;

/// Attributes for `mount_setattr(2)` with `AT_RECURSIVE` (the `r*` options of OCI 1.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RecAttr {
    /// `MOUNT_ATTR_*` bits to set.
    pub set: u64,
    /// `MOUNT_ATTR_*` bits to clear.
    pub clr: u64,
}

/// A spec mount's options, sorted by how they are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MountOptions {
    /// Flags for the `mount(2)` call (`MS_RDONLY`, `MS_NOSUID`, `MS_BIND`, `MS_REC`, ...).
    pub flags: MsBits,
    /// Flags the user explicitly cleared (`rw`, `suid`, `dev`, `exec`, `atime`, ...).
    pub cleared: MsBits,
    /// Propagation changes, in order, each applied with its own `mount(2)` call.
    pub propagation: Vec<MsBits>,
    /// Recursive attributes, if any `r*` option was given.
    pub rec_attr: Option<RecAttr>,
    /// The filesystem-specific data string (unknown options, comma-joined, in order).
    pub data: String,
    /// `tmpcopyup` was given (accepted and ignored).
    pub tmpcopyup: bool,
    /// `idmap` or `ridmap` was given (not supported yet).
    pub idmap: bool,
}

impl MountOptions {
    /// `bind` or `rbind` was given.
    pub fn is_bind(&self) -> bool {
        self.flags & libc::MS_BIND != 0
    }

    /// Whether the options ask for `MS_RDONLY`.
    pub fn is_readonly(&self) -> bool {
        self.flags & libc::MS_RDONLY != 0
    }
}

/// A flag option: `(name, clears, flag)`; `clears` means the option removes the flag.
const FLAG_OPTIONS: &[(&str, bool, MsBits)] = &[
    ("async", true, libc::MS_SYNCHRONOUS),
    ("atime", true, libc::MS_NOATIME),
    ("bind", false, libc::MS_BIND),
    ("defaults", false, 0),
    ("dev", true, libc::MS_NODEV),
    ("diratime", true, libc::MS_NODIRATIME),
    ("dirsync", false, libc::MS_DIRSYNC),
    ("exec", true, libc::MS_NOEXEC),
    ("iversion", false, libc::MS_I_VERSION),
    ("lazytime", false, libc::MS_LAZYTIME),
    ("loud", true, libc::MS_SILENT),
    ("mand", false, libc::MS_MANDLOCK),
    ("noatime", false, libc::MS_NOATIME),
    ("nodev", false, libc::MS_NODEV),
    ("nodiratime", false, libc::MS_NODIRATIME),
    ("noexec", false, libc::MS_NOEXEC),
    ("noiversion", true, libc::MS_I_VERSION),
    ("nolazytime", true, libc::MS_LAZYTIME),
    ("nomand", true, libc::MS_MANDLOCK),
    ("norelatime", true, libc::MS_RELATIME),
    ("nostrictatime", true, libc::MS_STRICTATIME),
    ("nosuid", false, libc::MS_NOSUID),
    ("nosymfollow", false, libc::MS_NOSYMFOLLOW),
    ("rbind", false, libc::MS_BIND | libc::MS_REC),
    ("relatime", false, libc::MS_RELATIME),
    ("remount", false, libc::MS_REMOUNT),
    ("ro", false, libc::MS_RDONLY),
    ("rw", true, libc::MS_RDONLY),
    ("silent", false, libc::MS_SILENT),
    ("strictatime", false, libc::MS_STRICTATIME),
    ("suid", true, libc::MS_NOSUID),
    ("symfollow", true, libc::MS_NOSYMFOLLOW),
    ("sync", false, libc::MS_SYNCHRONOUS),
];

/// Propagation options and their `mount(2)` flags.
const PROPAGATION_OPTIONS: &[(&str, MsBits)] = &[
    ("private", libc::MS_PRIVATE),
    ("rprivate", libc::MS_PRIVATE | libc::MS_REC),
    ("shared", libc::MS_SHARED),
    ("rshared", libc::MS_SHARED | libc::MS_REC),
    ("slave", libc::MS_SLAVE),
    ("rslave", libc::MS_SLAVE | libc::MS_REC),
    ("unbindable", libc::MS_UNBINDABLE),
    ("runbindable", libc::MS_UNBINDABLE | libc::MS_REC),
];

/// Recursive options: `(name, set, clear)` for `mount_setattr(2)`.
const REC_OPTIONS: &[(&str, u64, u64)] = &[
    ("rro", attr::MOUNT_ATTR_RDONLY, 0),
    ("rrw", 0, attr::MOUNT_ATTR_RDONLY),
    ("rnosuid", attr::MOUNT_ATTR_NOSUID, 0),
    ("rsuid", 0, attr::MOUNT_ATTR_NOSUID),
    ("rnodev", attr::MOUNT_ATTR_NODEV, 0),
    ("rdev", 0, attr::MOUNT_ATTR_NODEV),
    ("rnoexec", attr::MOUNT_ATTR_NOEXEC, 0),
    ("rexec", 0, attr::MOUNT_ATTR_NOEXEC),
    ("rnodiratime", attr::MOUNT_ATTR_NODIRATIME, 0),
    ("rdiratime", 0, attr::MOUNT_ATTR_NODIRATIME),
    ("rnosymfollow", attr::MOUNT_ATTR_NOSYMFOLLOW, 0),
    ("rsymfollow", 0, attr::MOUNT_ATTR_NOSYMFOLLOW),
    // Access-time modes replace the whole mode, so they clear the mask.
    (
        "rrelatime",
        attr::MOUNT_ATTR_RELATIME,
        attr::MOUNT_ATTR_ATIME_MASK,
    ),
    (
        "rnorelatime",
        attr::MOUNT_ATTR_STRICTATIME,
        attr::MOUNT_ATTR_ATIME_MASK,
    ),
    (
        "rnoatime",
        attr::MOUNT_ATTR_NOATIME,
        attr::MOUNT_ATTR_ATIME_MASK,
    ),
    (
        "ratime",
        attr::MOUNT_ATTR_RELATIME,
        attr::MOUNT_ATTR_ATIME_MASK,
    ),
    (
        "rstrictatime",
        attr::MOUNT_ATTR_STRICTATIME,
        attr::MOUNT_ATTR_ATIME_MASK,
    ),
    (
        "rnostrictatime",
        attr::MOUNT_ATTR_RELATIME,
        attr::MOUNT_ATTR_ATIME_MASK,
    ),
];

/// Parses `options` as runc does. Options that are not flags become the data string. Never
/// fails: whether an option is acceptable for a mount type is left to the kernel.
pub(crate) fn parse<S: AsRef<str>>(options: &[S]) -> MountOptions {
    let mut out = MountOptions::default();
    let mut data: Vec<&str> = Vec::new();
    for opt in options {
        let opt = opt.as_ref();
        if let Some(&(_, clears, flag)) = FLAG_OPTIONS.iter().find(|(n, ..)| *n == opt) {
            if clears {
                out.flags &= !flag;
                out.cleared |= flag;
            } else {
                // An access-time mode replaces the previous one.
                if flag & ATIME_MODES != 0 {
                    out.flags &= !ATIME_MODES;
                }
                out.flags |= flag;
                out.cleared &= !flag;
            }
        } else if let Some(&(_, flag)) = PROPAGATION_OPTIONS.iter().find(|(n, _)| *n == opt) {
            out.propagation.push(flag);
        } else if let Some(&(_, set, clr)) = REC_OPTIONS.iter().find(|(n, ..)| *n == opt) {
            let rec = out.rec_attr.get_or_insert_with(RecAttr::default);
            if clr & attr::MOUNT_ATTR_ATIME_MASK != 0 {
                rec.set &= !attr::MOUNT_ATTR_ATIME_MASK;
            }
            rec.set = (rec.set & !clr) | set;
            rec.clr = (rec.clr & !set) | clr;
        } else if opt == "tmpcopyup" {
            out.tmpcopyup = true;
        } else if opt == "idmap" || opt == "ridmap" {
            out.idmap = true;
        } else if !opt.is_empty() {
            data.push(opt);
        }
    }
    out.data = data.join(",");
    out
}

/// Parses `linux.rootfsPropagation` (`shared`, `rslave`, ...) into `mount(2)` flags.
pub(crate) fn parse_propagation(value: &str) -> Option<MsBits> {
    PROPAGATION_OPTIONS
        .iter()
        .find(|(n, _)| *n == value)
        .map(|&(_, f)| f)
}

/// Converts `statvfs(2)`'s `f_flag` into the `MS_*` flags a remount must repeat to keep them.
pub(crate) fn statvfs_to_ms(f_flag: u64) -> MsBits {
    // (ST_*, MS_*) pairs, see calculate_f_flags() in fs/statfs.c.
    const MAP: &[(u64, MsBits)] = &[
        (0x0001, libc::MS_RDONLY),
        (0x0002, libc::MS_NOSUID),
        (0x0004, libc::MS_NODEV),
        (0x0008, libc::MS_NOEXEC),
        (0x0010, libc::MS_SYNCHRONOUS),
        (0x0040, libc::MS_MANDLOCK),
        (0x0400, libc::MS_NOATIME),
        (0x0800, libc::MS_NODIRATIME),
        (0x1000, libc::MS_RELATIME),
        (0x2000, libc::MS_NOSYMFOLLOW),
    ];
    let mut flags = MAP
        .iter()
        .filter(|(st, _)| f_flag & st != 0)
        .fold(0, |acc, (_, ms)| acc | ms);
    // MS_STRICTATIME is not stored: a mount with neither noatime nor relatime is strictatime.
    if flags & ATIME_MODES == 0 {
        flags |= libc::MS_STRICTATIME;
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_data() {
        let o = parse(&["nosuid", "strictatime", "mode=755", "size=65536k", "ro"]);
        assert_eq!(
            o.flags,
            libc::MS_NOSUID | libc::MS_STRICTATIME | libc::MS_RDONLY
        );
        assert_eq!(o.data, "mode=755,size=65536k");
        assert!(o.is_readonly());
        assert!(!o.is_bind());
    }

    #[test]
    fn later_options_win() {
        let o = parse(&["ro", "rw", "nodev", "dev", "noatime", "relatime"]);
        assert_eq!(o.flags, libc::MS_RELATIME);
        assert_eq!(o.cleared, libc::MS_RDONLY | libc::MS_NODEV);
        let o = parse(&["rw", "ro"]);
        assert_eq!(o.flags, libc::MS_RDONLY);
        assert_eq!(o.cleared, 0);
    }

    #[test]
    fn bind_and_propagation() {
        let o = parse(&["rbind", "rprivate", "slave", "nosymfollow"]);
        assert!(o.is_bind());
        assert_eq!(o.flags, libc::MS_BIND | libc::MS_REC | libc::MS_NOSYMFOLLOW);
        assert_eq!(
            o.propagation,
            vec![libc::MS_PRIVATE | libc::MS_REC, libc::MS_SLAVE]
        );
        assert!(o.data.is_empty());
    }

    #[test]
    fn recursive_attributes() {
        let o = parse(&["rbind", "rro", "rnosuid", "rnoatime"]);
        let rec = o.rec_attr.unwrap();
        assert_eq!(
            rec.set,
            attr::MOUNT_ATTR_RDONLY | attr::MOUNT_ATTR_NOSUID | attr::MOUNT_ATTR_NOATIME
        );
        assert_eq!(rec.clr, attr::MOUNT_ATTR_ATIME_MASK);
        let o = parse(&["rro", "rrw"]);
        let rec = o.rec_attr.unwrap();
        assert_eq!(rec.set, 0);
        assert_eq!(rec.clr, attr::MOUNT_ATTR_RDONLY);
    }

    #[test]
    fn extensions() {
        let o = parse(&["tmpcopyup", "idmap", "", "uid=5"]);
        assert!(o.tmpcopyup && o.idmap);
        assert_eq!(o.data, "uid=5");
    }

    #[test]
    fn root_propagation() {
        assert_eq!(
            parse_propagation("rslave"),
            Some(libc::MS_SLAVE | libc::MS_REC)
        );
        assert_eq!(parse_propagation("shared"), Some(libc::MS_SHARED));
        assert_eq!(parse_propagation("bogus"), None);
    }

    #[test]
    fn statvfs_flags() {
        assert_eq!(
            statvfs_to_ms(0x1 | 0x2 | 0x1000),
            libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_RELATIME
        );
        assert_eq!(statvfs_to_ms(0), libc::MS_STRICTATIME);
        assert_eq!(
            statvfs_to_ms(0x2000 | 0x400),
            libc::MS_NOSYMFOLLOW | libc::MS_NOATIME
        );
    }
}
