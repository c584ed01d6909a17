//! Tests of `build_spec` against Docker's behaviour.

use std::path::PathBuf;

use berth_store::oci::ContainerConfig;
use oci_spec::runtime::{LinuxNamespaceType, Mount, Spec};

use super::*;

fn input(image: ContainerConfig, opts: RunOptions) -> SpecInput {
    SpecInput {
        id: "c0ffee".into(),
        image,
        opts,
        rootfs: PathBuf::from("rootfs"),
        user: ExecUser::default(),
        etc_files: EtcFiles {
            hosts: "/run/c/hosts".into(),
            hostname: "/run/c/hostname".into(),
            resolv_conf: "/run/c/resolv.conf".into(),
        },
        cgroups_path: "/berth/c0ffee".into(),
        hostname: "c0ffee".into(),
        ..SpecInput::default()
    }
}

fn image(entrypoint: Option<&[&str]>, cmd: Option<&[&str]>) -> ContainerConfig {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    ContainerConfig {
        entrypoint: entrypoint.map(v),
        cmd: cmd.map(v),
        ..ContainerConfig::default()
    }
}

fn sh() -> ContainerConfig {
    image(None, Some(&["sh"]))
}

fn build(image: ContainerConfig, opts: RunOptions) -> Spec {
    build_spec(&input(image, opts)).unwrap()
}

fn args(s: &Spec) -> Vec<String> {
    s.process().as_ref().unwrap().args().clone().unwrap()
}

fn mounts_of(s: &Spec) -> Vec<Mount> {
    s.mounts().clone().unwrap()
}

fn mount<'a>(ms: &'a [Mount], dest: &str) -> &'a Mount {
    ms.iter()
        .find(|m| m.destination().to_str() == Some(dest))
        .unwrap_or_else(|| panic!("no mount at {dest}"))
}

fn opts_of(m: &Mount) -> Vec<String> {
    m.options().clone().unwrap_or_default()
}

fn v(s: &[&str]) -> Vec<String> {
    s.iter().map(|x| x.to_string()).collect()
}

#[test]
fn args_precedence() {
    let img = image(Some(&["/entry", "-x"]), Some(&["default"]));
    assert_eq!(
        args(&build(img.clone(), RunOptions::default())),
        ["/entry", "-x", "default"]
    );
    let o = RunOptions {
        cmd: v(&["mine"]),
        ..RunOptions::default()
    };
    assert_eq!(args(&build(img.clone(), o)), ["/entry", "-x", "mine"]);
    // --entrypoint replaces the entrypoint and drops the image's Cmd.
    let o = RunOptions {
        entrypoint: Some(v(&["/bin/sh"])),
        ..RunOptions::default()
    };
    assert_eq!(args(&build(img.clone(), o)), ["/bin/sh"]);
    let o = RunOptions {
        entrypoint: Some(v(&["/bin/sh"])),
        cmd: v(&["-c", "id"]),
        ..RunOptions::default()
    };
    assert_eq!(args(&build(img.clone(), o)), ["/bin/sh", "-c", "id"]);
    // --entrypoint "" resets it: the run arguments are the whole command.
    let o = RunOptions {
        entrypoint: Some(vec![]),
        cmd: v(&["ls"]),
        ..RunOptions::default()
    };
    assert_eq!(args(&build(img.clone(), o)), ["ls"]);
    let o = RunOptions {
        entrypoint: Some(vec![]),
        ..RunOptions::default()
    };
    assert!(build_spec(&input(img, o)).is_err());
    assert!(build_spec(&input(ContainerConfig::default(), RunOptions::default())).is_err());
}

#[test]
fn env_cwd_terminal_user() {
    let mut img = sh();
    img.env = Some(v(&["PATH=/opt:/bin", "A=1"]));
    img.working_dir = Some("/srv/../app".into());
    let o = RunOptions {
        env: v(&["B=2"]),
        tty: true,
        ..RunOptions::default()
    };
    let mut inp = input(img, o);
    inp.user = ExecUser {
        uid: 1000,
        gid: 100,
        additional_gids: vec![100, 10],
        home: "/home/u".into(),
    };
    let s = build_spec(&inp).unwrap();
    let p = s.process().as_ref().unwrap();
    assert_eq!(
        p.env().clone().unwrap(),
        [
            "PATH=/opt:/bin",
            "HOSTNAME=c0ffee",
            "TERM=xterm",
            "B=2",
            "A=1",
            "HOME=/home/u"
        ]
    );
    assert_eq!(p.cwd().to_str(), Some("/app"));
    assert_eq!(p.terminal(), Some(true));
    assert_eq!((p.user().uid(), p.user().gid()), (1000, 100));
    assert_eq!(p.user().additional_gids().clone().unwrap(), [100, 10]);
    assert_eq!(p.oom_score_adj(), Some(0));
    let s = build(
        sh(),
        RunOptions {
            workdir: Some("/w".into()),
            ..RunOptions::default()
        },
    );
    assert_eq!(s.process().as_ref().unwrap().cwd().to_str(), Some("/w"));
    assert_eq!(
        build(sh(), RunOptions::default())
            .process()
            .as_ref()
            .unwrap()
            .cwd()
            .to_str(),
        Some("/")
    );
    let o = RunOptions {
        workdir: Some("rel".into()),
        ..RunOptions::default()
    };
    assert!(build_spec(&input(sh(), o)).is_err());
}

fn caps(s: &Spec) -> (Vec<String>, Vec<String>, Vec<String>, bool) {
    let c = s
        .process()
        .as_ref()
        .unwrap()
        .capabilities()
        .clone()
        .unwrap();
    let names = |set: &Option<oci_spec::runtime::Capabilities>| {
        let mut v: Vec<String> = set.iter().flatten().map(|c| c.to_string()).collect();
        v.sort();
        v
    };
    (
        names(c.bounding()),
        names(c.effective()),
        names(c.permitted()),
        c.inheritable().as_ref().is_none_or(|i| i.is_empty())
            && c.ambient().as_ref().is_none_or(|a| a.is_empty()),
    )
}

#[test]
fn capabilities() {
    let (b, e, p, empty_rest) = caps(&build(sh(), RunOptions::default()));
    assert_eq!(b.len(), DEFAULT_CAPS.len());
    assert_eq!((&b, &b), (&e, &p));
    assert!(empty_rest);
    assert!(b.contains(&"NET_RAW".to_string()));
    let o = RunOptions {
        cap_add: v(&["SYS_ADMIN"]),
        cap_drop: v(&["net_raw"]),
        ..RunOptions::default()
    };
    let (b, ..) = caps(&build(sh(), o));
    assert!(b.contains(&"SYS_ADMIN".to_string()) && !b.contains(&"NET_RAW".to_string()));
    let o = RunOptions {
        cap_drop: v(&["ALL"]),
        cap_add: v(&["CAP_CHOWN"]),
        ..RunOptions::default()
    };
    assert_eq!(caps(&build(sh(), o)).0, ["CHOWN"]);
    let o = RunOptions {
        cap_add: v(&["WARP_DRIVE"]),
        ..RunOptions::default()
    };
    assert!(matches!(
        build_spec(&input(sh(), o)),
        Err(Error::UnknownCapability(_))
    ));
}

#[test]
fn default_security() {
    let s = build(sh(), RunOptions::default());
    let l = s.linux().as_ref().unwrap();
    assert_eq!(l.masked_paths().clone().unwrap(), MASKED_PATHS);
    assert_eq!(l.readonly_paths().clone().unwrap(), READONLY_PATHS);
    assert!(l.seccomp().is_some());
    assert_eq!(
        s.process().as_ref().unwrap().no_new_privileges(),
        Some(false)
    );
    let devs = l.resources().as_ref().unwrap().devices().clone().unwrap();
    assert!(!devs[0].allow());
    let ms = mounts_of(&s);
    assert!(opts_of(mount(&ms, "/sys")).contains(&"ro".to_string()));
    let o = RunOptions {
        security: SecurityOpts {
            seccomp: Seccomp::Unconfined,
            no_new_privileges: true,
            other: vec![],
        },
        ..RunOptions::default()
    };
    let s = build(sh(), o);
    assert!(s.linux().as_ref().unwrap().seccomp().is_none());
    assert_eq!(
        s.process().as_ref().unwrap().no_new_privileges(),
        Some(true)
    );
    let o = RunOptions {
        security: SecurityOpts {
            seccomp: Seccomp::Profile("{nope".into()),
            ..SecurityOpts::default()
        },
        ..RunOptions::default()
    };
    assert!(matches!(
        build_spec(&input(sh(), o)),
        Err(Error::Seccomp(_))
    ));
}

#[test]
fn privileged() {
    let o = RunOptions {
        privileged: true,
        ..RunOptions::default()
    };
    let s = build(sh(), o);
    let l = s.linux().as_ref().unwrap();
    assert!(l.masked_paths().as_ref().is_none_or(|m| m.is_empty()));
    assert!(l.readonly_paths().as_ref().is_none_or(|m| m.is_empty()));
    assert!(l.seccomp().is_none());
    assert_eq!(caps(&s).0.len(), ALL_CAPS.len());
    let devs = l.resources().as_ref().unwrap().devices().clone().unwrap();
    assert_eq!(devs.len(), 1);
    assert!(devs[0].allow() && devs[0].typ().is_none());
    let ms = mounts_of(&s);
    assert!(!opts_of(mount(&ms, "/sys")).contains(&"ro".to_string()));
    assert!(!opts_of(mount(&ms, "/sys/fs/cgroup")).contains(&"ro".to_string()));
}

#[test]
fn read_only_root() {
    let o = RunOptions {
        read_only: true,
        ..RunOptions::default()
    };
    let s = build(sh(), o);
    assert_eq!(s.root().as_ref().unwrap().readonly(), Some(true));
    let ms = mounts_of(&s);
    for d in [
        "/sys",
        "/sys/fs/cgroup",
        "/etc/hosts",
        "/etc/resolv.conf",
        "/etc/hostname",
    ] {
        assert!(opts_of(mount(&ms, d)).contains(&"ro".to_string()), "{d}");
    }
    for d in ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue"] {
        assert!(!opts_of(mount(&ms, d)).contains(&"ro".to_string()), "{d}");
    }
    assert_eq!(
        build(sh(), RunOptions::default())
            .root()
            .as_ref()
            .unwrap()
            .readonly(),
        Some(false)
    );
}

fn user_mount(kind: MountKind, source: &str, target: &str) -> ResolvedMount {
    ResolvedMount {
        source: source.into(),
        spec: MountSpec {
            kind,
            source: source.into(),
            target: target.into(),
            ..MountSpec::default()
        },
    }
}

#[test]
fn mounts_order_and_options() {
    let mut inp = input(
        sh(),
        RunOptions {
            shm_size: Some(128 << 20),
            ..RunOptions::default()
        },
    );
    let mut ro = user_mount(MountKind::Bind, "/host/a", "/data/sub");
    ro.spec.read_only = true;
    ro.spec.bind_propagation = Some(Propagation::RSlave);
    let mut t = user_mount(MountKind::Tmpfs, "", "/run");
    t.spec.tmpfs_size = Some(64 << 20);
    inp.mounts = vec![
        ro,
        user_mount(MountKind::Volume, "/var/lib/berth/volumes/v/_data", "/data"),
        t,
    ];
    let s = build_spec(&inp).unwrap();
    let ms = mounts_of(&s);
    let dests: Vec<&str> = ms
        .iter()
        .map(|m| m.destination().to_str().unwrap())
        .collect();
    // Defaults first; then the /etc files and user mounts together, parents before children
    // (moby sorts them by depth), command-line order kept within a depth.
    assert_eq!(
        dests,
        [
            "/proc",
            "/dev",
            "/dev/pts",
            "/sys",
            "/sys/fs/cgroup",
            "/dev/mqueue",
            "/dev/shm",
            "/data",
            "/run",
            "/etc/resolv.conf",
            "/etc/hostname",
            "/etc/hosts",
            "/data/sub",
        ]
    );
    assert_eq!(opts_of(mount(&ms, "/proc")), ["nosuid", "noexec", "nodev"]);
    assert_eq!(
        opts_of(mount(&ms, "/dev")),
        ["nosuid", "strictatime", "mode=755", "size=65536k"]
    );
    assert_eq!(
        opts_of(mount(&ms, "/dev/pts")),
        [
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620",
            "gid=5"
        ]
    );
    assert_eq!(
        opts_of(mount(&ms, "/dev/shm")),
        ["nosuid", "noexec", "nodev", "mode=1777", "size=134217728"]
    );
    assert_eq!(opts_of(mount(&ms, "/etc/hosts")), ["rbind", "rprivate"]);
    assert_eq!(opts_of(mount(&ms, "/data")), ["rbind", "rprivate"]);
    assert_eq!(opts_of(mount(&ms, "/data/sub")), ["rbind", "ro", "rslave"]);
    assert_eq!(mount(&ms, "/data/sub").typ().as_deref(), Some("bind"));
    assert_eq!(
        mount(&ms, "/data/sub").source().as_ref().unwrap().to_str(),
        Some("/host/a")
    );
    let run = mount(&ms, "/run");
    assert_eq!(
        (
            run.typ().as_deref(),
            run.source().as_ref().unwrap().to_str()
        ),
        (Some("tmpfs"), Some("tmpfs"))
    );
    assert_eq!(
        opts_of(run),
        ["noexec", "nosuid", "nodev", "rprivate", "size=64m"]
    );
    assert_eq!(
        s.linux().as_ref().unwrap().rootfs_propagation().as_deref(),
        Some("rslave")
    );
}

#[test]
fn user_mount_replaces_default() {
    let mut inp = input(sh(), RunOptions::default());
    inp.mounts = vec![
        user_mount(MountKind::Bind, "/host/shm", "/dev/shm"),
        user_mount(MountKind::Bind, "/host/hosts", "/etc/hosts"),
    ];
    let ms = mounts_of(&build_spec(&inp).unwrap());
    let shm: Vec<&Mount> = ms
        .iter()
        .filter(|m| m.destination().to_str() == Some("/dev/shm"))
        .collect();
    assert_eq!(shm.len(), 1);
    assert_eq!(shm[0].typ().as_deref(), Some("bind"));
    let hosts: Vec<&Mount> = ms
        .iter()
        .filter(|m| m.destination().to_str() == Some("/etc/hosts"))
        .collect();
    assert_eq!(hosts.len(), 1);
    assert_eq!(
        hosts[0].source().as_ref().unwrap().to_str(),
        Some("/host/hosts")
    );
}

#[test]
fn init() {
    let mut inp = input(
        image(Some(&["/e"]), Some(&["c"])),
        RunOptions {
            init: true,
            ..RunOptions::default()
        },
    );
    assert!(build_spec(&inp).is_err());
    inp.init_binary = Some("/usr/bin/tini-static".into());
    let s = build_spec(&inp).unwrap();
    assert_eq!(args(&s), ["/sbin/docker-init", "--", "/e", "c"]);
    let ms = mounts_of(&s);
    let m = mount(&ms, "/sbin/docker-init");
    assert_eq!(opts_of(m), ["bind", "ro"]);
    assert_eq!(
        m.source().as_ref().unwrap().to_str(),
        Some("/usr/bin/tini-static")
    );
    let pos = |d: &str| {
        ms.iter()
            .position(|m| m.destination().to_str() == Some(d))
            .unwrap()
    };
    assert!(
        pos("/dev/shm") < pos("/sbin/docker-init")
            && pos("/sbin/docker-init") < pos("/etc/resolv.conf")
    );
}

#[test]
fn namespaces() {
    let kinds = |s: &Spec| -> Vec<(LinuxNamespaceType, Option<PathBuf>)> {
        s.linux()
            .as_ref()
            .unwrap()
            .namespaces()
            .clone()
            .unwrap()
            .iter()
            .map(|n| (n.typ(), n.path().clone()))
            .collect()
    };
    use LinuxNamespaceType::*;
    let s = build(sh(), RunOptions::default());
    assert_eq!(
        kinds(&s),
        [
            (Mount, None),
            (Network, None),
            (Uts, None),
            (Pid, None),
            (Ipc, None)
        ]
    );
    let s = build(
        sh(),
        RunOptions {
            network: NetworkMode::Host,
            ..RunOptions::default()
        },
    );
    assert!(!kinds(&s).iter().any(|(k, _)| *k == Network));
    assert!(!s
        .linux()
        .as_ref()
        .unwrap()
        .sysctl()
        .as_ref()
        .unwrap()
        .contains_key("net.ipv4.ping_group_range"));
    let mut inp = input(
        sh(),
        RunOptions {
            network: NetworkMode::Container("db".into()),
            ..RunOptions::default()
        },
    );
    assert!(build_spec(&inp).is_err());
    inp.netns_path = Some("/proc/42/ns/net".into());
    inp.cgroup_v2 = true;
    let k = kinds(&build_spec(&inp).unwrap());
    assert!(k.contains(&(Network, Some("/proc/42/ns/net".into()))));
    assert!(k.contains(&(Cgroup, None)));
}

#[test]
fn resources() {
    let o = RunOptions {
        memory: Some(512 << 20),
        memory_reservation: Some(256 << 20),
        cpus: Some(1.5),
        cpu_shares: Some(512),
        cpuset_cpus: Some("0-1".into()),
        pids_limit: Some(100),
        oom_kill_disable: true,
        sysctls: [("net.core.somaxconn".to_string(), "1024".to_string())].into(),
        ..RunOptions::default()
    };
    let mut inp = input(sh(), o);
    inp.devices = vec![devices::ResolvedDevice {
        path: "/dev/xvda".into(),
        kind: devices::DeviceKind::Block,
        major: 8,
        minor: 0,
        file_mode: 0o660,
        uid: 0,
        gid: 6,
        permissions: "r".into(),
    }];
    let s = build_spec(&inp).unwrap();
    let l = s.linux().as_ref().unwrap();
    let r = l.resources().as_ref().unwrap();
    let m = r.memory().unwrap();
    assert_eq!(
        (m.limit(), m.swap(), m.reservation(), m.disable_oom_killer()),
        (Some(512 << 20), Some(1 << 30), Some(256 << 20), Some(true))
    );
    let c = r.cpu().as_ref().unwrap();
    assert_eq!(
        (c.quota(), c.period(), c.shares()),
        (Some(150_000), Some(100_000), Some(512))
    );
    assert_eq!(c.cpus().as_deref(), Some("0-1"));
    assert_eq!(r.pids().unwrap().limit(), 100);
    let devs = r.devices().clone().unwrap();
    let last = devs.last().unwrap();
    assert_eq!(
        (last.major(), last.minor(), last.access().as_deref()),
        (Some(8), Some(0), Some("r"))
    );
    assert_eq!(
        l.devices().clone().unwrap()[0].path().to_str(),
        Some("/dev/xvda")
    );
    let sys = l.sysctl().clone().unwrap();
    assert_eq!(sys["net.core.somaxconn"], "1024");
    assert_eq!(sys["net.ipv4.ip_unprivileged_port_start"], "0");
    assert_eq!(
        l.cgroups_path().as_ref().unwrap().to_str(),
        Some("/berth/c0ffee")
    );
    // An explicit swap and -1.
    let o = RunOptions {
        memory: Some(64 << 20),
        memory_swap: Some(-1),
        ..RunOptions::default()
    };
    let s = build(sh(), o);
    assert_eq!(
        s.linux()
            .as_ref()
            .unwrap()
            .resources()
            .as_ref()
            .unwrap()
            .memory()
            .unwrap()
            .swap(),
        Some(-1)
    );
    // Nothing asked, nothing set but the device rules.
    let s = build(sh(), RunOptions::default());
    let r = s.linux().as_ref().unwrap().resources().clone().unwrap();
    assert!(r.memory().is_none() && r.cpu().is_none() && r.pids().is_none());
}

#[test]
fn resource_conflicts() {
    let bad = [
        RunOptions {
            memory: Some(1 << 20),
            ..RunOptions::default()
        },
        RunOptions {
            memory: Some(64 << 20),
            memory_swap: Some(32 << 20),
            ..RunOptions::default()
        },
        RunOptions {
            memory_swap: Some(64 << 20),
            ..RunOptions::default()
        },
        RunOptions {
            memory: Some(64 << 20),
            memory_reservation: Some(128 << 20),
            ..RunOptions::default()
        },
        RunOptions {
            cpus: Some(1.0),
            cpu_quota: Some(50_000),
            ..RunOptions::default()
        },
        RunOptions {
            rm: true,
            restart: RestartPolicy::Always,
            ..RunOptions::default()
        },
    ];
    for o in bad {
        assert!(
            matches!(build_spec(&input(sh(), o.clone())), Err(Error::Conflict(_))),
            "{o:?}"
        );
    }
}

#[test]
fn rlimits_and_hook() {
    let o = RunOptions {
        ulimits: vec![
            Ulimit {
                name: "nofile".into(),
                soft: 1024,
                hard: 2048,
            },
            Ulimit {
                name: "core".into(),
                soft: -1,
                hard: -1,
            },
        ],
        ..RunOptions::default()
    };
    let mut inp = input(sh(), o);
    let s = build_spec(&inp).unwrap();
    let rl = s.process().as_ref().unwrap().rlimits().clone().unwrap();
    assert_eq!((rl[0].soft(), rl[0].hard()), (1024, 2048));
    assert_eq!(rl[1].hard(), u64::MAX);
    inp.rlimit_hook = Some(|_, s, h| (s.min(1000), h.min(1000)));
    let s = build_spec(&inp).unwrap();
    let rl = s.process().as_ref().unwrap().rlimits().clone().unwrap();
    assert_eq!((rl[0].soft(), rl[0].hard()), (1000, 1000));
}

#[test]
fn hostname_domainname_and_json() {
    let o = RunOptions {
        domainname: Some("example.com".into()),
        ..RunOptions::default()
    };
    let s = build(sh(), o);
    assert_eq!(s.hostname().as_deref(), Some("c0ffee"));
    assert_eq!(s.domainname().as_deref(), Some("example.com"));
    let json = serde_json::to_string(&s).unwrap();
    let back: Spec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    assert!(json.contains("\"CAP_CHOWN\""));
}
