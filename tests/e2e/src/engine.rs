//! Harness for the engine's end-to-end tests (`100_*`): the `berth` Docker-style CLI against
//! a fresh `--root` per test, a busybox image imported from Debian's busybox-static, and a
//! guard that removes every container the test made and fails the test if anything (mounts,
//! monitors, cgroups) was left behind.

use std::env;
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::cmd::{self, Output};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Deadline for one berth command.
pub const ENGINE_TIMEOUT: Duration = Duration::from_secs(60);

/// One engine test: a temp dir holding berth's `--root`, host dirs and command output.
pub struct Berth {
    /// The test's name.
    pub name: String,
    /// The test's temp dir.
    pub dir: PathBuf,
    /// berth's state root for this test.
    pub root: PathBuf,
    /// The berth binary as tests run it: a wrapper that enters the test's network
    /// namespace first (bridges, veths, nftables and DNS servers stay in there).
    pub bin: PathBuf,
    /// The real berth binary.
    pub real_bin: PathBuf,
    /// The test's network namespace (a bind-mounted nsfs file).
    pub netns: PathBuf,
    scratch: PathBuf,
}

impl Berth {
    /// Sets up a test, or `None` when it must be skipped (printed; a failure under CI).
    pub fn new(name: &str) -> Option<Berth> {
        if crate::skipped(name, crate::skip_reason()) {
            return None;
        }
        let bin = crate::runtime::berth_binary().unwrap_or_else(|e| panic!("{name}: {e}"));
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = env::temp_dir().join(format!("berth-e2e-eng-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create test dir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod test dir");
        let root = dir.join("root");
        let netns = dir.join("netns");
        berth_net::link::create_netns(&netns)
            .unwrap_or_else(|e| panic!("{name}: create the test's network namespace: {e}"));
        let wrapper = dir.join("berth");
        fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec nsenter --net={} {} \"$@\"\n",
                netns.display(),
                bin.display()
            ),
        )
        .expect("write the berth wrapper");
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).expect("chmod wrapper");
        Some(Berth {
            name: name.to_string(),
            scratch: dir.join("out"),
            root,
            bin: wrapper,
            real_bin: bin,
            netns,
            dir,
        })
    }

    fn args(&self, args: &[&str]) -> Vec<String> {
        let mut v = vec!["--root".to_string(), self.root.display().to_string()];
        v.extend(args.iter().map(|s| s.to_string()));
        v
    }

    /// Runs `berth --root <root> args...`.
    pub fn cmd(&self, args: &[&str]) -> Output {
        cmd::run(&self.bin, &self.args(args), &self.scratch, ENGINE_TIMEOUT)
    }

    /// Runs berth with stdin from a file.
    pub fn cmd_stdin(&self, args: &[&str], stdin: &Path) -> Output {
        cmd::run_with_stdin(
            &self.bin,
            &self.args(args),
            &self.scratch,
            ENGINE_TIMEOUT,
            Some(stdin),
        )
    }

    /// Runs berth with a deadline of its own.
    pub fn cmd_timeout(&self, args: &[&str], timeout: Duration) -> Output {
        cmd::run(&self.bin, &self.args(args), &self.scratch, timeout)
    }

    /// A host directory below the test dir (mode 0777).
    pub fn host_dir(&self, name: &str) -> PathBuf {
        let d = self.dir.join("host").join(name);
        fs::create_dir_all(&d).expect("create host dir");
        fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).expect("chmod host dir");
        d
    }

    /// A tarball of a busybox rootfs (see [`crate::make_busybox_rootfs`]); `extra` may add
    /// files to the rootfs before it is packed.
    pub fn busybox_tar(&self, name: &str, extra: impl FnOnce(&Path)) -> PathBuf {
        let rootfs = self.dir.join(format!("rootfs-{name}"));
        crate::make_busybox_rootfs(&rootfs);
        extra(&rootfs);
        let tar_path = self.dir.join(format!("{name}.tar"));
        let mut b = tar::Builder::new(File::create(&tar_path).expect("create tar"));
        b.follow_symlinks(false);
        b.append_dir_all(".", &rootfs).expect("pack rootfs");
        b.finish().expect("finish tar");
        tar_path
    }

    /// Imports a busybox image as `name` (CMD ["sh"]); returns the image ID.
    pub fn busybox_image(&self, name: &str) -> String {
        self.busybox_image_with(name, |_| {})
    }

    /// [`Berth::busybox_image`] with `extra` adding files to the rootfs first.
    pub fn busybox_image_with(&self, name: &str, extra: impl FnOnce(&Path)) -> String {
        let tar = self.busybox_tar(&format!("busybox-{}", name.replace(['/', ':'], "_")), extra);
        let o = self
            .cmd(&[
                "import",
                "--change",
                r#"CMD ["sh"]"#,
                tar.to_str().unwrap(),
                name,
            ])
            .ok();
        o.out().trim().to_string()
    }

    /// A busybox image `name` whose /data/seed.txt says "from image" (for volume seeding).
    pub fn busybox_image_with_data(&self, name: &str) -> String {
        self.busybox_image_with(name, |r| {
            fs::create_dir_all(r.join("data")).expect("mkdir data");
            fs::write(r.join("data/seed.txt"), "from image\n").expect("write seed");
        })
    }

    /// Container IDs berth lists (all states).
    pub fn container_ids(&self) -> Vec<String> {
        let o = self.cmd(&["ps", "-aq", "--no-trunc"]);
        o.lines()
    }

    /// What the test left behind after its containers and networks were removed: mounts
    /// under the test dir, monitor and DNS server processes for this root, container cgroups.
    pub fn leftovers(&self, ids: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        let dir = self.dir.display().to_string();
        if let Ok(mi) = fs::read_to_string("/proc/self/mountinfo") {
            for l in mi.lines() {
                if let Some(mp) = l.split(' ').nth(4) {
                    if mp.starts_with(&dir) {
                        out.push(format!("mount {mp}"));
                    }
                }
            }
        }
        for pid in monitor_pids(&self.root) {
            out.push(format!("monitor process {pid}"));
        }
        for pid in dns_pids(&self.root) {
            out.push(format!("DNS server process {pid}"));
        }
        for id in ids {
            for m in crate::cgroup::existing_dirs(&format!("/berth/{id}")) {
                out.push(format!("cgroup {}", m.display()));
            }
        }
        out
    }
}

impl Berth {
    /// Polls `inspect --format FORMAT NAME` every 20 ms until it prints `want` or `tries`
    /// polls have passed; returns what it printed last (trimmed).
    pub fn wait_inspect(&self, name: &str, format: &str, want: &str, tries: u32) -> String {
        let mut seen = String::new();
        for _ in 0..tries {
            seen = self
                .cmd(&["inspect", "--format", format, name])
                .ok()
                .out()
                .trim()
                .to_string();
            if seen == want {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        seen
    }
}

impl Berth {
    /// What is left in the test's network namespace besides `lo`: links, berth's
    /// nftables table.
    pub fn network_leftovers(&self) -> Vec<String> {
        let found = berth_net::link::in_netns(&self.netns, || {
            let mut out = Vec::new();
            if let Ok(mut nl) = berth_net::link::Netlink::open() {
                for (_, name) in nl.links().unwrap_or_default() {
                    if name != "lo" {
                        out.push(format!("link {name}"));
                    }
                }
            }
            if berth_net::firewall::table_exists("berth").unwrap_or(false) {
                out.push("nftables table inet berth".to_string());
            }
            out
        });
        found.unwrap_or_else(|e| vec![format!("network namespace unreadable: {e}")])
    }

    /// Runs `args` inside the test's network namespace (for `ip`, `nc`, ... on the host side).
    pub fn in_netns(&self, args: &[&str]) -> Output {
        let mut full = vec![format!("--net={}", self.netns.display())];
        full.extend(args.iter().map(|s| s.to_string()));
        cmd::run(
            std::path::Path::new("/usr/bin/nsenter"),
            &full,
            &self.scratch,
            ENGINE_TIMEOUT,
        )
    }
}

/// Pids of the DNS servers of networks under `root`.
pub fn dns_pids(root: &Path) -> Vec<i32> {
    let needle = root.display().to_string();
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        if args.iter().any(|a| *a == b"__dns")
            && args
                .iter()
                .any(|a| String::from_utf8_lossy(a).contains(&needle))
        {
            out.push(pid);
        }
    }
    out
}

/// Pids of berth monitors whose container dir is under `root`.
pub fn monitor_pids(root: &Path) -> Vec<i32> {
    let needle = root.display().to_string();
    let mut pids = Vec::new();
    for e in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline);
        if text.contains("__monitor") && text.contains(&needle) {
            pids.push(pid);
        }
    }
    pids
}

impl Drop for Berth {
    fn drop(&mut self) {
        let ids = self.container_ids();
        for id in &ids {
            let _ = self.cmd(&["rm", "-f", "-v", id]);
        }
        // Networks go too: user networks, and the default bridge (taken down when unused).
        for n in self
            .cmd(&["network", "ls", "-q", "--filter", "type=custom"])
            .lines()
        {
            let _ = self.cmd(&["network", "rm", &n]);
        }
        let _ = self.cmd(&["network", "prune", "-f"]);
        let mut net_left = self.network_leftovers();
        // A DNS server keeps running in the namespace after its file is gone: it is judged
        // (and killed) below, with the monitors.
        let _ = berth_net::link::remove_netns(&self.netns);
        // By now berth must have stopped every process of this root: a container's monitor
        // goes with the container, a network's DNS server with the network.
        let mut left = Vec::new();
        for _ in 0..50 {
            left = self.leftovers(&ids);
            if left.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // Clean up whatever leaked, touching only what this test made.
        for pid in monitor_pids(&self.root)
            .into_iter()
            .chain(dns_pids(&self.root))
        {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        if let Ok(mi) = fs::read_to_string("/proc/self/mountinfo") {
            let dir = self.dir.display().to_string();
            let mut mps: Vec<&str> = mi
                .lines()
                .filter_map(|l| l.split(' ').nth(4))
                .filter(|m| m.starts_with(&dir))
                .collect();
            mps.sort_by_key(|m| std::cmp::Reverse(m.len()));
            for m in mps {
                let _ = nix::mount::umount2(m, nix::mount::MntFlags::MNT_DETACH);
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
        left.append(&mut net_left);
        if !left.is_empty() && !std::thread::panicking() {
            panic!("{}: left behind:\n  {}", self.name, left.join("\n  "));
        }
    }
}

/// Steps the plain progress shows as CACHED, and steps it shows as run (DONE), RUN/COPY only.
pub fn cached_and_run(o: &Output) -> (Vec<String>, Vec<String>) {
    let mut names = std::collections::BTreeMap::new();
    let (mut cached, mut run) = (Vec::new(), Vec::new());
    for l in o.stderr.lines() {
        let Some((id, rest)) = l.split_once(' ') else {
            continue;
        };
        if rest.starts_with('[') {
            names.insert(id.to_string(), rest.to_string());
        } else if rest == "CACHED" || rest.starts_with("DONE") {
            if let Some(n) = names.get(id) {
                if n.contains("] RUN") || n.contains("] COPY") || n.contains("] ADD") {
                    if rest == "CACHED" {
                        cached.push(n.clone());
                    } else {
                        run.push(n.clone());
                    }
                }
            }
        }
    }
    (cached, run)
}
