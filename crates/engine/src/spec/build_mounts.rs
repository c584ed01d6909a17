//! The spec's `mounts`, as moby's `DefaultLinuxSpec` and `WithMounts` produce them: the
//! default mounts (minus those a user mount replaces), the init binary, then the network
//! files and user mounts sorted parents-first, with Docker's options.

use std::path::Path;

use serde_json::{json, Value};

use super::{Error, MountKind, MountSpec, Propagation, Result, SpecInput};

/// Where `--init`'s binary is mounted in the container.
pub const INIT_PATH: &str = "/sbin/docker-init";
/// Docker's default `/dev/shm` size (64 MiB).
pub const DEFAULT_SHM_SIZE: i64 = 64 << 20;

/// One mount on its way into the spec.
struct M {
    dest: String,
    typ: &'static str,
    source: String,
    options: Vec<String>,
    /// A user (or network file) mount: kept as given when the root is read-only.
    user: bool,
}

impl M {
    fn new(dest: &str, typ: &'static str, source: &str, options: &[&str]) -> Self {
        M {
            dest: dest.to_string(),
            typ,
            source: source.to_string(),
            options: options.iter().map(|o| o.to_string()).collect(),
            user: false,
        }
    }
}

fn default_mounts() -> Vec<M> {
    vec![
        M::new("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
        M::new(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        ),
        M::new(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        ),
        M::new(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        ),
        M::new(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &["ro", "nosuid", "noexec", "nodev"],
        ),
        M::new(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        ),
        M::new(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777"],
        ),
    ]
}

/// `size=` as Docker's `ConvertTmpfsOptions` writes it (largest exact unit).
fn tmpfs_size(bytes: i64) -> String {
    for (suffix, div) in [("g", 1i64 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
        if bytes % div == 0 {
            return format!("size={}{suffix}", bytes / div);
        }
    }
    format!("size={bytes}")
}

/// Mount flags and the group they collide in (moby `mount.MergeTmpfsOptions`): a later
/// option of the same group replaces an earlier one.
fn flag_group(opt: &str) -> Option<&'static str> {
    Some(match opt {
        "ro" | "rw" => "rdonly",
        "exec" | "noexec" => "noexec",
        "suid" | "nosuid" => "nosuid",
        "dev" | "nodev" => "nodev",
        "sync" | "async" => "sync",
        "atime" | "noatime" => "noatime",
        "diratime" | "nodiratime" => "nodiratime",
        "relatime" | "norelatime" => "relatime",
        "strictatime" | "nostrictatime" => "strictatime",
        "mand" | "nomand" => "mand",
        "dirsync" => "dirsync",
        "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" | "unbindable"
        | "runbindable" => "propagation",
        _ => return None,
    })
}

/// Data options a tmpfs takes.
const TMPFS_DATA: &[&str] = &[
    "size",
    "mode",
    "uid",
    "gid",
    "nr_inodes",
    "nr_blocks",
    "mpol",
];

/// moby's `MergeTmpfsOptions`: last one wins per flag group or data key, order kept.
fn merge_tmpfs_options(options: &[String]) -> Result<Vec<String>> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for opt in options.iter().rev() {
        if opt == "defaults" {
            continue;
        }
        let key = match flag_group(opt) {
            Some(g) => g.to_string(),
            None => match opt.split_once('=') {
                Some((k, _)) if TMPFS_DATA.contains(&k) => format!("data:{k}"),
                _ => return Err(Error::Conflict(format!("invalid tmpfs option \"{opt}\""))),
            },
        };
        if !seen.contains(&key) {
            seen.push(key);
            out.insert(0, opt.clone());
        }
    }
    Ok(out)
}

fn tmpfs_mount(spec: &MountSpec) -> Result<M> {
    let mut opts: Vec<String> = ["noexec", "nosuid", "nodev", "rprivate"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    opts.extend(spec.tmpfs_options.iter().cloned());
    if spec.read_only && !spec.tmpfs_options.iter().any(|o| o == "ro") {
        opts.push("ro".into());
    }
    if let Some(size) = spec.tmpfs_size.filter(|&s| s > 0) {
        opts.push(tmpfs_size(size));
    }
    if let Some(mode) = spec.tmpfs_mode.filter(|&m| m != 0) {
        opts.push(format!("mode={mode:o}"));
    }
    Ok(M {
        dest: spec.target.clone(),
        typ: "tmpfs",
        source: "tmpfs".into(),
        options: merge_tmpfs_options(&opts)?,
        user: true,
    })
}

fn bind_mount(
    dest: &str,
    source: &Path,
    read_only: bool,
    nonrecursive: bool,
    prop: Option<Propagation>,
) -> M {
    let mut options = vec![if nonrecursive { "bind" } else { "rbind" }.to_string()];
    if read_only {
        options.push("ro".into());
    }
    options.push(prop.unwrap_or(Propagation::RPrivate).name().to_string());
    M {
        dest: dest.to_string(),
        typ: "bind",
        source: source.to_string_lossy().into_owned(),
        options,
        user: true,
    }
}

fn depth(dest: &str) -> usize {
    Path::new(dest).components().count()
}

/// The `mounts` array and the `rootfsPropagation` the mounts need (`shared` / `rslave`
/// when a bind asks for it).
pub fn mounts(input: &SpecInput) -> Result<(Value, Option<&'static str>)> {
    let opts = &input.opts;
    let (user, rootfs_propagation) = user_mounts(input)?;
    let all_user: Vec<String> = user.iter().map(|m| m.dest.clone()).collect();
    let mut out = defaults_kept(input, &all_user);
    if opts.init {
        let bin = input.init_binary.as_deref().ok_or_else(|| {
            Error::Conflict("--init needs docker-init (tini); none was found".into())
        })?;
        let mut m = M::new(INIT_PATH, "bind", &bin.to_string_lossy(), &["bind", "ro"]);
        m.user = false;
        out.push(m);
    }
    out.extend(user);
    if opts.read_only {
        make_read_only(&mut out);
    }
    let value = out
        .into_iter()
        .map(|m| {
            json!({
                "destination": m.dest,
                "type": m.typ,
                "source": m.source,
                "options": m.options,
            })
        })
        .collect();
    Ok((Value::Array(value), rootfs_propagation))
}

/// The network files (unless a user mount replaces one) and the user's mounts, sorted
/// parents-first; and the root propagation a shared or slave bind needs.
fn user_mounts(input: &SpecInput) -> Result<(Vec<M>, Option<&'static str>)> {
    let mut user: Vec<M> = Vec::new();
    let user_dests: Vec<&str> = input
        .mounts
        .iter()
        .map(|m| m.spec.target.as_str())
        .collect();
    let etc = &input.etc_files;
    for (dest, src) in [
        ("/etc/resolv.conf", &etc.resolv_conf),
        ("/etc/hostname", &etc.hostname),
        ("/etc/hosts", &etc.hosts),
    ] {
        if !user_dests.contains(&dest) {
            user.push(bind_mount(dest, src, input.opts.read_only, false, None));
        }
    }
    let mut rootfs_propagation = None;
    for m in &input.mounts {
        let s = &m.spec;
        user.push(match s.kind {
            MountKind::Tmpfs => tmpfs_mount(s)?,
            MountKind::Bind | MountKind::Volume => {
                match s.bind_propagation {
                    Some(Propagation::Shared | Propagation::RShared) => {
                        rootfs_propagation = Some("shared")
                    }
                    Some(Propagation::Slave | Propagation::RSlave)
                        if rootfs_propagation.is_none() =>
                    {
                        rootfs_propagation = Some("rslave")
                    }
                    _ => {}
                }
                bind_mount(
                    &s.target,
                    &m.source,
                    s.read_only,
                    s.bind_nonrecursive,
                    s.bind_propagation,
                )
            }
        });
    }
    user.sort_by_key(|m| depth(&m.dest));
    Ok((user, rootfs_propagation))
}

/// The default mounts no user mount replaces (a user `/dev` replaces those under it),
/// with `--shm-size`, and `/sys` and cgroups writable under `--privileged`.
fn defaults_kept(input: &SpecInput, all_user: &[String]) -> Vec<M> {
    let opts = &input.opts;
    let dev_mounted = all_user.iter().any(|d| d == "/dev");
    let mut out: Vec<M> = Vec::new();
    for mut m in default_mounts() {
        if all_user.contains(&m.dest) || (dev_mounted && m.dest.starts_with("/dev/")) {
            continue;
        }
        if m.dest == "/dev/shm" {
            let size = opts.shm_size.filter(|&s| s > 0).unwrap_or(DEFAULT_SHM_SIZE);
            m.options.push(format!("size={size}"));
        }
        if opts.privileged && (m.dest == "/sys" || m.typ == "cgroup") {
            m.options.retain(|o| o != "ro");
        }
        out.push(m);
    }
    out
}

/// `--read-only`: every mount berth adds (not the user's) read-only, except those the
/// container needs writable.
fn make_read_only(mounts: &mut [M]) {
    for m in mounts.iter_mut().filter(|m| !m.user) {
        let exempt = matches!(
            m.dest.as_str(),
            "/proc" | "/dev/pts" | "/dev/shm" | "/dev/mqueue" | "/dev"
        );
        if !exempt && !m.options.iter().any(|o| o == "ro") {
            m.options.push("ro".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn tmpfs_merge() {
        assert_eq!(
            merge_tmpfs_options(&v(&[
                "noexec", "nosuid", "nodev", "rprivate", "rw", "exec", "size=1k", "size=2k"
            ]))
            .unwrap(),
            ["nosuid", "nodev", "rprivate", "rw", "exec", "size=2k"]
        );
        assert!(merge_tmpfs_options(&v(&["bogus"])).is_err());
        assert!(merge_tmpfs_options(&v(&["foo=1"])).is_err());
    }

    #[test]
    fn tmpfs_sizes() {
        assert_eq!(tmpfs_size(64 << 20), "size=64m");
        assert_eq!(tmpfs_size(1 << 30), "size=1g");
        assert_eq!(tmpfs_size(1536), "size=1536");
        assert_eq!(tmpfs_size(3 << 10), "size=3k");
    }

    #[test]
    fn tmpfs_from_spec() {
        let s = MountSpec {
            kind: MountKind::Tmpfs,
            target: "/t".into(),
            read_only: true,
            tmpfs_size: Some(64 << 20),
            tmpfs_mode: Some(0o1770),
            ..MountSpec::default()
        };
        assert_eq!(
            tmpfs_mount(&s).unwrap().options,
            [
                "noexec",
                "nosuid",
                "nodev",
                "rprivate",
                "ro",
                "size=64m",
                "mode=1770"
            ]
        );
    }
}
